"""A supervisord event listener that counts automatic restarts per component.

supervisord reports the pid and uptime of a process but not how often it was
restarted; ``deisctl status`` shows that count. A process that goes to
STARTING from EXITED or BACKOFF was restarted by supervisord (it died); from
STOPPED or FATAL it was started by a person, which resets its count.

Run by supervisord as ``python -m deisctl.restarts <counts.json>``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from supervisor import childutils

AUTOMATIC = {"EXITED", "BACKOFF"}


def count(counts: dict[str, int], name: str, from_state: str) -> dict[str, int]:
    """Return ``counts`` updated for one STARTING event (pure)."""
    updated = dict(counts)
    updated[name] = updated.get(name, 0) + 1 if from_state in AUTOMATIC else 0
    return updated


def _save(path: Path, counts: dict[str, int]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(counts, sort_keys=True))
    temporary.replace(path)


def main(argv: list[str] | None = None) -> None:
    """Serve supervisord's event protocol on stdin/stdout forever."""
    path = Path((argv or sys.argv)[1])
    try:
        counts = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        counts = {}
    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        if headers["eventname"] == "PROCESS_STATE_STARTING":
            fields, _ = childutils.eventdata(payload + "\n")
            counts = count(counts, fields["processname"], fields["from_state"])
            _save(path, counts)
        childutils.listener.ok(sys.stdout)


if __name__ == "__main__":
    main()

"""The ``docker-registry serve`` child: started, watched, stopped, its output relayed.

Its output goes to our standard error, i.e. the component's journal. Lines of
its access log (``"GET /v2/… HTTP/1.1"``) mark activity, which is how the
daemon knows the registry is idle enough to stop it for garbage collection.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Mapping

log = logging.getLogger("registry.child")

#: Variables the registry must not see: with ``AWS_CA_BUNDLE`` set (as on this
#: kind of machine) Distribution's S3 driver panics at start (LoadCustomCABundleError).
HIDDEN_VARIABLES = frozenset({"AWS_CA_BUNDLE"})
_REQUEST = re.compile(r'"(GET|HEAD|PUT|POST|PATCH|DELETE) /v2/')
_PR_SET_PDEATHSIG = 1


def child_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """Return ``environ`` without the variables the registry must not see."""
    return {name: value for name, value in environ.items() if name not in HIDDEN_VARIABLES}


def is_request(line: str) -> bool:
    """True when ``line`` is an access-log line of an API request."""
    return bool(_REQUEST.search(line))


def _die_with_parent() -> None:  # pragma: no cover - runs in the forked child
    """Ask Linux to SIGTERM the child when we die, so no orphan keeps the port."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


class Child:
    """One ``docker-registry serve <config>`` process."""

    def __init__(self, binary: str, config_path: str, environ: Mapping[str, str] = os.environ):
        self.argv = [binary, "serve", config_path]
        self.environ = child_environment(environ)
        self.process: subprocess.Popen | None = None
        #: ``time.monotonic()`` of the last request seen (or of the start).
        self.last_request = time.monotonic()

    def start(self) -> None:
        """Start the process and the thread relaying its output."""
        self.process = subprocess.Popen(
            self.argv, env=self.environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, text=True, errors="replace", preexec_fn=_die_with_parent,
        )
        self.last_request = time.monotonic()
        threading.Thread(target=self._relay, args=(self.process,), name="registry-output", daemon=True).start()
        log.info("started %s (pid %d)", " ".join(self.argv), self.process.pid)

    def alive(self) -> bool:
        """True while the process runs."""
        return self.process is not None and self.process.poll() is None

    def exit_code(self) -> int | None:
        """The exit code once it ended, else ``None``."""
        return None if self.process is None else self.process.poll()

    def idle_for(self) -> float:
        """Seconds since the last request."""
        return time.monotonic() - self.last_request

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, wait up to ``timeout`` seconds, then SIGKILL."""
        if not self.alive():
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("registry did not stop within %.0f s; killing it", timeout)
            self.process.kill()
            self.process.wait(timeout)

    def _relay(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            if is_request(line):
                self.last_request = time.monotonic()
            log.info("%s", line.rstrip())
        process.stdout.close()

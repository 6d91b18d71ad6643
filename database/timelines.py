"""Which base backups can reach the newest timeline: PostgreSQL's ``recovery_target_timeline = latest``.

Every restore replays WAL onto the newest timeline in the archive (each
``deisctl database restore`` and each promotion after a lost disk starts a
new one, and archives ``<timeline>.history``). A base backup can be replayed
onto it only if it was taken on that timeline, or on an ancestor before the
point where the newest one forked off. Other backups exist: the backup a
clean stop pushes just before ``deisctl database restore --to-…`` is on the
old timeline *after* the fork. Picking it fails with PostgreSQL's "requested
timeline 2 is not a child of this server's history" (seen in the suite when
the new timeline's first base backup had not finished yet), so such backups
are never chosen.

A history file holds one line per ancestor: ``<parent timeline>\\t<switch
LSN>\\t<reason>``.

The store may not hold the newest history file yet: PostgreSQL archives it
after promoting, asynchronously, and a ``restore --to-time`` a few seconds
after an earlier restore ran before it was there (seen in CI: the clean-stop
backup of timeline 1 was chosen, and replay onto timeline 2 failed with
"could not locate required checkpoint record"). So when the data directory
is at hand, its own ``pg_wal/*.history`` counts as well: PostgreSQL archives
it at the latest when it stops, before the replay reads the archive.

Where an old timeline's backup lies against the fork is judged by the WAL
position after the backup ended (``end_lsn``, recorded since manifests carry
it), not by its first segment: the clean-stop backup before a ``restore
--to-lsn`` usually starts in the very segment the fork is in, and the
segment rule let CI pick it ("could not locate required checkpoint record").
A manifest without ``end_lsn`` counts only when its whole first segment lies
before the fork.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from database import walstore
from database.segments import SEGMENT_SIZE, parse_lsn, segment_start
from store import NotFound


def parse_history(text: str) -> dict[int, int]:
    """Return ``{ancestor timeline: LSN where its child forked off}`` from a history file (pure)."""
    forks = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and not line.lstrip().startswith("#"):
            forks[int(fields[0])] = parse_lsn(fields[1])
    return forks


def reaches(start_wal: str, newest: int, forks: dict[int, int], end_lsn: str | None = None,
            segment_size: int = SEGMENT_SIZE) -> bool:
    """True when a backup starting in segment ``start_wal`` (and ending by ``end_lsn``) reaches ``newest`` (pure)."""
    timeline = int(start_wal[:8], 16)
    if timeline == newest:
        return True
    if timeline not in forks:
        return False
    if end_lsn is not None:
        return parse_lsn(end_lsn) <= forks[timeline]
    return segment_start(start_wal, segment_size) + segment_size <= forks[timeline]


def local_timeline(pg_wal: Path | None) -> tuple[int, dict[int, int]]:
    """Return the newest timeline whose history file is in ``pg_wal``, and its forks (``1, {}`` when none is)."""
    if pg_wal is None or not pg_wal.is_dir():
        return 1, {}
    histories = [path for path in pg_wal.glob("*.history") if _is_history_name(path.name)]
    if not histories:
        return 1, {}
    newest = max(histories, key=lambda path: int(path.name[:8], 16))
    return int(newest.name[:8], 16), parse_history(newest.read_text())


def _is_history_name(name: str) -> bool:
    stem = name[:-len(".history")]
    return len(stem) == 8 and all(c in "0123456789ABCDEF" for c in stem)


def newest_timeline(store, pg_wal: Path | None = None) -> tuple[int, dict[int, int]]:
    """Return the newest timeline, archived or in ``pg_wal``, and its forks (timeline 1 has no history file)."""
    archived = _archived_timeline(store)
    local = local_timeline(pg_wal)
    return local if local[0] > archived[0] else archived


def _archived_timeline(store) -> tuple[int, dict[int, int]]:
    histories = [info.key for info in store.list(walstore.PREFIX) if info.key.endswith(".history.gz")]
    if not histories:
        return 1, {}
    newest = max(int(key[len(walstore.PREFIX):][:8], 16) for key in histories)
    try:
        text = gzip.decompress(store.get(walstore.key_of(f"{newest:08X}.history"))).decode()
    except NotFound:
        return newest, {}
    return newest, parse_history(text)


def restorable(store, found: list, pg_wal: Path | None = None) -> list:
    """Return the backups of ``found`` that can be replayed onto the newest timeline, in order.

    ``pg_wal`` is the running data directory's WAL folder, when there is one (see the module's text).
    """
    newest, forks = newest_timeline(store, pg_wal)
    return [backup for backup in found if reaches(backup.start_wal, newest, forks, backup.end_lsn)]

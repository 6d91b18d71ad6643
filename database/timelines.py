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
"""

from __future__ import annotations

import gzip

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


def reaches(start_wal: str, newest: int, forks: dict[int, int], segment_size: int = SEGMENT_SIZE) -> bool:
    """True when a backup starting in segment ``start_wal`` can be replayed onto timeline ``newest`` (pure)."""
    timeline = int(start_wal[:8], 16)
    if timeline == newest:
        return True
    return timeline in forks and segment_start(start_wal, segment_size) < forks[timeline]


def newest_timeline(store) -> tuple[int, dict[int, int]]:
    """Return the newest archived timeline and its forks (timeline 1 has no history file)."""
    histories = [info.key for info in store.list(walstore.PREFIX) if info.key.endswith(".history.gz")]
    if not histories:
        return 1, {}
    newest = max(int(key[len(walstore.PREFIX):][:8], 16) for key in histories)
    try:
        text = gzip.decompress(store.get(walstore.key_of(f"{newest:08X}.history"))).decode()
    except NotFound:
        return newest, {}
    return newest, parse_history(text)


def restorable(store, found: list) -> list:
    """Return the backups of ``found`` that can be replayed onto the newest timeline, in order."""
    newest, forks = newest_timeline(store)
    return [backup for backup in found if reaches(backup.start_wal, newest, forks)]

"""WAL segments to and from the store: PostgreSQL's ``archive_command`` and ``restore_command``.

PostgreSQL runs (through its shell, with only file names substituted)::

    <python> -m database.wal push %p %f     # archive_command
    <python> -m database.wal fetch %f %p    # restore_command

``push`` exits 0 only once the segment is stored (the store's ``put`` is
durable when it returns) and its size is read back; a segment already stored
with the same bytes is success (PostgreSQL may push twice after a crash),
with different bytes a refusal (two histories must never mix). Segments are
gzip-compressed, so a corrupt object fails its CRC when fetched.

``fetch`` exits 1 when the segment is not in the store (the normal end of
recovery) and 128 when the store does not answer: PostgreSQL treats an exit
status above 125 as fatal and stops recovery, rather than ending it early
and forking history at a point that merely was unreachable. While replaying,
the segments after the one asked for are fetched ahead in the background
(:mod:`database.prefetch`).
"""

from __future__ import annotations

import logging
import sys
import time
import zlib
from pathlib import Path

from database import prefetch
from database.segments import is_segment
from database.walstore import fetch, push, store_url
from store import StoreError, StoreUnavailable, open_store

log = logging.getLogger("database.wal")

#: Exit status that makes PostgreSQL abort recovery instead of ending it.
FATAL = 128
FETCH_ATTEMPTS = 5


def main(argv: list[str]) -> int:
    """Run ``push <path> <name>`` or ``fetch <name> <path>``; return the exit status."""
    logging.basicConfig(level=logging.INFO, format="deis-database wal: %(message)s")
    if len(argv) != 3 or argv[0] not in {"push", "fetch"}:
        print("usage: python -m database.wal push <path> <name> | fetch <name> <path>", file=sys.stderr)
        return 2
    if argv[0] == "fetch" and prefetch.take(argv[1], Path(argv[2])):
        _read_ahead(argv[1], Path(argv[2]))
        return 0
    try:
        store = open_store(store_url())
    except StoreError as exc:
        log.error("cannot open the store: %s", exc)
        return FATAL if argv[0] == "fetch" else 1
    if argv[0] == "push":
        return _push(store, Path(argv[1]), argv[2])
    status = _fetch(store, argv[1], Path(argv[2]))
    if status == 0:
        _read_ahead(argv[1], Path(argv[2]))
    return status


def _read_ahead(name: str, destination: Path) -> None:
    if is_segment(name):
        try:
            prefetch.start(name, destination)
        except OSError as exc:  # only an optimisation
            log.warning("could not start the WAL read-ahead: %s", exc)


def _push(store, path: Path, name: str) -> int:
    try:
        push(store, path, name)
    except (StoreError, OSError) as exc:
        log.error("archiving %s failed (PostgreSQL keeps it and retries): %s", name, exc)
        return 1
    return 0


def _fetch(store, name: str, destination: Path) -> int:
    for attempt in range(FETCH_ATTEMPTS):
        try:
            return 0 if fetch(store, name, destination) else 1
        except StoreUnavailable as exc:
            log.warning("fetching %s: %s (attempt %d)", name, exc, attempt + 1)
            time.sleep(2 ** attempt)
        except (StoreError, OSError, EOFError, zlib.error) as exc:
            log.error("WAL file %s in the store is damaged: %s; stopping recovery", name, exc)
            return FATAL
    log.error("the store did not answer for %s; stopping recovery rather than ending it early", name)
    return FATAL


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

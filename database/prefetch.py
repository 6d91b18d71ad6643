"""Read-ahead for WAL replay: fetch the next segments while PostgreSQL replays this one.

PostgreSQL runs ``restore_command`` once per WAL file, one after another, and
each run is a new Python process that opens the store (for S3, importing
boto3 and making a client: ~0.3 s before the first byte). A restore that
replays hours of WAL pays that per segment. So, as WAL-G does, the first
fetch of a segment also starts one background process that downloads the
next :data:`AHEAD` segments into ``pg_wal/.deis-prefetch/`` (each written to
a temporary name and renamed, so a file there is always whole); later
fetches find their segment there and only rename it into place.

Archived segments never change (:func:`database.walstore.push` refuses different
bytes under a stored name), so a prefetched copy is as good as the store's.
The read-ahead stops at the first segment the store does not have, and when
recovery has ended (``recovery.signal`` is gone); deis-database removes the
folder after recovery (:func:`database.restore.recovery_finished`).
"""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import sys
import zlib
from pathlib import Path

from database import walstore
from database.segments import following, is_segment
from store import StoreError, open_store

log = logging.getLogger("database.wal")

#: Segments fetched ahead of the one PostgreSQL asked for.
AHEAD = 8
FOLDER = ".deis-prefetch"


def spool_of(destination: Path) -> Path:
    """Return the read-ahead folder beside ``destination`` (``pg_wal/RECOVERYXLOG``)."""
    return destination.parent / FOLDER


def take(name: str, destination: Path) -> bool:
    """Move a prefetched ``name`` to ``destination``; False when it was not prefetched."""
    try:
        os.replace(spool_of(destination) / name, destination)
    except FileNotFoundError:
        return False
    return True


def start(name: str, destination: Path) -> None:
    """Start the read-ahead after ``name`` in the background, unless one already runs."""
    spool = spool_of(destination)
    spool.mkdir(exist_ok=True)
    if _locked(spool):
        return
    subprocess.Popen([sys.executable, "-m", "database.prefetch", str(destination), name],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)


def _locked(spool: Path) -> bool:
    with open(spool / ".lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def run(destination: Path, name: str, store) -> int:
    """Fetch the segments after ``name`` into the spool; return how many were fetched."""
    spool = spool_of(destination)
    recovery_signal = destination.resolve().parent.parent / "recovery.signal"
    for stale in spool.iterdir():
        if is_segment(stale.name) and stale.name <= name:
            stale.unlink(missing_ok=True)  # consumed or skipped: replay has moved past it
    fetched = 0
    for upcoming in following(name, AHEAD):
        if not recovery_signal.exists():
            break
        if (spool / upcoming).exists():
            continue
        if not walstore.fetch(store, upcoming, spool / upcoming):
            break
        fetched += 1
    return fetched


def main(argv: list[str]) -> int:
    """``python -m database.prefetch <destination> <name>``: the background read-ahead."""
    logging.basicConfig(level=logging.INFO, format="deis-database wal prefetch: %(message)s")
    destination, name = Path(argv[0]), argv[1]
    spool = spool_of(destination)
    with open(spool / ".lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return 0
        try:
            store = open_store(walstore.store_url())
            try:
                run(destination, name, store)
            finally:
                store.close()
        except (StoreError, OSError, EOFError, zlib.error) as exc:
            # Only an optimisation: the normal fetch gets (and reports) whatever is missing.
            log.warning("read-ahead after %s stopped: %s", name, exc)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

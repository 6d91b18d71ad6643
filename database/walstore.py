"""WAL files in the store: their keys, and the push and fetch that PostgreSQL's commands run.

Below both :mod:`database.wal` (the commands) and :mod:`database.prefetch`
(the read-ahead), which fetch the same way. Segments are gzip-compressed, so a
corrupt object fails its CRC when fetched; a push refuses different bytes under
a stored name (two histories must never mix).
"""

from __future__ import annotations

import gzip
import logging
import os
from pathlib import Path

from store import NotFound, StoreError

log = logging.getLogger("database.wal")

PREFIX = "database/wal/"


def key_of(name: str) -> str:
    """Return the store key of WAL file ``name`` (``000000010000000000000003``, ``00000002.history``)."""
    if "/" in name or not name:
        raise ValueError(f"not a WAL file name: {name!r}")
    return f"{PREFIX}{name}.gz"


def push(store, path: Path, name: str) -> None:
    """Store WAL file ``path`` as ``name``; raise unless it is durably stored."""
    data = path.read_bytes()
    key = key_of(name)
    try:
        stored = gzip.decompress(store.get(key))
    except NotFound:
        stored = None
    if stored is not None:
        if stored == data:
            log.info("%s was already archived with the same bytes", name)
            return
        raise StoreError(f"{key} is already archived with different bytes; refusing to replace it "
                         "(two database histories would mix: check initId and the store URL)")
    packed = gzip.compress(data, compresslevel=1)
    store.put(key, packed)
    if store.stat(key).size != len(packed):
        raise StoreError(f"{key} reads back with the wrong size after the put")


def fetch(store, name: str, destination: Path) -> bool:
    """Write WAL file ``name`` to ``destination``; False when the store has no such file."""
    try:
        packed = store.get(key_of(name))
    except NotFound:
        return False
    data = gzip.decompress(packed)  # raises on a CRC or length mismatch
    temporary = destination.with_name(destination.name + ".partial")
    temporary.write_bytes(data)
    os.replace(temporary, destination)
    return True


def store_url() -> str:
    """Return the store URL the database component passed down (``DEIS_DATABASE_STOREURL``)."""
    url = os.environ.get("DEIS_DATABASE_STOREURL")
    if not url:
        raise SystemExit("database.wal: DEIS_DATABASE_STOREURL is not set (deis-database sets it)")
    return url

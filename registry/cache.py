"""The registry's Redis cache: emptied after garbage collection.

Distribution's blob-descriptor cache does not learn that garbage collection
deleted a blob, and would tell a later push that the blob is still there (the
push "succeeds", the pull fails). The registry is stopped while it collects,
so its cache database is flushed before it serves again. Two commands over
RESP need no client library.
"""

from __future__ import annotations

import socket

from deis.errors import TemporaryError


class CacheUnavailable(TemporaryError):
    """Redis did not answer or refused a command."""


def command(*words: str) -> bytes:
    """Encode one Redis command as a RESP array of bulk strings."""
    parts = [f"*{len(words)}\r\n".encode()]
    for word in words:
        data = word.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def flush(host: str, port: int, db: int, timeout: float = 5.0) -> None:
    """Empty database ``db`` of the Redis at ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
            conn.sendall(command("SELECT", str(db)) + command("FLUSHDB"))
            replies = _read_lines(conn, 2)
    except OSError as exc:
        raise CacheUnavailable(f"Redis at {host}:{port} did not answer: {exc}") from exc
    if not all(reply.startswith(b"+OK") for reply in replies):
        raise CacheUnavailable(f"Redis at {host}:{port} refused to flush db {db}: {replies!r}")


def _read_lines(conn: socket.socket, count: int) -> list[bytes]:
    data = b""
    while data.count(b"\r\n") < count:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n")[:count]

"""Reading one container's stdout and stderr from Docker, line by line, from a checkpoint.

The docker SDK's ``logs(stream=True)`` merges stdout and stderr and drops
which is which, so we read the multiplexed stream ourselves (8-byte header:
stream, size; then the payload) from the SDK's own response — the same loop
as ``APIClient._multiplexed_response_stream_helper``, keeping the stream id.

With ``timestamps=1`` every frame is one log entry prefixed with its time.
Docker cuts lines longer than 16 KiB into partial entries without a newline;
they are joined here back into one line (up to :data:`MAX_PIECES` entries,
so every line of up to :data:`MAX_LINE` bytes as the app wrote it; beyond
that a line is shipped in pieces, each ending on an entry boundary so that
every piece has its own sequence). Entries are counted, not bytes: Docker
cuts the bytes the app wrote, and json-file then grows them (below).

What arrives is what Docker's json-file driver (the one app containers get)
kept: it stores each entry as a JSON string, so every byte that is not part
of valid UTF-8 comes back as U+FFFD (one per byte, Go's rule), and a
multi-byte character that Docker's 16 KiB cut splits comes back as two.
NUL and valid UTF-8 are kept. From here on every byte is kept
(``deis.syslog.ERRORS``).
"""

from __future__ import annotations

import calendar
import contextlib
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import docker
import urllib3.exceptions

from deis import syslog
from deis.naming import parse_container_name
from logspout.checkpoints import seconds_of, sequence
from logspout.spool import Item

log = logging.getLogger(__name__)

#: Longest line shipped whole, in bytes the app wrote (the contract: 64 KiB lines intact).
MAX_LINE = 64 * 1024
#: Docker's cut: a longer line arrives as entries of this many bytes, the last one with the newline.
DOCKER_PIECE = 16 * 1024
#: Entries joined into one line at most: a 64 KiB line is 4 full entries and a last one holding the
#: newline. Counting bytes instead cut a 64 KiB line with invalid UTF-8 (each such byte grows to
#: 3 under json-file) before its newline, which then went out as an extra empty line.
MAX_PIECES = MAX_LINE // DOCKER_PIECE + 1
_STDERR = 2


def tag_of(name: str) -> tuple[str, str]:
    """Return (APP-NAME, PROCID) for a container name: ``(app, "web.1")`` or ``(name, "1")``."""
    parsed = parse_container_name(name)
    if parsed is None:
        return name.lstrip("/"), "1"  # v1 tagged platform containers ``deis-router[1]``
    return parsed.app, parsed.process


def parse_timestamp_ns(text: bytes, cache: dict) -> int:
    """Parse Docker's RFC 3339 nano time (``…:36.0232390Z``, zeros trimmed) to epoch ns."""
    base = text[:19]
    seconds = cache.get(base)
    if seconds is None:
        seconds = cache[base] = calendar.timegm(time.strptime(base.decode(), "%Y-%m-%dT%H:%M:%S"))
    fraction = text[20:-1] if text[19:20] == b"." else b""
    return seconds * 1_000_000_000 + int(fraction.ljust(9, b"0") or 0)


class ContainerFollower(threading.Thread):
    """Ships one container's lines newer than ``after`` into the spool, until its log ends."""

    def __init__(self, client: docker.DockerClient, container: dict, after: int | None,
                 put: Callable[[Item], bool], hostname: str = "-",
                 on_end: Callable[[ContainerFollower], None] | None = None):
        self.id = container["Id"]
        super().__init__(name=f"follow-{self.id[:12]}", daemon=True)
        self.client = client
        self.app, self.proc = tag_of(container["Names"][0])
        self.after = after if after is not None else -1
        self.last_seq = self.after
        self.put = put
        self.hostname = hostname or "-"
        self.on_end = on_end
        self.tty = bool(container.get("Tty"))
        self._response = None
        self._stopping = False

    def run(self) -> None:
        """Read until the container's log ends, then report it."""
        try:
            for stream, data, seq in self._lines():
                self._emit(stream, data, seq)
        except Exception as exc:  # noqa: BLE001 - sorted below
            # A stop shuts the stream's socket under the read in progress, which then ends in
            # whatever http.client meets first (a bad chunk size, a closed fp): all expected.
            if self._stopping:
                return
            if not isinstance(exc, (docker.errors.DockerException, OSError, ValueError, urllib3.exceptions.HTTPError)):
                raise
            log.warning("reading the log of %s broke: %s", self.id[:12], exc)
        finally:
            if self.on_end is not None and not self._stopping:
                self.on_end(self)

    def stop(self) -> None:
        """Stop reading (unblocks a read in progress)."""
        self._stopping = True
        response = self._response
        if response is not None:
            with contextlib.suppress(Exception):
                raw = self.client.api._get_raw_response_socket(response)
                # The SDK hands back the socket's SocketIO wrapper, which has no shutdown():
                # without reaching the socket, close() below drains the endless stream until
                # the read timeout (30 s for every followed container at each stop).
                getattr(raw, "_sock", raw).shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(Exception):
                response.close()

    def _lines(self) -> Iterator[tuple[int, bytes, int]]:
        """Yield (stream, line, seq) for each whole line after ``self.after``."""
        pending, pieces, cache, previous, index, stream, seq = b"", 0, {}, -1, 0, 1, -1
        for stream, payload in self._frames():
            stamp, _, data = payload.partition(b" ")
            moment = parse_timestamp_ns(stamp, cache)
            index = index + 1 if moment == previous else 0
            previous, seq = moment, sequence(moment, index)
            if seq <= self.after:
                continue
            pending, pieces = pending + data, pieces + 1
            if pending.endswith(b"\n") or pieces >= MAX_PIECES:
                yield stream, pending, seq
                pending, pieces = b"", 0
        if pending and not self._stopping:  # the container ended mid-line
            yield stream, pending, seq

    def _frames(self) -> Iterator[tuple[int, bytes]]:
        api = self.client.api
        params = {"stdout": 1, "stderr": 1, "timestamps": 1, "follow": 1}
        if self.after >= 0:
            params["since"] = seconds_of(self.after)
        self._response = api._get(api._url("/containers/{0}/logs", self.id), params=params, stream=True)
        api._raise_for_status(self._response)
        raw = self._response.raw
        if self.tty:
            yield from _tty_frames(raw)
            return
        while not self._stopping:
            header = _read_exactly(raw, 8)
            if len(header) < 8:
                return
            stream, size = struct.unpack(">BxxxL", header)
            payload = _read_exactly(raw, size)
            if len(payload) < size:
                return
            yield stream, payload

    def _emit(self, stream: int, data: bytes, seq: int) -> None:
        text = data[:-1] if data.endswith(b"\n") else data
        if text.endswith(b"\r"):  # TTY containers end lines with CRLF
            text = text[:-1]
        message = syslog.Message(
            self.app, self.proc, text.decode("utf-8", syslog.ERRORS),
            datetime.fromtimestamp(seq // 1000 / 1e9, UTC),
            severity=syslog.ERR if stream == _STDERR else syslog.INFO,
            hostname=self.hostname, source=self.id[:12], seq=seq,
        )
        self.put(Item(syslog.frame(message), self.id, seq, self.app, self.proc))
        self.last_seq = seq


def _read_exactly(raw, size: int) -> bytes:
    data = raw.read(size)
    while data and len(data) < size:
        more = raw.read(size - len(data))
        if not more:
            break
        data += more
    return data


def _tty_frames(raw) -> Iterator[tuple[int, bytes]]:
    """A TTY container's log is not multiplexed: entries are ``<time> <data>\\n`` lines."""
    rest = b""
    while chunk := raw.read1(64 * 1024):
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        for line in lines:
            yield 1, line + b"\n"

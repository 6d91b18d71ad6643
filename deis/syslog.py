"""The log line contract: RFC 5424 messages, RFC 6587 octet-counted framing,
and the ``deis logs`` line ``<RFC 3339 time> <app>[<type>.<num>]: <message>``.

Logspout writes, the logger reads, the controller and CLI print: all of them
use this module, so the format lives in one place (DESIGN.md §3 "Logs").

Messages are ``str`` decoded with ``surrogateescape``: invalid UTF-8 and NUL
bytes survive a round trip byte for byte (encode with :data:`ERRORS`).

A message from logspout carries one structured-data element,
``[deis@32473 c="<container id>" s="<sequence>"]``: the container and a
sequence number that grows with every line of that container. The logger uses
it to store each line once even when logspout resends after a reconnect
(32473 is the enterprise number RFC 5424 reserves for examples; we claim no
other). Hand-written because the few syslog libraries on PyPI either only
send (``logging.handlers.SysLogHandler``, RFC 3164) or are unmaintained, and
none parses octet-counted streams incrementally with a size bound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

#: Encoding error handler that keeps arbitrary bytes in a ``str``.
ERRORS = "surrogateescape"
#: Facility ``user`` and the severities logspout uses (stdout, stderr).
FACILITY_USER = 1
INFO = 6
ERR = 3
#: The structured-data id of logspout's origin element.
SD_ID = "deis@32473"
#: Longest frame a reader accepts; a longer declared length is a broken sender.
MAX_FRAME = 256 * 1024
NIL = "-"
_BOM = b"\xef\xbb\xbf"
_V1_LINE = re.compile(rb"^(?P<time>\S+) (?P<app>[^\s\[\]]+)\[(?P<proc>[^\]\s]*)\]: ?(?P<text>.*)$", re.S)
_SD_PARAM = re.compile(r'\s*([^=\s\]"]+)="((?:[^"\\]|\\.)*)"')


class SyslogError(ValueError):
    """Bytes that are not a message this module can read."""


class FrameTooLong(SyslogError):
    """A frame declared a length above :data:`MAX_FRAME`; the stream cannot be trusted.

    ``frames`` holds the messages that were complete before it.
    """

    frames: list[bytes] = []


@dataclass(frozen=True, slots=True)
class Message:
    """One log line with its origin."""

    app: str
    proc: str
    text: str
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    severity: int = INFO
    facility: int = FACILITY_USER
    hostname: str = NIL
    #: The container the line came from, and its sequence there (dedupe key).
    source: str = ""
    seq: int | None = None

    def with_text(self, text: str) -> Message:
        """Return a copy carrying ``text``."""
        return replace(self, text=text)


# -- time ---------------------------------------------------------------------

def format_time(moment: datetime) -> str:
    """Return RFC 3339 UTC with microseconds: ``2016-01-19T17:03:12.000123Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    """Parse an RFC 3339 time (any fraction length, ``Z`` or offset)."""
    if text == NIL:
        return datetime.now(UTC)
    main, sep, rest = text.partition(".")
    if sep:  # Python takes at most 6 fraction digits; docker sends 9.
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{main}.{rest[:min(digits, 6)].ljust(6, '0')}{rest[digits:]}"
    try:
        moment = datetime.fromisoformat(text.replace("UTC", "Z"))
    except ValueError as exc:
        raise SyslogError(f"bad timestamp {text!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- RFC 5424 -----------------------------------------------------------------

def encode(message: Message) -> bytes:
    """Return ``message`` as an RFC 5424 message (without framing)."""
    pri = message.facility * 8 + message.severity
    header = " ".join((
        f"<{pri}>1", format_time(message.time), _token(message.hostname),
        _token(message.app), _token(message.proc), NIL, _structured_data(message),
    ))
    return f"{header} {message.text}".encode("utf-8", ERRORS)


def frame(message: Message) -> bytes:
    """Return ``message`` octet-counted (RFC 6587 §3.4.1): ``<length> <message>``."""
    body = encode(message)
    return b"%d %s" % (len(body), body)


def decode(data: bytes) -> Message:
    """Parse one RFC 5424 message or one v1 ``<time> <app>[<proc>]: msg`` line."""
    if data.startswith(b"<"):
        pri, _, rest = data[1:].partition(b">")
        if rest.startswith(b"1 "):
            return _decode_5424(_priority(pri), rest[2:])
        return _decode_v1(rest, _priority(pri))
    return _decode_v1(data, FACILITY_USER * 8 + INFO)


def _decode_5424(pri: int, rest: bytes) -> Message:
    parts = rest.split(b" ", 5)
    if len(parts) == 5:  # no MSG after the structured data
        parts.append(b"")
    if len(parts) < 6:
        raise SyslogError("RFC 5424 header is incomplete")
    stamp, host, app, proc, _msgid = (p.decode("utf-8", ERRORS) for p in parts[:5])
    tail = parts[5]
    params, text = _split_structured_data(tail)
    if app == NIL:
        raise SyslogError("message has no APP-NAME")
    seq = params.get("s", "")
    return Message(
        app=app, proc="" if proc == NIL else proc, text=text, time=parse_time(stamp),
        severity=pri % 8, facility=pri // 8, hostname=host,
        source=params.get("c", ""), seq=int(seq) if seq.isdigit() else None,
    )


def _decode_v1(data: bytes, pri: int) -> Message:
    match = _V1_LINE.match(data)
    if not match:
        raise SyslogError("line is neither RFC 5424 nor '<time> <app>[<proc>]: msg'")
    return Message(
        app=match["app"].decode("utf-8", ERRORS), proc=match["proc"].decode("utf-8", ERRORS),
        text=match["text"].decode("utf-8", ERRORS), time=parse_time(match["time"].decode("ascii", ERRORS)),
        severity=pri % 8, facility=pri // 8,
    )


def _priority(raw: bytes) -> int:
    if not raw.isdigit() or int(raw) > 191:
        raise SyslogError(f"bad PRI {raw[:8]!r}")
    return int(raw)


def _token(value: str) -> str:
    """Header fields are printable ASCII without spaces; anything else becomes ``_``."""
    cleaned = "".join(ch if "!" <= ch <= "~" else "_" for ch in value)
    return cleaned or NIL


def _structured_data(message: Message) -> str:
    if not message.source:
        return NIL
    params = f'c="{_escape(message.source)}"'
    if message.seq is not None:
        params += f' s="{message.seq}"'
    return f"[{SD_ID} {params}]"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def _split_structured_data(tail: bytes) -> tuple[dict[str, str], str]:
    """Return our element's params and the MSG after the structured data."""
    if tail.startswith(b"-"):
        return {}, _message_text(tail[2:])
    params: dict[str, str] = {}
    position = 0
    while tail[position:position + 1] == b"[":
        end = _element_end(tail, position)
        element = tail[position + 1:end].decode("utf-8", ERRORS)
        sd_id, _, body = element.partition(" ")
        if sd_id == SD_ID:
            params = {k: re.sub(r"\\(.)", r"\1", v) for k, v in _SD_PARAM.findall(body)}
        position = end + 1
    return params, _message_text(tail[position + 1:])


def _element_end(tail: bytes, start: int) -> int:
    """Return the index of the ``]`` closing the element at ``start`` (escapes honoured)."""
    index, quoted = start + 1, False
    while index < len(tail):
        char = tail[index:index + 1]
        if char == b"\\":
            index += 2
            continue
        if char == b'"':
            quoted = not quoted
        elif char == b"]" and not quoted:
            return index
        index += 1
    raise SyslogError("structured data is not closed")


def _message_text(raw: bytes) -> str:
    return (raw[3:] if raw.startswith(_BOM) else raw).decode("utf-8", ERRORS)


# -- the deis logs line -------------------------------------------------------

def format_line(message: Message) -> str:
    """Return ``<RFC 3339 time> <app>[<proc>]: <message>`` as ``deis logs`` prints it."""
    return f"{format_time(message.time)} {message.app}[{message.proc}]: {message.text}"


def parse_line(line: str) -> Message:
    """Parse a ``deis logs`` line back into a :class:`Message`."""
    return _decode_v1(line.encode("utf-8", ERRORS), FACILITY_USER * 8 + INFO)


# -- framing ------------------------------------------------------------------

class FrameReader:
    """Split a TCP byte stream into messages, one :meth:`feed` at a time.

    A frame is octet-counted (``<digits> SP <message>``) or, as v1 senders and
    ``logger -n`` do, a line ended by ``\\n``. Which one is decided per frame:
    digits followed by a space start a counted frame; v1 lines start with a
    time such as ``2016-…``, where a ``-`` follows the digits. A counted length
    above ``max_frame`` raises :class:`FrameTooLong`; an over-long line is cut
    at ``max_frame`` and the rest of it returned as further pieces, so one
    sender can never make the reader hold unbounded memory.
    """

    def __init__(self, max_frame: int = MAX_FRAME):
        self.max_frame = max_frame
        self._buffer = bytearray()

    @property
    def pending(self) -> int:
        """Bytes received that do not form a whole frame yet."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        """Add ``data``; return every message now complete, in order."""
        self._buffer += data
        frames: list[bytes] = []
        while self._buffer:
            try:
                body = self._next()
            except FrameTooLong as exc:
                exc.frames = frames
                raise
            if body is None:
                break
            if body:
                frames.append(body)
        return frames

    def _next(self) -> bytes | None:
        buffer = self._buffer
        digits = 0
        while digits < len(buffer) and 48 <= buffer[digits] <= 57 and digits < 12:
            digits += 1
        if digits == len(buffer):
            return None  # only digits so far: wait to see what follows
        if digits and buffer[digits] == 32:
            return self._counted(digits)
        return self._line()

    def _counted(self, digits: int) -> bytes | None:
        length = int(self._buffer[:digits])
        if length > self.max_frame:
            raise FrameTooLong(f"frame declares {length} bytes (limit {self.max_frame})")
        end = digits + 1 + length
        if len(self._buffer) < end:
            return None
        body = bytes(self._buffer[digits + 1:end])
        del self._buffer[:end]
        return body

    def _line(self) -> bytes | None:
        end = self._buffer.find(b"\n", 0, self.max_frame + 1)
        if end < 0:
            if len(self._buffer) <= self.max_frame:
                return None
            body = bytes(self._buffer[:self.max_frame])
            del self._buffer[:self.max_frame]
            return body
        body = bytes(self._buffer[:end]).rstrip(b"\r")
        del self._buffer[:end + 1]
        return body

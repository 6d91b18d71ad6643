"""Per-app logs in the store: append, last N lines, follow, delete, store once.

Each app's log is a :class:`store.SegmentLog` at ``logs/<app>``. A stored
record is ``<mark> <deis logs line>``: the mark is ``<container>/<sequence>``
for lines logspout sent (``-`` otherwise). Readers never see it; it lets the
logger store a line once even when logspout resends it after a reconnect —
the highest sequence per container is kept in memory and, after a restart,
read back from the newest segments of an app the first time it is written.

Lines nobody can be attributed to go to the platform log ``deis`` (a name no
app may take), and an error on one app never stops the others (Deis v1's
logger stopped storing everything after one such line, #3709).
"""

from __future__ import annotations

import collections
import re
import threading
from collections.abc import Iterable

from deis import syslog
from store import Backend, SegmentLog

#: The platform log: unattributable lines and the logger's own notices.
PLATFORM = "deis"
#: Names a log may be stored under (app ids, platform container names).
_STORABLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")
#: Sources (container ids) a dedupe mark may name.
_SOURCE = re.compile(r"^[A-Za-z0-9._-]{1,128}\Z")
#: Segments read back for dedupe marks after a restart.
MARK_SEGMENTS = 2
#: Lines a follower may fall behind before it is cut off.
FOLLOW_BACKLOG = 10_000


def storage_name(app: str) -> str:
    """Return the log ``app``'s lines are stored in (the platform log for odd names)."""
    return app if _STORABLE.match(app) else PLATFORM


class Follower:
    """A reader of new lines of one app, fed by :meth:`Logbook.record`."""

    def __init__(self, backlog: int = FOLLOW_BACKLOG):
        self.backlog = backlog
        self.overflowed = False
        self._lines: collections.deque[bytes] = collections.deque()
        self._ready = threading.Condition()

    def push(self, lines: list[bytes]) -> None:
        """Queue ``lines``; past the backlog the follower is marked overflowed."""
        with self._ready:
            if len(self._lines) + len(lines) > self.backlog:
                self.overflowed = True
            else:
                self._lines.extend(lines)
            self._ready.notify()

    def take(self, timeout: float) -> list[bytes]:
        """Return the queued lines, waiting up to ``timeout`` for one."""
        with self._ready:
            if not self._lines and not self.overflowed:
                self._ready.wait(timeout)
            lines = list(self._lines)
            self._lines.clear()
            return lines


class AppLog:
    """One app's segments, dedupe marks and followers (guarded by the log's lock)."""

    def __init__(self, segments: SegmentLog):
        self.segments = segments
        self.marks: dict[str, int] | None = None
        self.followers: set[Follower] = set()

    def load_marks(self) -> dict[str, int]:
        """Return the highest sequence stored per container, reading it back once."""
        if self.marks is None:
            self.marks = {}
            for key in self.segments.segments()[-MARK_SEGMENTS:]:
                for record in self.segments.store.get(key).split(b"\n"):
                    _note_mark(self.marks, record.split(b" ", 1)[0])
        return self.marks


class Logbook:
    """Every app's log in one store."""

    def __init__(self, store: Backend, segment_bytes: int = 8 << 20, keep: int = 4):
        self.store = store
        self.segment_bytes = segment_bytes
        self.keep = keep
        self.stats = collections.Counter()
        self._logs: dict[str, AppLog] = {}
        self._lock = threading.Lock()

    def record(self, messages: Iterable[syslog.Message]) -> int:
        """Store ``messages`` in order, each once; return how many were new."""
        by_log: dict[str, list[syslog.Message]] = {}
        for message in messages:
            by_log.setdefault(storage_name(message.app), []).append(message)
        return sum(self._record_into(name, batch) for name, batch in by_log.items())

    def tail(self, app: str, lines: int) -> list[bytes]:
        """Return the last ``lines`` lines of ``app`` as ``deis logs`` prints them."""
        return [_line_of(record) for record in self._log(app).segments.tail(lines)]

    def follow(self, app: str, lines: int = 0) -> tuple[list[bytes], Follower]:
        """Return the last ``lines`` lines and a follower of the next ones, with no gap between."""
        log = self._log(app)
        follower = Follower()
        with log.segments.lock:
            recent = self.tail(app, lines) if lines > 0 else []
            log.followers.add(follower)
        return recent, follower

    def unfollow(self, app: str, follower: Follower) -> None:
        """Stop feeding ``follower``."""
        log = self._log(app)
        with log.segments.lock:
            log.followers.discard(follower)

    def delete(self, app: str) -> int:
        """Delete ``app``'s log; return how many segments went."""
        log = self._log(app)
        with log.segments.lock:
            log.marks = {}
            return log.segments.delete()

    def _record_into(self, name: str, messages: list[syslog.Message]) -> int:
        log = self._log(name)
        with log.segments.lock:
            marks = dict(log.load_marks())
            fresh = _fresh(marks, messages)
            if not fresh:
                self.stats["duplicates"] += len(messages)
                return 0
            lines = [line for message in fresh for line in _lines_of(message)]
            try:
                log.segments.append(b"".join(_record_of(message, line) for message, line in lines))
            except BaseException:
                # Not stored, or stored without our knowing (a timed-out append may still land): the
                # marks are read back from the store next time, so a resend is stored exactly once.
                log.marks = None
                raise
            log.marks = marks
            for follower in list(log.followers):
                follower.push([line for _, line in lines])
        self.stats["stored"] += len(lines)
        self.stats["duplicates"] += len(messages) - len(fresh)
        return len(fresh)

    def _log(self, name: str) -> AppLog:
        name = storage_name(name)
        with self._lock:
            log = self._logs.get(name)
            if log is None:
                segments = SegmentLog(self.store, f"logs/{name}", self.segment_bytes, self.keep)
                log = self._logs[name] = AppLog(segments)
            return log


def _fresh(marks: dict[str, int], messages: list[syslog.Message]) -> list[syslog.Message]:
    """Return the messages not stored yet, and raise the marks past them."""
    fresh = []
    for message in messages:
        if _marked(message):
            if message.seq <= marks.get(message.source, -1):
                continue
            marks[message.source] = message.seq
        fresh.append(message)
    return fresh


def _lines_of(message: syslog.Message) -> list[tuple[syslog.Message, bytes]]:
    """Render ``message``; a multi-line message becomes one stored line per line."""
    texts = message.text.split("\n") if "\n" in message.text else [message.text]
    return [(message, syslog.format_line(message.with_text(text)).encode("utf-8", syslog.ERRORS))
            for text in texts]


def _marked(message: syslog.Message) -> bool:
    return message.seq is not None and bool(_SOURCE.match(message.source))


def _record_of(message: syslog.Message, line: bytes) -> bytes:
    if _marked(message):
        return b"%s/%d %s\n" % (message.source.encode("utf-8", syslog.ERRORS), message.seq, line)
    return b"- %s\n" % line


def _line_of(record: bytes) -> bytes:
    return record.split(b" ", 1)[1] if b" " in record else record


def _note_mark(marks: dict[str, int], mark: bytes) -> None:
    source, _, seq = mark.rpartition(b"/")
    if source and seq.isdigit():
        key = source.decode("utf-8", syslog.ERRORS)
        marks[key] = max(marks.get(key, -1), int(seq))

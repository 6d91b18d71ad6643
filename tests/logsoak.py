"""Numbered log lines under faults (reliability-plan T8): the workload, the faults and the figures.

Shared by ``tests/integration/test_logs_faults.py`` (the CI variant) and
``bench/logs_faults.py`` (the full-size soak), so that both count the same way.

The workload: containers named ``<app>_v1.web.<n>`` (two per app, with the
log driver app containers get, ``controller.scheduler.docker.LOG_CONFIG``)
print numbered lines ``c<k>-<number> <body>``. Every ``big_every``-th line is
exactly 64 KiB (multi-byte UTF-8, an invalid byte and a NUL inside it); every
tenth line (number ending in 3) carries invalid UTF-8 and a NUL; lines ending
in 7 carry multi-byte UTF-8. Each container's output is written in chunks of
several lines with one ``cat`` each (multi-line writes), and every chunk
boundary cuts a line in two (a partial write that Docker must join).

"Intact" means byte for byte what the pipeline documents
(``logspout/follower.py``): Docker's json-file driver stores a line as a
JSON string, so each byte that is not part of valid UTF-8 becomes U+FFFD
(Go's rule: one per byte, :func:`as_docker_keeps`); NUL and valid UTF-8 are
kept, and from logspout on every byte is kept (``surrogateescape``). A line
is intact when the text the logger serves, encoded back with
:data:`deis.syslog.ERRORS`, equals that, without the newline.
"""

from __future__ import annotations

import codecs
import collections
import io
import re
import tarfile
import time
from dataclasses import dataclass, field
from datetime import datetime

import docker

from controller.scheduler.docker import LOG_CONFIG
from deis import syslog
from tests.logspouts import LABEL
from tests.services import wait_until

BIG = 64 * 1024
#: Docker cuts a line into 16 KiB entries; UTF-8 characters are put across each cut.
DOCKER_CUT = 16 * 1024
DROP_NOTICE = "logspout dropped "
_HEAD = re.compile(rb"^c(\d+)-(\d+) ")
#: A duplicate counts as "around a fault" when written this close to one (seconds).
AROUND = 5.0


def line_bytes(container: int, number: int, big_every: int = 100) -> bytes:
    """The bytes container ``container`` prints as line ``number`` (without the newline)."""
    head = b"c%d-%06d " % (container, number)
    if big_every and number % big_every == 0:
        line = bytearray(b"x" * BIG)
        line[:len(head)] = head
        line[10_000:10_009] = "é€🚀".encode()
        line[40_000:40_004] = b"\xff\x00\xfe!"
        return bytes(line)
    if number % 10 == 3:
        return head + b"bad \xff\xfe \xc3( nul\x00 end \xe2\x82"
    if number % 10 == 7:
        return head + "utf-8 café ✓ 日本 🚀".encode()
    return head + b"ok"


def _one_per_byte(error: UnicodeDecodeError) -> tuple[str, int]:
    return "\ufffd", error.start + 1


codecs.register_error("deis-test-go-json", _one_per_byte)


def as_docker_keeps(data: bytes) -> bytes:
    """Return ``data`` as Docker's json-file driver hands it back: each invalid UTF-8 byte as U+FFFD.

    Go's JSON encoder replaces every byte that does not start a valid UTF-8
    sequence with U+FFFD and goes on at the next byte (so a truncated
    3-byte character becomes two); Python's ``replace`` would make one.
    """
    return data.decode("utf-8", "deis-test-go-json").encode("utf-8")


def kind_of(number: int, big_every: int = 100) -> str:
    """``big``, ``odd`` (invalid UTF-8 and NUL), or ``plain``."""
    if big_every and number % big_every == 0:
        return "big"
    return "odd" if number % 10 == 3 else "plain"


@dataclass
class Writer:
    """One container of the workload."""

    index: int
    app: str
    proc: str
    container: object
    lines: int
    big_every: int

    def expected(self, number: int) -> bytes:
        """The bytes of this container's line ``number`` as the logger must serve them."""
        return as_docker_keeps(line_bytes(self.index, number, self.big_every))


def feed_tar(index: int, lines: int, per_chunk: int, big_every: int) -> bytes:
    """A tarball of ``/feed/<chunk>`` files holding a container's output in chunks of ``per_chunk`` lines.

    Each chunk after the first starts 3 bytes into its first line: the line
    before the cut is written by one ``cat``, the rest by the next one.
    """
    stream = bytearray()
    starts = []
    for number in range(1, lines + 1):
        if (number - 1) % per_chunk == 0:
            starts.append(len(stream) + (3 if number > 1 else 0))
        stream += line_bytes(index, number, big_every) + b"\n"
    starts.append(len(stream))
    return tarball({f"feed/{chunk:06d}": bytes(stream[start:end])
                    for chunk, (start, end) in enumerate(zip(starts, starts[1:], strict=False))})


def tarball(files: dict[str, bytes]) -> bytes:
    """A tarball of ``files`` (path: content) and their folders, for ``put_archive``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for folder in sorted({path.rsplit("/", 1)[0] for path in files if "/" in path}):
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for path, content in files.items():
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(content), 0o644
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def start_writers(client: docker.DockerClient, image: str, run_id: str, prefix: str, containers: int,
                  lines: int, rate: float, big_every: int = 100, tick: float = 0.1) -> list[Writer]:
    """Create and start ``containers`` writers of ``lines`` lines each at about ``rate`` lines/s each."""
    per_chunk = max(1, round(rate * tick))
    script = f"for f in /feed/*; do cat $f; sleep {tick}; done"
    writers = []
    for index in range(containers):
        app, proc = f"{prefix}-{index // 2}", f"web.{index % 2 + 1}"
        container = client.containers.create(image, ["sh", "-c", script], name=f"{app}_v1.{proc}",
                                             labels={LABEL: run_id}, log_config=LOG_CONFIG)
        container.put_archive("/", feed_tar(index, lines, per_chunk, big_every))
        writers.append(Writer(index, app, proc, container, lines, big_every))
    for writer in writers:
        writer.container.start()
    return writers


def remove_writers(writers: list[Writer]) -> None:
    """Remove the workload's containers."""
    for writer in writers:
        try:
            writer.container.remove(force=True)
        except docker.errors.NotFound:
            pass


# -- faults -----------------------------------------------------------------

@dataclass
class Fault:
    """One fault done: what, when (epoch seconds) and what it hit."""

    kind: str
    start: float
    end: float
    hit: int | None = None


class FaultPlan:
    """Does faults to a running pipeline (a :class:`tests.services.LoggerProcess`,
    a :class:`tests.logspouts.LogspoutProcess`, a :class:`tests.faultproxy.FaultProxy`)
    and remembers them."""

    def __init__(self, logger, logspout, proxy=None):
        self.logger = logger
        self.logspout = logspout
        self.proxy = proxy
        self.done: list[Fault] = []

    def do(self, kind: str, away: float = 0.0) -> Fault:
        """Do one fault: ``logger`` (kill -9, restarted after ``away`` s), ``logspout`` (kill -9,
        restarted), or ``reset`` (every connection through the proxy reset)."""
        start, hit = time.time(), None
        if kind == "logger":
            self.logger.kill()
            time.sleep(away)
            self.logger.start()
        elif kind == "logspout":
            self.logspout.kill()
            self.logspout.start()
        elif kind == "reset":
            # A reset must hit a connection: wait for logspout to be connected.
            wait_until(lambda: self.proxy.connections, 10, interval=0.05, what="a connection to reset")
            hit = self.proxy.reset()
        else:
            raise ValueError(f"unknown fault {kind!r}")
        fault = Fault(kind, start, time.time(), hit)
        self.done.append(fault)
        return fault

    def run(self, kinds: list[str], gap: float) -> None:
        """Do ``kinds`` in order, ``gap`` seconds apart."""
        for kind in kinds:
            time.sleep(gap)
            self.do(kind)


def fault_summary(faults: list[Fault]) -> str:
    """One line: each kind of fault, how many, and what the resets hit."""
    counts = collections.Counter(f.kind for f in faults)
    names = {"logger": "logger kill -9", "logspout": "logspout kill -9", "reset": "TCP reset"}
    parts = [f"{names[k]} x{n}" for k, n in counts.items()]
    hits = [f.hit for f in faults if f.kind == "reset"]
    if hits:
        parts.append(f"connections reset per reset {hits}")
    downs = [f.end - f.start for f in faults if f.kind == "logger"]
    if downs:
        parts.append(f"logger down {min(downs):.1f}-{max(downs):.1f} s per kill")
    return ", ".join(parts)


# -- figures ----------------------------------------------------------------

@dataclass
class ContainerFigures:
    """What the logger holds of one container's lines."""

    numbers: list[int] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)
    damaged: collections.Counter = field(default_factory=collections.Counter)
    intact: collections.Counter = field(default_factory=collections.Counter)
    dropped: int = 0
    notices: int = 0
    #: Lines in the writers' logs that are neither a numbered line nor a drop notice (e.g. a line cut in two).
    stray: int = 0
    #: Each drop notice's count, in the order stored.
    notice_counts: list[int] = field(default_factory=list)
    misattributed: int = 0


@dataclass
class Figures:
    """Lost, duplicated, reordered and damaged lines over a run, from their sequence numbers."""

    writers: list[Writer]
    per: dict[int, ContainerFigures]
    faults: list[Fault] = field(default_factory=list)

    @property
    def written(self) -> int:
        """Lines the containers printed."""
        return sum(w.lines for w in self.writers)

    def lost(self, index: int) -> int:
        """Lines of container ``index`` not stored (dropped with a notice or not)."""
        return self.writers[index].lines - len(set(self.per[index].numbers))

    def gaps(self, index: int) -> list[tuple[int, int]]:
        """The runs of line numbers of container ``index`` not stored, as (first, last)."""
        stored, runs = set(self.per[index].numbers), []
        for number in range(1, self.writers[index].lines + 1):
            if number in stored:
                continue
            if runs and runs[-1][1] == number - 1:
                runs[-1] = (runs[-1][0], number)
            else:
                runs.append((number, number))
        return runs

    @property
    def total_lost(self) -> int:
        """Lines not stored, all containers."""
        return sum(self.lost(w.index) for w in self.writers)

    @property
    def duplicates(self) -> int:
        """Lines stored more than once (each extra copy counts)."""
        return sum(len(f.numbers) - len(set(f.numbers)) for f in self.per.values())

    @property
    def reordered(self) -> int:
        """Places where a container's first copies of lines go backwards."""
        count = 0
        for figures in self.per.values():
            first = list(dict.fromkeys(figures.numbers))
            count += sum(1 for a, b in zip(first, first[1:], strict=False) if b < a)
        return count

    @property
    def duplicates_away_from_faults(self) -> int:
        """Duplicates written more than :data:`AROUND` s from every fault."""
        away = 0
        for figures in self.per.values():
            seen = set()
            for number, moment in zip(figures.numbers, figures.times, strict=True):
                if number in seen and not self._near_fault(moment.timestamp()):
                    away += 1
                seen.add(number)
        return away

    def _near_fault(self, when: float) -> bool:
        return any(f.start - AROUND <= when <= f.end + AROUND for f in self.faults)

    def count(self, what: str, kind: str) -> int:
        """Lines of ``kind`` (big, odd, plain) stored ``intact`` or ``damaged``."""
        return sum(getattr(f, what)[kind] for f in self.per.values())

    def expected(self, kind: str) -> int:
        """Lines of ``kind`` written."""
        return sum(1 for w in self.writers for n in range(1, w.lines + 1) if kind_of(n, w.big_every) == kind)

    @property
    def stray(self) -> int:
        """Lines in the writers' logs that none of them wrote as such."""
        return sum(f.stray for f in self.per.values())

    @property
    def misattributed(self) -> int:
        """Lines stored under another container's app or process than the one that wrote them."""
        return sum(f.misattributed for f in self.per.values())

    def report(self, title: str, seconds: float) -> str:
        """The figures as printed by the test and the bench."""
        dup_share = 100 * self.duplicates / max(self.written, 1)
        lines = [
            f"{title}: {len(self.writers)} containers x {self.writers[0].lines} lines = {self.written} "
            f"in {seconds:.1f} s ({self.written / max(seconds, 0.1):,.0f} lines/s written to stored)",
        ]
        if self.faults:
            lines.append("faults: " + fault_summary(self.faults))
        lines += [
            f"lost {self.total_lost}; duplicates {self.duplicates} ({dup_share:.2f} %, "
            f"{self.duplicates_away_from_faults} more than {AROUND:.0f} s from a fault); "
            f"reordered {self.reordered}; misattributed {self.misattributed}; stray lines {self.stray}",
            f"64 KiB lines intact {self.count('intact', 'big')}/{self.expected('big')}, "
            f"invalid UTF-8 + NUL lines intact {self.count('intact', 'odd')}/{self.expected('odd')}, "
            f"damaged lines {sum(sum(f.damaged.values()) for f in self.per.values())}",
        ]
        notices = sum(f.notices for f in self.per.values())
        if notices:
            for writer in self.writers:
                figures = self.per[writer.index]
                lines.append(f"overflow {writer.app}[{writer.proc}]: drop notices {figures.notice_counts} counting "
                             f"{figures.dropped} lines; missing {self.lost(writer.index)} "
                             f"(gaps {self.gaps(writer.index)})")
        return "\n".join(lines)


def stored_lines(logger, app: str) -> list[syslog.Message]:
    """Every line the logger serves for ``app``, parsed."""
    return [syslog.parse_line(line) for line in logger.lines(app, 10_000_000)]


def measure(logger, writers: list[Writer], faults: list[Fault] | None = None) -> Figures:
    """Read back every writer's lines from the logger and count."""
    per = {w.index: ContainerFigures() for w in writers}
    for app in dict.fromkeys(w.app for w in writers):
        for message in stored_lines(logger, app):
            _count(message, writers, per)
    return Figures(writers, per, list(faults or []))


def _count(message: syslog.Message, writers: list[Writer], per: dict[int, ContainerFigures]) -> None:
    writer = next((w for w in writers if (w.app, w.proc) == (message.app, message.proc)), None)
    if message.text.startswith(DROP_NOTICE) and writer is not None:
        count = int(message.text.split()[2])
        per[writer.index].notices += 1
        per[writer.index].dropped += count
        per[writer.index].notice_counts.append(count)
        return
    data = message.text.encode("utf-8", syslog.ERRORS)
    head = _HEAD.match(data)
    if head is None or int(head[1]) not in per:
        if writer is not None:
            per[writer.index].stray += 1
        return
    index, number = int(head[1]), int(head[2])
    figures, author = per[index], writers[index]
    if writer is not author:
        figures.misattributed += 1
    figures.numbers.append(number)
    figures.times.append(message.time)
    kind = kind_of(number, author.big_every)
    (figures.intact if data == author.expected(number) else figures.damaged)[kind] += 1


def wait_until_complete(logger, writers: list[Writer], timeout: float, settle: float = 1.5,
                        faults: list[Fault] | None = None) -> Figures:
    """Wait until every writer has exited and each of its lines is stored or counted as dropped.

    Then wait ``settle`` seconds more (so late duplicates show) and measure.
    Returns the figures even on timeout: a shortfall is a figure, not a crash.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(exited(w) for w in writers):
            figures = measure(logger, writers)
            if all(len(set(figures.per[w.index].numbers)) + figures.per[w.index].dropped >= w.lines
                   for w in writers):
                break
        time.sleep(2)
    time.sleep(settle)
    return measure(logger, writers, faults)


def exited(writer: Writer) -> bool:
    """True when the writer's container has exited."""
    writer.container.reload()
    return writer.container.status == "exited"

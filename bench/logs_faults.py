"""Logs under faults at the full size of reliability-plan T8 (the CI variant: ``test_logs_faults.py``).

``python -m bench.logs_faults [--containers 10] [--lines 10000] [--rate 200] [--away 120]``
starts a real etcd, deis-logger behind a fault proxy (the logger announces
the proxy's address) and deis-logspout, and runs two phases:

1. faults: ``containers`` containers print ``lines`` numbered lines each at
   ``rate`` lines/s each (100,000 lines at ~2,000 lines/s by default) — 64 KiB
   lines, multi-line writes, invalid UTF-8 and NUL among them — while the
   logger is killed -9 five times, logspout twice, and the connection
   between them reset five times;
2. forced overflow: logspout with a 1 MiB + 1 MiB spool while the logger is
   away ``away`` seconds; the drop notices must count the missing lines.

It prints the same figures as the test, each with MET or MISSED against the
plan: 0 lost, duplicates ≤ 1 % and only around a fault, order kept, every
line intact, drop count equal to the missing lines.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

import docker

from tests import services
from tests.faultproxy import FaultProxy
from tests.logsoak import FaultPlan, Figures, remove_writers, start_writers, stored_lines, wait_until_complete
from tests.logspouts import LABEL, LogspoutProcess
from tests.services import LoggerProcess, wait_until

PROXY_HOST = "127.0.0.2"
FAULTS = ["logger", "reset", "logspout", "reset", "logger", "reset", "logger",
          "reset", "logspout", "logger", "reset", "logger"]


def verdict(ok: bool) -> str:
    """MET or MISSED."""
    return "MET" if ok else "MISSED"


def judge(figures: Figures, overflow: bool = False) -> list[str]:
    """The plan's figures for one phase, each MET or MISSED."""
    lines = []
    if overflow:
        for writer in figures.writers:
            kept = figures.per[writer.index]
            lines.append(f"  drop count {kept.dropped} == missing {figures.lost(writer.index)} "
                         f"({writer.proc}): {verdict(kept.dropped == figures.lost(writer.index) and kept.dropped > 0)}")
    else:
        lines.append(f"  0 lost: {verdict(figures.total_lost == 0)}")
        few = figures.duplicates * 100 <= figures.written and not figures.duplicates_away_from_faults
        lines.append(f"  duplicates <= 1 % and only around a fault: {verdict(few)}")
    lines.append(f"  order kept: {verdict(figures.reordered == 0)}")
    damaged = sum(sum(f.damaged.values()) for f in figures.per.values())
    lines.append(f"  lines intact (64 KiB, invalid UTF-8, NUL): {verdict(damaged == 0 and figures.stray == 0)}")
    return lines


def faults_phase(client, image, endpoint: str, tmp: Path, args) -> None:
    """Phase 1: kills and resets while the containers write."""
    run_id = uuid.uuid4().hex[:8]
    logger = LoggerProcess(endpoint, tmp / "store")
    logger.environ.update(DEIS_LOGGER_KEEPSEGMENTS="4096", HOST=PROXY_HOST)
    proxy = FaultProxy((PROXY_HOST, logger.port), ("127.0.0.1", logger.port)).start()
    logger.start()
    spout = LogspoutProcess(endpoint, tmp / "logspout", f"{LABEL}={run_id}").start()
    writers = []
    try:
        started = time.monotonic()
        writers = start_writers(client, image, run_id, f"bf-{run_id}", args.containers, args.lines, args.rate)
        wait_until(lambda: stored_lines(logger, writers[0].app), 60, interval=0.5, what="first lines stored")
        plan = FaultPlan(logger, spout, proxy)
        writing = args.lines / args.rate
        plan.run(FAULTS, gap=max(writing * 0.8 / len(FAULTS), 1.0))
        figures = wait_until_complete(logger, writers, timeout=600, faults=plan.done)
        print(figures.report("T8 soak, faults", time.monotonic() - started))
        print("\n".join(judge(figures)))
    finally:
        remove_writers(writers)
        spout.stop()
        logger.stop()
        proxy.stop()


def overflow_phase(client, image, endpoint: str, tmp: Path, args) -> None:
    """Phase 2: the logger away ``args.away`` seconds with a small spool."""
    run_id = uuid.uuid4().hex[:8]
    logger = LoggerProcess(endpoint, tmp / "store-overflow")
    logger.environ["DEIS_LOGGER_KEEPSEGMENTS"] = "4096"
    logger.start()
    spout = LogspoutProcess(endpoint, tmp / "logspout-overflow", f"{LABEL}={run_id}")
    spout.environ.update(DEIS_LOGSPOUT_MEMORYBYTES=str(1 << 20), DEIS_LOGSPOUT_DISKBYTES=str(1 << 20))
    spout.start()
    writers = []
    try:
        started = time.monotonic()
        lines = int(args.rate * (args.away + 20))
        writers = start_writers(client, image, run_id, f"bo-{run_id}", 2, lines, args.rate)
        wait_until(lambda: stored_lines(logger, writers[0].app), 60, interval=0.5, what="first lines stored")
        plan = FaultPlan(logger, spout)
        plan.do("logger", away=args.away)
        figures = wait_until_complete(logger, writers, timeout=600, faults=plan.done)
        print(figures.report(f"T8 soak, forced overflow (logger away {args.away:.0f} s, spool 1 MiB + 1 MiB)",
                             time.monotonic() - started))
        print("\n".join(judge(figures, overflow=True)))
    finally:
        remove_writers(writers)
        spout.stop()
        logger.stop()


def main(argv=None) -> None:
    """Run both phases with command-line sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--containers", type=int, default=10)
    parser.add_argument("--lines", type=int, default=10_000, help="lines per container")
    parser.add_argument("--rate", type=float, default=200, help="lines/s per container")
    parser.add_argument("--away", type=float, default=120, help="seconds the logger is away in the overflow phase")
    args = parser.parse_args(argv)
    os.environ.setdefault("DEIS_LOG_LEVEL", "WARNING")
    client = docker.from_env(timeout=120)
    image = services.ensure_base_image(client)
    with services.running_etcd() as endpoint, tempfile.TemporaryDirectory(prefix="deis-bench-logs-faults-") as tmp:
        faults_phase(client, image, endpoint, Path(tmp), args)
        overflow_phase(client, image, endpoint, Path(tmp), args)


if __name__ == "__main__":
    main()

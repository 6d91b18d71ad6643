"""Logs soak (reliability-plan T8 shape): containers → logspout → logger, with kills.

``python -m bench.logs [--containers 10] [--lines 10000] [--kills 5]`` starts a
real etcd, a real deis-logger and deis-logspout, runs containers printing
100-byte numbered lines, kills the logger (``kill -9``) and logspout during
the run, then prints lost / duplicated / reordered lines, sustained lines/s
from container stdout to stored, p99 write → visible in a follow stream, and
logger memory at rest and under load — next to a baseline measured in the
same run: raw TCP write speed of the same frames to a sink that only reads.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import docker
import psutil
import requests

from deis import syslog
from tests import services
from tests.logspouts import LABEL, LogspoutProcess
from tests.services import LoggerProcess

LINE = "x" * 80  # with the number, ~100-byte lines


def baseline_tcp(frames: list[bytes]) -> float:
    """Frames/s written over loopback TCP to a sink that only reads."""
    server = socket.create_server(("127.0.0.1", 0))
    sink = threading.Thread(target=lambda: _drain(server.accept()[0]), daemon=True)
    sink.start()
    started = time.perf_counter()
    with socket.create_connection(server.getsockname()) as connection:
        for start in range(0, len(frames), 500):
            connection.sendall(b"".join(frames[start:start + 500]))
    elapsed = time.perf_counter() - started
    server.close()
    return len(frames) / elapsed


def _drain(connection: socket.socket) -> None:
    while connection.recv(1 << 20):
        pass


def script(prefix: str, count: int) -> str:
    return f'i=1; while [ $i -le {count} ]; do echo {prefix}-$i-{LINE}; i=$((i+1)); done'


def follow_latencies(url: str, app: str, stop: threading.Event, out: list[float]) -> None:
    """Record (now - line time) for every line of ``app`` seen in the follow stream (reconnecting)."""
    while not stop.is_set():
        try:
            with requests.get(f"{url}/{app}", params={"follow": 1}, stream=True, timeout=(2, None)) as stream:
                for line in stream.iter_lines():
                    if stop.is_set():
                        return
                    moment = syslog.parse_line(line.decode("utf-8", syslog.ERRORS)).time
                    out.append((datetime.now(UTC) - moment).total_seconds())
        except (requests.RequestException, ValueError):
            time.sleep(0.3)


def count_results(logger: LoggerProcess, apps: list[str], lines: int) -> dict[str, int]:
    lost = duplicated = reordered = 0
    for app in apps:
        texts = [syslog.parse_line(x).text.split("-")[1] for x in logger.lines(app)]
        numbers = [int(n) for n in texts if n.isdigit()]
        lost += len(set(range(1, lines + 1)) - set(numbers))
        duplicated += len(numbers) - len(set(numbers))
        reordered += sum(1 for a, b in zip(numbers, numbers[1:], strict=False) if b < a)
    return {"lost": lost, "duplicated": duplicated, "reordered": reordered}


def run(containers: int, lines: int, kills: int) -> None:
    client = docker.from_env(timeout=120)
    image = services.ensure_base_image(client)
    run_id = uuid.uuid4().hex[:8]
    apps = [f"bench-{run_id}-{n}" for n in range(containers)]
    frames = [syslog.frame(syslog.Message("a", "web.1", f"line-{i}-{LINE}")) for i in range(containers * lines)]
    print(f"baseline: raw TCP write of the same frames: {baseline_tcp(frames):,.0f} lines/s")
    with services.running_etcd() as endpoint, tempfile.TemporaryDirectory(prefix="deis-bench-logs-") as tmp:
        logger = LoggerProcess(endpoint, Path(tmp) / "store").start()
        rest_rss = psutil.Process(logger.process.pid).memory_info().rss
        spout = LogspoutProcess(endpoint, Path(tmp) / "logspout", f"{LABEL}={run_id}").start()
        time.sleep(2)
        latencies: list[float] = []
        stop = threading.Event()
        threading.Thread(target=follow_latencies, args=(logger.url, apps[0], stop, latencies), daemon=True).start()
        started = time.monotonic()
        running = [client.containers.run(image, ["sh", "-c", script("line", lines)], detach=True,
                                         name=f"{app}_v1.web.1", labels={LABEL: run_id}) for app in apps]
        peak_rss = _kill_during(logger, spout, kills, apps, lines, started)
        total = sum(len(logger.lines(app)) for app in apps)
        elapsed = time.monotonic() - started
        stop.set()
        result = count_results(logger, apps, lines)
        print(f"lines: {containers} containers x {lines} = {containers * lines}; stored {total}")
        print(f"lost {result['lost']}, duplicated {result['duplicated']}, reordered {result['reordered']}")
        print(f"throughput (stdout to stored, including {kills} logger kills + 1 logspout kill): "
              f"{containers * lines / elapsed:,.0f} lines/s")
        if len(latencies) > 20:
            p99 = statistics.quantiles(latencies, n=100)[98]
            print(f"write -> visible in follow stream: p50 {statistics.median(latencies):.3f} s, p99 {p99:.3f} s"
                  " (stream restarts with each logger kill)")
        print(f"logger RSS: at rest {rest_rss / 2**20:.1f} MiB, peak under load {peak_rss / 2**20:.1f} MiB")
        for container in running:
            container.remove(force=True)
        spout.stop()
        logger.stop()


def _kill_during(logger, spout, kills, apps, lines, started) -> int:
    """Kill the logger ``kills`` times and logspout once while lines flow; return peak logger RSS."""
    peak, done_kills, spout_killed = 0, 0, False
    while True:
        peak = max(peak, _rss(logger))
        stored = sum(len(logger.lines(app, lines + 10)) for app in apps)
        if stored >= len(apps) * lines:
            return peak
        if time.monotonic() - started > 600:
            return peak
        if done_kills < kills and stored > (done_kills + 1) * len(apps) * lines / (kills + 2):
            logger.process.send_signal(signal.SIGKILL)
            logger.process.wait()
            logger.start()
            done_kills += 1
        elif not spout_killed and done_kills == kills:
            spout.kill()
            spout.start()
            spout_killed = True
        time.sleep(0.5)


def _rss(logger) -> int:
    try:
        return psutil.Process(logger.process.pid).memory_info().rss
    except psutil.Error:
        return 0


def main(argv=None) -> None:
    """Run the logs soak with command-line sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--containers", type=int, default=10)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--kills", type=int, default=5)
    args = parser.parse_args(argv)
    os.environ.setdefault("DEIS_LOG_LEVEL", "WARNING")
    run(args.containers, args.lines, args.kills)


if __name__ == "__main__":
    main()

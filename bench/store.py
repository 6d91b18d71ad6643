"""Store throughput per backend, next to the raw figures of the same run.

``python -m bench.store [--seconds 5]`` starts a throwaway single-node Ceph,
then for 4 KiB and 4 MiB objects measures put and get throughput (objects/s,
MB/s) and p50/p99 latency through the store API for ``file``, ``rados`` and
``s3`` — and beside them ``rados bench`` (write, seq read) and plain boto3
on the same cluster, so the store layer's own cost is visible. Last, lines/s
appended to a segment log per backend (S3 has no append: each one rewrites
the segment, which is why the logger uses RADOS on Ceph).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import tempfile
import time
import uuid

from store import SegmentLog, open_store
from store.ceph.cluster import POOL, environment
from tests.services import running_ceph

SIZES = {"4KiB": 4 << 10, "4MiB": 4 << 20}


def measure(label: str, put, get, size: int, seconds: float) -> None:
    """Put for ``seconds``, then get what was put; print rates and latencies."""
    data = os.urandom(size)
    keys, latencies = [], []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        key = f"bench/{uuid.uuid4().hex}"
        started = time.monotonic()
        put(key, data)
        latencies.append(time.monotonic() - started)
        keys.append(key)
    _report(label, "put", size, latencies)
    latencies = []
    for key in keys:
        started = time.monotonic()
        assert len(get(key)) == size
        latencies.append(time.monotonic() - started)
    _report(label, "get", size, latencies)


def _report(label: str, verb: str, size: int, latencies: list[float]) -> None:
    total = sum(latencies) or 1e-9
    p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) > 1 else latencies[0]
    print(f"{label:<14} {verb:<4} {size:>8} B  {len(latencies) / total:8.1f} obj/s  "
          f"{len(latencies) * size / total / 1e6:7.1f} MB/s  p50 {statistics.median(latencies) * 1e3:7.2f} ms  "
          f"p99 {p99 * 1e3:7.2f} ms")


def rados_bench(ceph, size: int, seconds: float) -> None:
    """Print ``rados bench`` write and sequential-read bandwidth (one thread, like our loop)."""
    base = ["rados", "-c", str(ceph.conf), "-k", str(ceph.cluster.layout.keyring("admin")), "-p", POOL]
    for mode in ("write", "seq"):
        argv = [*base, "bench", str(max(int(seconds), 1)), mode, "-t", "1"]
        argv += ["-b", str(size), "--no-cleanup"] if mode == "write" else []
        out = subprocess.run(argv, capture_output=True, text=True, env=environment(), check=True).stdout
        bandwidth = re.search(r"Bandwidth \(MB/sec\):\s+([\d.]+)", out)
        iops = re.search(r"Average IOPS:\s+([\d.]+)", out)
        print(f"{'rados bench':<14} {mode:<5} {size:>7} B  {float(iops.group(1)) if iops else 0:8.1f} obj/s  "
              f"{float(bandwidth.group(1)) * 1.048576 if bandwidth else 0:7.1f} MB/s")
    subprocess.run([*base, "cleanup"], capture_output=True, env=environment())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    with running_ceph() as ceph, tempfile.TemporaryDirectory() as folder:
        print(f"ceph bootstrapped in {ceph.bootstrap_seconds:.1f} s")
        bucket = f"bench-{uuid.uuid4().hex[:8]}"
        stores = {"file": open_store(f"file://{folder}"), "rados": open_store(ceph.rados_url("bench")),
                  "s3": ceph.s3_store(bucket)}
        raw = stores["s3"]._client
        for name, size in SIZES.items():
            print(f"--- {name}")
            for label, backend in stores.items():
                measure(f"store {label}", backend.put, backend.get, size, args.seconds)
            measure("raw boto3", lambda k, d: raw.put_object(Bucket=bucket, Key=k, Body=d),
                    lambda k: raw.get_object(Bucket=bucket, Key=k)["Body"].read(), size, args.seconds)
            rados_bench(ceph, size, args.seconds)
        print("--- log appends (50 lines of 100 B per append, one app's segment log)")
        for label, backend in stores.items():
            appends(label, backend, args.seconds)
        for backend in stores.values():
            backend.close()


def appends(label: str, backend, seconds: float, segment_bytes: int = 8 << 20) -> None:
    """Print lines/s appended through a :class:`store.SegmentLog`, as the logger appends them."""
    log = SegmentLog(backend, f"bench-{uuid.uuid4().hex[:8]}", segment_bytes=segment_bytes, keep=1000)
    batch = (b"x" * 99 + b"\n") * 50
    count, started = 0, time.monotonic()
    while time.monotonic() - started < seconds:
        log.append(batch)
        count += 1
    elapsed = time.monotonic() - started
    print(f"store {label:<8} append {count * 50 / elapsed:10,.0f} lines/s  ({count} appends, "
          f"{segment_bytes >> 20} MiB segments)")
    log.delete()


if __name__ == "__main__":
    main()

"""Route churn under load, the long variants of T5 (issue 17): 2 min (CI's figure) or 10 min (soak).

``python -m bench.router_churn [--seconds 120] [--streams 20] [--rate 100]``
(``--seconds 600`` for the soak) starts a throwaway etcd, the real
``deis-router`` process on free loopback ports and one app container (busybox
httpd on the test base image), then runs :func:`tests.route_churn.churn`: one
route change a second to app B while ``--rate`` requests/s (a new connection
each) and ``--streams`` long-lived responses go to app A. Long responses last
50 s each and are opened again in waves; nginx closes one only when it
outlives the router's ``worker_shutdown_timeout`` (60 s) after a reload, so
none is cut. It prints the same figures as ``test_router_faults`` and each
pass figure as MET or MISSED; it asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import uuid
from pathlib import Path

from deis.etcd import Etcd
from tests import services
from tests.route_churn import churn
from tests.router_process import RouterProcess, app_container


def run(seconds: float, streams: int, rate: float) -> None:
    """Churn for ``seconds`` and print the figures."""
    with services.running_etcd() as endpoint, services.running_docker() as client, \
            tempfile.TemporaryDirectory(prefix="deis-bench-churn-") as tmp:
        etcd = Etcd(endpoint)
        with app_container(client, services.ensure_base_image(client), label="bench-router-churn") as address:
            router = RouterProcess(endpoint, Path(tmp) / "deis").start()
            try:
                app = f"churn-{uuid.uuid4().hex[:6]}"
                report = churn(etcd, router, app, f"{app}b", address, seconds, streams=streams, rate=rate)
            finally:
                router.stop()
    print(f"route churn for {seconds:.0f} s, {rate:g} requests/s and {streams} long-lived responses to app A:")
    for line in report.lines():
        print(f"  {line}")
    for figure, met in report.verdicts().items():
        print(f"  {'MET   ' if met else 'MISSED'} {figure}")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark with command-line sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="120 (CI's figure) or 600 (soak)")
    parser.add_argument("--streams", type=int, default=20)
    parser.add_argument("--rate", type=float, default=100.0)
    args = parser.parse_args(argv)
    run(args.seconds, args.streams, args.rate)


if __name__ == "__main__":
    main()

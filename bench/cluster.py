"""Apps across hosts (issue 14): scale web=1->9 spread over 3 hosts vs on one host; a host's loss under load.

``python -m bench.cluster`` (as root) builds the multi-host bed of
``tests/cluster`` (3 hosts, one Swarm, 3 etcd members), runs a publisher on
every host and routers on h2 and h3 from the component images, and drives
the ``swarm`` backend through the controller's deployer (health probes from
the overlay, routes in etcd):

1. ``web=1 -> 9`` spread over the 3 hosts, timed from the scale to every
   container answering through h3's router; then the same with the app's
   tags pinning all 9 to h1 (one host), in the same run, and the ratio.
2. h2 cut off (its link down) under 50 requests/s through h3's router: when
   Swarm marked it down, when its route was withdrawn, when the last request
   failed (from then on 100 % success), when 3 containers ran again.

It prints the figures and asserts nothing; the bed is down when it ends.
"""

from __future__ import annotations

import argparse
import contextlib
import time

from controller.scheduler.swarm import SwarmScheduler
from controller.services.deploy import Deployer
from tests.cluster import mesh
from tests.cluster.apps import GRACE, answering, cut_off, deployer, new_app, web
from tests.cluster.testbed import Testbed

#: The node label (and app tag) that pins the one-host run to h1.
ONE_HOST = {"bench": "one"}


def scale_up(bed: Testbed, swarm: SwarmScheduler, deploy: Deployer, router: mesh.RouterOnNode, size: int,
             tags: dict[str, str]) -> tuple[float, dict[str, int]]:
    """Scale a new app from 1 to ``size`` web containers; return the seconds to all routed and containers per node."""
    app = new_app(bed)
    deploy.start(app, [web(app, 1, tags=tags)])
    started = time.monotonic()
    specs = [web(app, num, tags=tags) for num in range(1, size + 1)]
    deploy.start(app, specs[1:])
    nodes = {spec.name: swarm.state(spec.name).host for spec in specs}
    want = {f"{name} {node} v1" for name, node in nodes.items()}
    seen = answering(router, f"{app}.{mesh.DOMAIN}", want, timeout=60)
    seconds = time.monotonic() - started
    if seen != want:
        print(f"  (only {len(seen)} of {size} answered through {router.host.name} within 60 s)")
    for spec in specs:
        swarm.destroy(spec.name)
    per_node: dict[str, int] = {}
    for node in nodes.values():
        per_node[node] = per_node.get(node, 0) + 1
    return seconds, dict(sorted(per_node.items()))


def run(size: int) -> None:
    """Build the bed, measure, print, and take the bed down."""
    bed = Testbed(hosts=3)
    with bed.lock.held(timeout=600):
        bed.down()
        try:
            print(f"bed up in {bed.up():.1f} s")
            started = time.monotonic()
            routers = mesh.start(bed)
            print(f"publishers on 3 hosts, routers on {[r.host.name for r in routers]} in "
                  f"{time.monotonic() - started:.1f} s (images copied into the hosts' engines)")
            router = next(r for r in routers if r.host.name == "h3")
            swarm = SwarmScheduler(manager=bed.hosts[0].base_url, grace=GRACE)
            deploy = deployer(bed, swarm)

            spread, spread_nodes = scale_up(bed, swarm, deploy, router, size, {})
            print(f"web=1->{size} across 3 hosts: all routed after {spread:.1f} s {spread_nodes}")
            with contextlib.closing(bed.hosts[0].docker()) as leader:
                node = leader.nodes.get("h1")
                node.update({**node.attrs["Spec"], "Labels": ONE_HOST})
            one, one_nodes = scale_up(bed, swarm, deploy, router, size, ONE_HOST)
            print(f"web=1->{size} on one host:     all routed after {one:.1f} s {one_nodes}")
            print(f"one host / 3 hosts: {one / spread:.2f}")

            app = new_app(bed)
            specs = [web(app, num) for num in (1, 2, 3)]
            deploy.start(app, specs)
            result = cut_off(bed, swarm, deploy, router, app, specs, bed.host("h2"))
            print(result.line())
            print(f"host cut-off to 100 % success: {result.last_failure:.1f} s "
                  f"(route withdrawn after {result.withdrawn:.1f} s)")
        finally:
            print(f"bed down in {bed.down():.1f} s")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark with command-line sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=9, help="web containers to scale to (from 1)")
    args = parser.parse_args(argv)
    run(args.size)


if __name__ == "__main__":
    main()

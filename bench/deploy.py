"""From ``git push`` to traffic, config changes and scaling (issue 7's benchmark).

``python -m bench.deploy [--scale 10]`` starts one isolated platform (as
``deisctl`` does, on free ports) and measures, for a small Dockerfile app on
the local busybox image:

* **push -> first 200**: from starting ``git push`` of a new app to its first
  200 through the router, against ``docker build`` + ``docker run`` of the same
  tree to its first 200 directly from the container (target ratio ≤ 1.5);
* **config:set -> new release served**: from starting ``deis config:set`` to
  the router answering with the new release (target < 3 s);
* **ps:scale cmd=1 -> N**: from starting ``deis ps:scale cmd=N`` until all N
  routes are under ``/deis/services/<app>/`` in the platform's etcd and the
  router has answered from N distinct containers (target < 10 s).

A Dockerfile app without a Procfile runs the process type ``cmd`` (as in
Deis v1), so that is what is scaled (``--type`` to change). The platform goes
first each time. It prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import time
import uuid

from bench.platform_session import Session, body, moment, platform_session, verdict
from deis import keys
from tests import services

TARGET_PUSH_RATIO = 1.5
TARGET_CONFIG = 3.0
TARGET_SCALE = 10.0


def push_to_traffic(session: Session) -> str:
    """Print push -> first routed 200 against build + run -> first direct 200; return the app."""
    app, repo = session.new_app(uuid.uuid4().hex)
    push = session.push(app, repo)
    routed = moment(lambda: session.routed(app), 120, "the app's first 200 through the router") - push.started

    started = time.monotonic()
    image, build = session.baseline_build(session.baseline_tree(uuid.uuid4().hex),
                                          f"bench-baseline-{uuid.uuid4().hex[:8]}", "v1")
    container = session.baseline_run(image)
    address = services.wait_until(lambda: session.address(container), 30, 0.02, what="the container's address")
    answered = moment(lambda: body(f"http://{address}:5000/"), 60, "the container's first 200") - started

    ratio = routed / answered
    print("git push -> first 200 through the router vs docker build + docker run -> first 200:")
    print(f"  platform {routed:6.2f} s (git push -> done {push.to_done:.2f} s) | baseline {answered:6.2f} s "
          f"(docker build {build:.2f} s) | ratio {ratio:.2f} "
          f"(target <= {TARGET_PUSH_RATIO}: {verdict(ratio, TARGET_PUSH_RATIO)})")
    return app


def config_set(session: Session, app: str) -> None:
    """Print deis config:set -> the router serving the new release."""
    before = session.routed(app)
    release = int(before.split("release v", 1)[1].split()[0]) + 1
    started = time.monotonic()
    session.person.deis("config:set", f"BENCH={uuid.uuid4().hex[:8]}", "-a", app)
    returned = time.monotonic() - started
    served = moment(lambda: f"release v{release} " in (session.routed(app) or ""), 60,
                    f"release v{release} through the router") - started
    print(f"deis config:set -> release v{release} served through the router: {served:.2f} s "
          f"(the command returned at {returned:.2f} s) (target < {TARGET_CONFIG:g} s: "
          f"{verdict(served, TARGET_CONFIG)})")


def scale(session: Session, app: str, kind: str, count: int) -> None:
    """Print deis ps:scale <kind>=1 -> count until every container is in etcd and answered through the router."""
    etcd = session.platform.ctl.etcd
    hosts: set[str] = set()

    def routes() -> int:
        return len(etcd.get_prefix(keys.services(app))[0])

    def all_answered() -> bool:
        for _ in range(count):
            page = session.routed(app)
            if page and " host " in page:
                hosts.add(page.rsplit(" host ", 1)[1].strip())
        return len(hosts) >= count

    session.person.deis("ps:scale", f"{kind}=1", "-a", app)
    moment(lambda: routes() == 1, 30, "one route")
    started = time.monotonic()
    session.person.deis("ps:scale", f"{kind}={count}", "-a", app)
    returned = time.monotonic() - started
    in_etcd = moment(lambda: routes() == count, 60, f"{count} routes in etcd") - started
    served = moment(all_answered, 60, f"answers from {count} containers through the router") - started
    print(f"deis ps:scale {kind}=1 -> {kind}={count}:")
    print(f"  command returned {returned:.2f} s | {count} routes under {keys.services(app)} {in_etcd:.2f} s | "
          f"router answered from {len(hosts)} containers {served:.2f} s "
          f"(target < {TARGET_SCALE:g} s: {verdict(max(in_etcd, served), TARGET_SCALE)})")


def run(kind: str, count: int) -> None:
    """Start the platform; measure push, config:set and scale."""
    with platform_session("deploy") as session:
        app = push_to_traffic(session)
        config_set(session, app)
        scale(session, app, kind, count)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark with command-line sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--type", default="cmd", help="the process type to scale")
    parser.add_argument("--scale", type=int, default=10, help="how many containers to scale to from 1")
    args = parser.parse_args(argv)
    run(args.type, args.scale)


if __name__ == "__main__":
    main()

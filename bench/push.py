"""``git push`` of a Dockerfile app against ``docker build`` + ``docker push`` (issue 4's benchmark).

``python -m bench.push [--rounds 3]`` starts one isolated platform (as
``deisctl`` does, on free ports) and measures, for a small Dockerfile app on
the local busybox image:

* **cold**: the first ``git push`` of a new app, from starting git to
  ``done, <app>:v2`` in its output (build, push to the platform's registry,
  release, launch), against ``docker build`` + ``docker push`` of the same tree
  to the same registry (``127.0.0.1:$DEIS_REGISTRY_PORT``) under a new name;
* **warm**: a second push after a small change (``--rounds`` times, medians),
  against rebuilding and pushing the same change.

Each layer is made unique by a token in ``index.html``, so neither side reuses
the other's build cache; the platform always goes first, so the baseline,
not the platform, finds the base layer already in the registry. Target ratio
≤ 1.3. It prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import uuid

from bench.platform_session import Session, platform_session, verdict

TARGET_RATIO = 1.3


def baseline(session: Session, repository: str, tag: str) -> tuple[float, float]:
    """``docker build`` + ``docker push`` of a fresh tree; return the seconds of each."""
    folder = session.baseline_tree(uuid.uuid4().hex)
    image, build = session.baseline_build(folder, repository, tag)
    return build, session.docker("push", "-q", image)


def report(label: str, platform: float, built: float, build: float, push: float) -> None:
    ratio = platform / (build + push)
    print(f"  {label:<5} git push -> done {platform:6.2f} s (image built at {built:5.2f} s) | "
          f"docker build {build:5.2f} s + docker push {push:5.2f} s = {build + push:5.2f} s | "
          f"ratio {ratio:.2f} (target <= {TARGET_RATIO}: {verdict(ratio, TARGET_RATIO)})")


def run(rounds: int) -> None:
    """Start the platform; time cold and warm pushes next to their baselines."""
    with platform_session("push") as session:
        app, repo = session.new_app(uuid.uuid4().hex)
        cold = session.push(app, repo)
        repository = f"bench-baseline-{uuid.uuid4().hex[:8]}"
        cold_build, cold_push = baseline(session, repository, "cold")
        print("git push vs docker build + docker push of the same small Dockerfile app:")
        report("cold", cold.to_done, cold.to_built, cold_build, cold_push)
        warm, builds, pushes = [], [], []
        for number in range(rounds):
            session.change(repo, uuid.uuid4().hex)
            warm.append(session.push(app, repo))
            build, push = baseline(session, repository, f"warm{number}")
            builds.append(build)
            pushes.append(push)
        report("warm", statistics.median(p.to_done for p in warm),
               statistics.median(p.to_built for p in warm),
               statistics.median(builds), statistics.median(pushes))
        print(f"  warm runs (git push -> done / build + push): "
              f"{', '.join(f'{p.to_done:.2f}/{b + q:.2f}' for p, b, q in zip(warm, builds, pushes, strict=True))}")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark with command-line sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="warm pushes (medians are reported)")
    args = parser.parse_args(argv)
    run(args.rounds)


if __name__ == "__main__":
    main()

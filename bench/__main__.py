"""``python -m bench [name ...]`` runs the named benchmarks, or all of them.

Each prints its numbers and a ratio against a baseline measured in the same
run; none asserts a time (targets are printed as MET or MISSED).
"""

import importlib
import sys

BENCHMARKS = ("etcd_watch", "controller_api", "router", "router_churn", "logs", "logs_faults", "store",
              "database_restore", "push", "deploy", "cluster", "cluster_failover")


def main(names: list[str]) -> None:
    """Run ``names`` (default: every benchmark) one after another."""
    if names and names[0] in ("-h", "--help"):
        print(__doc__.strip() + "\n\nbenchmarks: " + " ".join(BENCHMARKS)
              + "\n(each has its own --help: python -m bench.<name> --help)")
        return
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        sys.exit(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    for name in names or BENCHMARKS:
        print(f"\n=== bench/{name}.py")
        module = importlib.import_module(f"bench.{name}")
        module.main() if name == "etcd_watch" else module.main([])


main(sys.argv[1:])

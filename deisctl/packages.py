"""Installing the Debian packages components need, with apt-get.

Services are not started by the packages' own scripts: a policy-rc.d that
forbids it is in place during the install (the Debian mechanism for exactly
this), because deisctl starts them itself, with data under the data directory,
and Debian's copies would take their ports.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from deis.errors import ConfigurationError

POLICY_RC_D = Path("/usr/sbin/policy-rc.d")


def missing(packages: Iterable[str]) -> list[str]:
    """Return the packages of ``packages`` that are not installed."""
    wanted = sorted(set(packages))
    if not wanted:
        return []
    result = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\n", *wanted],
        capture_output=True, text=True, check=False,
    )
    installed = {
        line.split()[0] for line in result.stdout.splitlines() if line.endswith(" installed")
    }
    return [name for name in wanted if name not in installed]


def ensure(packages: Iterable[str], echo=print) -> list[str]:
    """Install the missing packages of ``packages``; return what was installed.

    Raises ``ConfigurationError`` with the reason when that is impossible (not
    Debian, not root, apt failing).
    """
    if shutil.which("dpkg-query") is None or shutil.which("apt-get") is None:
        raise ConfigurationError(
            "this host has no apt-get/dpkg: deisctl installs its services from Debian packages; "
            "use Debian 12 or install " + " ".join(sorted(set(packages))) + " yourself"
        )
    needed = missing(packages)
    if not needed:
        return []
    if os.geteuid() != 0:
        raise ConfigurationError(
            f"packages {' '.join(needed)} are missing and installing them needs root: "
            f"run 'sudo apt-get install {' '.join(needed)}' or run deisctl as root"
        )
    echo(f"-----> Installing Debian packages: {' '.join(needed)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    with _services_not_started():
        _apt(["apt-get", "install", "-y", "-q", "--no-install-recommends", *needed], env, retry_update=True)
    return needed


def _apt(argv: list[str], env: dict[str, str], retry_update: bool) -> None:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0 and retry_update:
        # A fresh machine has no package lists yet (or stale ones): update once.
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=False)
        result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-8:])
        raise ConfigurationError(f"apt-get failed ({' '.join(argv)}):\n{tail}")


class _services_not_started:
    """Keep a policy-rc.d that denies service starts in place, if none is."""

    def __enter__(self):
        self.created = False
        if not POLICY_RC_D.exists():
            POLICY_RC_D.write_text("#!/bin/sh\n# deisctl: services are started by deisctl\nexit 101\n")
            POLICY_RC_D.chmod(0o755)
            self.created = True
        return self

    def __exit__(self, *exc_info):
        if self.created:
            POLICY_RC_D.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    """``python -m deisctl.packages all|<component>... [--also PKG...]``.

    Installs the Debian packages of components, built or not (the test suite
    needs PostgreSQL before the database component exists), plus extras.
    """
    import argparse

    from deisctl import components

    parser = argparse.ArgumentParser(prog="python -m deisctl.packages", description=main.__doc__)
    parser.add_argument("targets", nargs="+", help="'all' or component names")
    parser.add_argument("--also", nargs="*", default=[], metavar="PKG", help="more Debian packages")
    args = parser.parse_args(argv)
    chosen = components.COMPONENTS if "all" in args.targets else [components.get(t) for t in args.targets]
    try:
        ensure([p for c in chosen for p in c.packages] + args.also)
    except ConfigurationError as exc:
        parser.exit(1, f"error: {exc}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The platform as deisctl runs it, isolated for tests: own data dir, free ports for everything."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import psutil
import requests

from deis.etcd import Etcd
from tests.services import free_port

DEISCTL = str(Path(sys.executable).with_name("deisctl"))
#: The platform domain the e2e journey and the benchmarks configure (``.localhost``: resolves to this machine).
DOMAIN = "deis.localhost"


class Deisctl:
    """Runs the real deisctl command with an isolated data dir and ports."""

    def __init__(self, root: Path):
        self.environ = dict(
            os.environ,
            DEIS_DATA_DIR=str(root),
            DEIS_ETCD=f"http://127.0.0.1:{free_port()}",
            DEIS_ETCD_PEER_PORT=str(free_port()),
            DEIS_REDIS_PORT=str(free_port()),
            DEIS_DATABASE_PORT=str(free_port()),
            DEIS_CONTROLLER_PORT=str(free_port()),
            DEIS_CONTROLLER_WORKERS="2",
            DEIS_ROUTER_HTTPPORT=str(free_port()),
            DEIS_ROUTER_HTTPSPORT=str(free_port()),
            DEIS_ROUTER_BUILDERPORT=str(free_port()),
            DEIS_ROUTER_HEALTHPORT=str(free_port()),
            DEIS_LOGGER_PORT=str(free_port()),
            DEIS_LOGGER_HTTPPORT=str(free_port()),
            DEIS_REGISTRY_PORT=str(free_port()),
            DEIS_BUILDER_PORT=str(free_port()),
            # 'install platform' writes its boot unit here, not to /etc/systemd/system.
            DEIS_BOOT_UNIT=str(root.parent / "deis.service"),
        )
        self.environ.pop("DEIS_DATABASE_URL", None)
        self.root = root

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([DEISCTL, *args], env=self.environ, capture_output=True, text=True, timeout=180)
        if check and result.returncode != 0:
            raise AssertionError(f"deisctl {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}\n"
                                 f"{self.journal_tails()}")
        return result

    def journal_tails(self, lines: int = 25) -> str:
        """Return the last ``lines`` of every component's journal (for failure messages)."""
        return "\n".join(f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
                         for path in sorted((self.root / "logs").glob("*.log")) if path.name != "etcd.log")

    def status(self) -> dict[str, list[str]]:
        lines = self("status").stdout.splitlines()[1:]
        return {line.split()[0]: line.split()[1:] for line in lines}

    def supervised_pids(self) -> list[int]:
        """Pids of supervisord and its children for this data dir."""
        pids = []
        for process in psutil.process_iter(["cmdline"]):
            if any(str(self.root) in part for part in process.info["cmdline"] or []):
                pids.append(process.pid)
                pids.extend(child.pid for child in process.children(recursive=True))
        return pids

    @property
    def etcd(self) -> Etcd:
        """A client of this platform's etcd, with its root password (etcd requires it)."""
        return Etcd(self.environ["DEIS_ETCD"], environ=self.environ)

    def tear_down(self) -> None:
        """Stop the platform, its Docker engine too, and kill whatever of it is left: never leak processes."""
        self("stop", "platform", "docker", check=False)
        for pid in self.supervised_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def isolated_platform(prefix: str, **environ: str) -> Iterator[Deisctl]:
    """Yield a :class:`Deisctl` on a fresh data dir under /tmp, torn down and removed afterwards.

    Not pytest's 0700 tmp_path: the ``postgres`` system user must reach the database folder.
    """
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    ctl = Deisctl(root / "deis")
    ctl.environ.update(environ)
    try:
        yield ctl
    finally:
        ctl.tear_down()
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def started_platform(prefix: str, docker_client, apps: Iterable[str] = (),
                     settings: Iterable[tuple[str, str]] = ()) -> Iterator[Platform]:
    """Yield a :class:`Platform` on :data:`DOMAIN`, installed and started on a fresh data dir.

    ``settings`` are ``(component, "key=value")`` pairs set before the start.
    Afterwards the platform is torn down, the containers of ``apps`` are
    removed (apps outlive a platform by design, so they are the test's to
    remove), and the data dir too unless ``DEIS_E2E_KEEP`` is set (its
    journals and data are then kept for a post-mortem).
    """
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)  # the postgres user must reach the database's data
    ctl = Deisctl(root / "deis")
    try:
        ctl("config", "platform", "set", f"domain={DOMAIN}")
        for component, pair in settings:
            ctl("config", component, "set", pair)
        ctl("install", "platform")
        ctl("start", "platform")
        yield Platform(ctl)
    finally:
        ctl.tear_down()
        for app in apps:
            for container in docker_client.containers.list(all=True, filters={"label": f"deis.app={app}"}):
                container.remove(force=True)
        if not os.environ.get("DEIS_E2E_KEEP"):
            shutil.rmtree(root, ignore_errors=True)


class Platform:
    """The platform under test and how to reach it from this host."""

    def __init__(self, ctl: Deisctl):
        self.ctl = ctl
        self.http = int(ctl.environ["DEIS_ROUTER_HTTPPORT"])
        self.https = int(ctl.environ["DEIS_ROUTER_HTTPSPORT"])
        self.git_port = int(ctl.environ["DEIS_ROUTER_BUILDERPORT"])

    @property
    def controller(self) -> str:
        return f"http://deis.{DOMAIN}:{self.http}"

    def remote(self, app: str) -> str:
        return f"ssh://git@deis.{DOMAIN}:{self.git_port}/{app}.git"

    def get(self, app: str, path: str = "/") -> requests.Response:
        """A request through the router, as a browser would send it."""
        return requests.get(f"http://127.0.0.1:{self.http}{path}", headers={"Host": f"{app}.{DOMAIN}"}, timeout=10)

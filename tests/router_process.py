"""The router as an operator runs it, for fault tests: a ``deis-router`` process, its nginx, an app behind it.

:class:`RouterProcess` starts the real console script (as deisctl's
supervisor does: environment settings, a data dir, stderr as its journal) on
free loopback ports against a real etcd, so a test can ``kill -9`` the watcher
process, the nginx master or one worker by pid, start a new watcher that
adopts the running nginx, and read what the router logged (reloads, restarts).
:func:`app_container` runs the app the router sends traffic to: busybox httpd
on the test base image, serving ``ok`` at ``/`` and, at
``/cgi-bin/stream?<seconds>``, one line a second for that long (a long-lived
response, like a long-poll or a download).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import docker
import psutil
import requests

from deis import keys
from router.nginx import Nginx
from router.render import NginxPaths
from tests.services import SCRIPTS, free_port, wait_until

#: The app's web process: a page at ``/`` and a CGI that streams one line a second for ``?<seconds>``.
APP_COMMAND = r"""mkdir -p /w/cgi-bin && echo ok > /w/index.html
printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\nn=${QUERY_STRING:-3}\ni=0
while [ $i -lt $n ]; do echo "tick $i"; i=$((i+1)); sleep 1; done\necho end\n' > /w/cgi-bin/stream
chmod +x /w/cgi-bin/stream
exec httpd -f -p 5000 -h /w"""
_LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")


class RouterProcess:
    """One ``deis-router`` process and the nginx it runs, on free loopback ports, under ``root``."""

    def __init__(self, etcd_endpoint: str, root: Path, reload_interval: float = 1.0):
        self.root = root
        self.http = free_port()
        self.health = free_port()
        self.host = f"faults-{os.getpid()}-{self.http}"
        self.environ = dict(
            os.environ, DEIS_ETCD=etcd_endpoint, DEIS_DATA_DIR=str(root), HOST=self.host,
            DEIS_ROUTER_HTTPPORT=str(self.http), DEIS_ROUTER_HTTPSPORT=str(free_port()),
            DEIS_ROUTER_BUILDERPORT=str(free_port()), DEIS_ROUTER_HEALTHPORT=str(self.health),
            DEIS_ROUTER_RELOADINTERVAL=str(reload_interval),
        )
        self.nginx = Nginx(NginxPaths(root / "router"))
        self.log = root / "router.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The router's HTTP port on loopback."""
        return f"http://127.0.0.1:{self.http}/"

    def start(self, timeout: float = 20) -> RouterProcess:
        """Start the watcher (it starts nginx, or adopts a running one) and wait until nginx answers."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([str(SCRIPTS / "deis-router")], env=self.environ,
                                            stdout=log, stderr=subprocess.STDOUT)
        wait_until(self._serving, timeout, what="deis-router's nginx answering")
        return self

    def _serving(self) -> bool:
        assert self.process.poll() is None, self.log.read_text()[-3000:]
        try:
            return requests.get(f"http://127.0.0.1:{self.health}/health-check", timeout=1).ok
        except requests.RequestException:
            return False

    def status(self, host: str, path: str = "/") -> int | None:
        """The status of one GET for ``host`` through the router, or None when it failed."""
        try:
            return requests.get(self.url + path.lstrip("/"), headers={"Host": host}, timeout=2).status_code
        except requests.RequestException:
            return None

    # -- the processes ----------------------------------------------------------

    def watcher(self) -> psutil.Process:
        """The ``deis-router`` process (the watcher: etcd → nginx)."""
        return psutil.Process(self.process.pid)

    def master(self) -> int | None:
        """The nginx master's pid, or None while none runs."""
        return self.nginx.pid()

    def workers(self) -> list[psutil.Process]:
        """The live worker processes of the current master (not those shutting down after a reload)."""
        with contextlib.suppress(psutil.Error, TypeError):
            return [child for child in psutil.Process(self.master()).children()
                    if "shutting down" not in " ".join(child.cmdline())]
        return []

    def nginx_processes(self) -> int:
        """How many nginx processes serve this router: the master, its workers, old ones shutting down."""
        with contextlib.suppress(psutil.Error, TypeError):
            return 1 + len(psutil.Process(self.master()).children())
        return 0

    def rss(self) -> int:
        """The watcher's resident memory in bytes."""
        return self.watcher().memory_info().rss

    def kill_watcher(self) -> None:
        """``kill -9`` the watcher; nginx is left running."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        """Stop the watcher and then nginx (``deisctl stop router``)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.nginx.stop(timeout=10)

    # -- its journal ------------------------------------------------------------

    def logged(self, pattern: str) -> list[float]:
        """The times (epoch seconds) of the journal lines matching ``pattern``."""
        times = []
        for line in self.log.read_text(errors="replace").splitlines():
            stamp = _LOG_TIME.match(line)
            if stamp and re.search(pattern, line):
                times.append(datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp())
        return times

    def reloads(self) -> list[float]:
        """When the router (re)loaded nginx."""
        return self.logged(r"nginx reloaded at revision")

    def restarts(self) -> list[float]:
        """When the router found nginx dead and started it again."""
        return self.logged(r"nginx is not running; starting it")


@contextlib.contextmanager
def app_container(client: docker.DockerClient, image: str, label: str = "router-faults") -> Iterator[str]:
    """Run the app (:data:`APP_COMMAND`) on ``image``; yield its ``ip:port`` once it answers; remove it after."""
    container = client.containers.run(image, ["sh", "-c", APP_COMMAND], detach=True, labels={"deis.test": label})
    try:
        container.reload()
        address = f"{container.attrs['NetworkSettings']['Networks']['bridge']['IPAddress']}:5000"
        wait_until(lambda: _answers(address), 10, what="the app container answering")
        yield address
    finally:
        container.remove(force=True)


def _answers(address: str) -> bool:
    try:
        return requests.get(f"http://{address}/", timeout=0.5).ok
    except requests.RequestException:
        return False


def route(etcd, app: str, address: str, container: int = 1) -> int:
    """Route ``app`` to ``address`` as container ``<app>_v1.web.<container>``; return the etcd revision."""
    etcd.put(keys.app_marker(app), "")
    return etcd.put(keys.service(app, f"{app}_v1.web.{container}"), address)

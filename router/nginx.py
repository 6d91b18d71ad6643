"""The adapter between the router and the nginx master process.

nginx runs daemonized with its own pid file, so it keeps serving when the
router process dies (a watcher crash must not drop traffic); a restarted router
adopts the running master. A candidate config is checked with ``nginx -t``
before it replaces the live one, and the swap is an atomic rename followed by a
reload (SIGHUP): workers of the old config finish their requests.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from pathlib import Path

import psutil

from deis.errors import ConfigurationError
from router.render import NginxPaths

log = logging.getLogger(__name__)


class NginxError(ConfigurationError):
    """nginx refused a configuration or would not start: a person must fix it (retrying will not help)."""


class Nginx:
    """One nginx master under a router's data folder."""

    def __init__(self, paths: NginxPaths, binary: str = "/usr/sbin/nginx"):
        self.paths = paths
        self.binary = binary

    def check(self, text: str, files: dict[str, str]) -> str | None:
        """Return nginx's complaint about ``text`` (with its cert ``files``), or None if valid."""
        self._write_files(files)
        candidate = self.paths.root / "nginx.conf.candidate"
        _write_atomically(candidate, text)
        result = subprocess.run([self.binary, "-t", "-q", "-c", str(candidate)], capture_output=True, text=True)
        return None if result.returncode == 0 else (result.stderr.strip() or "nginx -t failed")

    def apply(self, text: str) -> None:
        """Make ``text`` the live configuration and load it (start nginx if needed)."""
        _write_atomically(self.paths.conf, text)
        pid = self.pid()
        if pid is None:
            self.start()
            return
        old_workers = self._workers(pid)
        os.kill(pid, signal.SIGHUP)
        self._wait_retired(old_workers)

    def _workers(self, master: int) -> list[psutil.Process]:
        with contextlib.suppress(psutil.Error):
            return psutil.Process(master).children()
        return []

    def _wait_retired(self, workers: list[psutil.Process], timeout: float = 10.0) -> None:
        """Wait until no worker of the previous config accepts new connections.

        After SIGHUP the old workers keep accepting for a moment (measured
        here: ~100 ms, more under load) until they get the master's signal and
        retitle themselves "is shutting down"; only then does every new
        connection see the new config. Callers record the applied revision
        after this, so "applied" means "serving".
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(not _accepting(worker) for worker in workers):
                return
            time.sleep(0.01)
        log.warning("old nginx workers still accepting %.0f s after reload", timeout)

    def pid(self) -> int | None:
        """The pid of the running nginx master, or None.

        A master killed with ``kill -9`` stays a zombie until its parent (init,
        since nginx daemonizes) reaps it, which some inits do seconds late; a
        zombie counts as gone, or its orphaned workers would serve on, never
        reloaded, until then (T4 measured 1.6 s to a new master, issue 17).
        """
        try:
            pid = int(self.paths.pid.read_text().strip())
            return pid if _alive(psutil.Process(pid)) and psutil.Process(pid).name().startswith("nginx") else None
        except (FileNotFoundError, ValueError, psutil.Error):
            return None

    def start(self, timeout: float = 10.0) -> None:
        """Start the master with the live configuration (after retiring workers a killed master left)."""
        _retire_orphaned_workers()
        result = subprocess.run([self.binary, "-c", str(self.paths.conf)], capture_output=True, text=True)
        if result.returncode != 0:
            raise NginxError(f"nginx did not start: {result.stderr.strip()}")
        deadline = time.monotonic() + timeout
        while self.pid() is None:
            if time.monotonic() > deadline:
                raise NginxError(f"nginx wrote no pid file within {timeout:.0f} s; see {self.paths.error_log}")
            time.sleep(0.05)
        log.info("nginx started (pid %d)", self.pid())

    def stop(self, timeout: float = 30.0) -> None:
        """Stop gracefully (SIGQUIT lets workers finish), then kill if needed."""
        pid = self.pid()
        if pid is None:
            return
        try:
            workers = psutil.Process(pid).children()
        except psutil.Error:
            workers = []
        os.kill(pid, signal.SIGQUIT)
        with contextlib.suppress(psutil.Error):
            psutil.Process(pid).wait(timeout)
            return
        # Workers outlive a killed master and keep its listening sockets: a new nginx could not bind.
        with contextlib.suppress(psutil.Error):
            workers.insert(0, psutil.Process(pid))
        for process in workers:
            with contextlib.suppress(psutil.Error):
                process.kill()

    def _write_files(self, files: dict[str, str]) -> None:
        self.paths.ssl.mkdir(parents=True, exist_ok=True, mode=0o700)
        for name, content in files.items():
            path = self.paths.ssl / name
            if not path.exists() or path.read_text() != content:
                _write_atomically(path, content, mode=0o600)


def _write_atomically(path: Path, text: str, mode: int = 0o600) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    temporary.chmod(mode)
    temporary.replace(path)


def _retire_orphaned_workers(timeout: float = 2.0) -> None:
    """Make nginx workers whose master is gone (``kill -9`` of the master) let go of the ports.

    They go on serving the old configuration and hold its listening sockets,
    so a new master could not bind: a restart would fail forever while stale
    routes kept answering. A worker without its master can never be reloaded
    or stopped in order, so no such worker on this host is worth keeping.

    They get SIGQUIT, as on a graceful stop: each closes its listening sockets
    at once and finishes the requests it holds (for up to the config's
    ``worker_shutdown_timeout``), so the restart resets none of them (SIGKILL
    here reset 4 in-flight requests per master kill at 200 rps; T4, issue 17).
    One still accepting after ``timeout`` is killed.
    """
    orphans = [process for process in psutil.process_iter(["name", "cmdline", "ppid"]) if _orphaned_worker(process)]
    if not orphans:
        return
    for process in orphans:
        with contextlib.suppress(psutil.Error):
            process.send_signal(signal.SIGQUIT)
    deadline = time.monotonic() + timeout
    # The title changes just before the sockets close; the socket check (slower) confirms it.
    for still in (_accepting, _listening):
        while any(still(process) for process in orphans) and time.monotonic() < deadline:
            time.sleep(0.002)
    for process in orphans:
        if _listening(process):
            with contextlib.suppress(psutil.Error):
                process.kill()
    log.warning("retired %d nginx workers left by a master that died", len(orphans))


def _orphaned_worker(process: psutil.Process) -> bool:
    if process.info["name"] != "nginx" or "worker process" not in " ".join(process.info["cmdline"] or []):
        return False
    try:
        return psutil.Process(process.info["ppid"]).name() != "nginx"
    except psutil.Error:
        return True


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _listening(worker: psutil.Process) -> bool:
    """True while a worker holds a listening socket (a new master could not bind its port)."""
    try:
        return _alive(worker) and any(c.status == psutil.CONN_LISTEN for c in worker.net_connections("inet"))
    except psutil.Error:
        return False


def _accepting(worker: psutil.Process) -> bool:
    """True while an old worker may still accept connections (not exited, not shutting down)."""
    try:
        return worker.is_running() and worker.status() != psutil.STATUS_ZOMBIE and \
            "shutting down" not in " ".join(worker.cmdline())
    except psutil.Error:
        return False

"""The adapter between the router and the nginx master process.

nginx runs daemonized with its own pid file, so it keeps serving when the
router process dies (a watcher crash must not drop traffic); a restarted router
adopts the running master. A candidate config is checked with ``nginx -t``
before it replaces the live one, and the swap is an atomic rename followed by a
reload (SIGHUP): workers of the old config finish their requests.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import psutil

from deis.errors import ConfigurationError
from router.render import NginxPaths

log = logging.getLogger(__name__)

_LIBC = ctypes.CDLL(None, use_errno=True)
#: pidfd_getfd's number in the common syscall table (x86_64 and arm64 alike).
_SYS_PIDFD_GETFD = 438


class NginxError(ConfigurationError):
    """nginx refused a configuration or would not start: a person must fix it (retrying will not help)."""


class Nginx:
    """One nginx master under a router's data folder."""

    def __init__(self, paths: NginxPaths, binary: str = "/usr/sbin/nginx"):
        self.paths = paths
        self.binary = binary
        #: Masters started in the foreground (on inherited sockets): reaped when they exit.
        self._children: list[subprocess.Popen] = []

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
        self._children = [child for child in self._children if child.poll() is None]
        try:
            pid = int(self.paths.pid.read_text().strip())
            return pid if _alive(psutil.Process(pid)) and psutil.Process(pid).name().startswith("nginx") else None
        except (FileNotFoundError, ValueError, psutil.Error):
            return None

    def start(self, timeout: float = 10.0) -> None:
        """Start the master with the live configuration, taking over the ports a killed master's workers hold.

        Workers orphaned by a ``kill -9`` of the master serve on and hold the
        listening sockets. The new master inherits copies of those sockets
        (``pidfd_getfd``, handed over as nginx's own binary upgrade does, in
        the ``NGINX`` variable), so the ports never close and no connection is
        refused; then the orphans finish their requests and exit. Where the
        kernel refuses the copy (no ptrace rights) the orphans are retired
        first and the new master binds afresh: connections are refused for
        that gap (50-60 at 200 rps under load; T4, issue 17).
        """
        orphans = _orphaned_workers()
        inherited = _copy_listeners(orphans, _listen_ports(self.paths.conf)) if orphans else []
        try:
            if inherited:
                self._start_inheriting(inherited, timeout)
                _retire(orphans, wait=False)
                log.info("nginx started (pid %d), serving on the %d sockets its killed master's workers held",
                         self.pid(), len(inherited))
                return
        except NginxError as exc:
            log.warning("%s; starting it on fresh sockets", exc)
        finally:
            for fd in inherited:
                os.close(fd)
        _retire(orphans, wait=True)
        result = subprocess.run([self.binary, "-c", str(self.paths.conf)], capture_output=True, text=True)
        if result.returncode != 0:
            raise NginxError(f"nginx did not start: {result.stderr.strip()}")
        self._wait_for_pid(timeout)
        log.info("nginx started (pid %d)", self.pid())

    def _start_inheriting(self, fds: list[int], timeout: float) -> None:
        """Start a master on inherited listening sockets (it stays in the foreground, in a session of its own)."""
        environ = dict(os.environ, NGINX="".join(f"{fd};" for fd in fds))
        child = subprocess.Popen([self.binary, "-c", str(self.paths.conf)], env=environ, pass_fds=fds,
                                 start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        self._children.append(child)
        self._wait_for_pid(timeout, child)

    def _wait_for_pid(self, timeout: float, child: subprocess.Popen | None = None) -> None:
        deadline = time.monotonic() + timeout
        while self.pid() is None or (child is not None and self.pid() != child.pid):
            if child is not None and child.poll() is not None:
                raise NginxError(f"nginx exited {child.returncode} on inherited sockets; see {self.paths.error_log}")
            if time.monotonic() > deadline:
                raise NginxError(f"nginx wrote no pid file within {timeout:.0f} s; see {self.paths.error_log}")
            time.sleep(0.005)

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


def _orphaned_workers() -> list[psutil.Process]:
    """nginx workers whose master is gone (``kill -9`` of the master leaves them running).

    They go on serving the old configuration and hold its listening sockets,
    so a new master could not bind: a restart would fail forever while stale
    routes kept answering. A worker without its master can never be reloaded
    or stopped in order, so no such worker on this host is worth keeping.
    """
    return [process for process in psutil.process_iter(["name", "ppid"]) if _orphaned_worker(process)]


def _orphaned_worker(process: psutil.Process) -> bool:
    try:  # the name first: reading every process's command line took 150 ms here
        if process.info["name"] != "nginx" or "worker process" not in " ".join(process.cmdline()):
            return False
    except psutil.Error:
        return False
    try:
        return psutil.Process(process.info["ppid"]).name() != "nginx"
    except psutil.Error:
        return True


def _retire(orphans: list[psutil.Process], wait: bool, timeout: float = 2.0) -> None:
    """SIGQUIT ``orphans``, as on a graceful stop: each closes its listening sockets and finishes its requests.

    They finish for up to the config's ``worker_shutdown_timeout``, so a
    restart resets none of their requests (SIGKILL here reset 1-4 per master
    kill at 200 rps; T4, issue 17). With ``wait``, return once their sockets
    are closed, killing one still listening after ``timeout``.
    """
    if not orphans:
        return
    for process in orphans:
        with contextlib.suppress(psutil.Error):
            process.send_signal(signal.SIGQUIT)
    log.warning("retired %d nginx workers left by a master that died", len(orphans))
    if not wait:
        return
    deadline = time.monotonic() + timeout
    # The title changes just before the sockets close; the socket check (slower) confirms it.
    for still in (_accepting, _listening):
        while any(still(process) for process in orphans) and time.monotonic() < deadline:
            time.sleep(0.002)
    for process in orphans:
        if _listening(process):
            with contextlib.suppress(psutil.Error):
                process.kill()


def _listen_ports(conf: Path) -> set[int]:
    """The ports the configuration in ``conf`` listens on."""
    with contextlib.suppress(OSError):
        return {int(port) for port in re.findall(r"^\s*listen\s+(\d+)", conf.read_text(), re.MULTILINE)}
    return set()


def _copy_listeners(orphans: list[psutil.Process], ports: set[int]) -> list[int]:
    """Copies (file descriptors of ours) of the orphans' listening sockets on ``ports``, one per socket.

    Each socket file descriptor of an orphan is copied and asked whether it
    listens, and where: cheaper than psutil's connection table, which parses
    every socket of the host (60 ms with 8,000 in TIME_WAIT under load).
    """
    fds: dict[str, int] = {}
    for process in orphans:
        try:
            pidfd = os.pidfd_open(process.pid)
        except OSError:
            continue
        try:
            for number, inode in _sockets(process.pid):
                if inode not in fds:
                    fd = _pidfd_getfd(pidfd, number)
                    if _listens_on(fd, ports):
                        fds[inode] = fd
                    else:
                        os.close(fd)
        except OSError as exc:
            log.warning("cannot take over the sockets of nginx worker %d (%s)", process.pid, exc)
            for fd in fds.values():
                os.close(fd)
            return []
        finally:
            os.close(pidfd)
    return list(fds.values())


def _sockets(pid: int) -> list[tuple[int, str]]:
    """``(fd, socket inode)`` of each socket process ``pid`` holds."""
    found = []
    with contextlib.suppress(FileNotFoundError):
        for name in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{name}")
                if target.startswith("socket:"):
                    found.append((int(name), target))
    return found


def _listens_on(fd: int, ports: set[int]) -> bool:
    sock = socket.socket(fileno=fd)
    try:
        address = sock.getsockname()
        return bool(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)) and \
            isinstance(address, tuple) and address[1] in ports
    except OSError:
        return False
    finally:
        sock.detach()


def _pidfd_getfd(pidfd: int, fd: int) -> int:
    """``pidfd_getfd(2)``: a duplicate of another process's ``fd`` (Linux 5.6; Python has no wrapper)."""
    result = _LIBC.syscall(_SYS_PIDFD_GETFD, pidfd, fd, 0)
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))
    return result


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

"""The adapter between deisctl and supervisord.

supervisord (a well-kept, widely deployed process supervisor) restarts a dead
component with backoff, captures its output as its journal and answers an
XML-RPC API on a Unix socket under the data directory. This module renders its
configuration from templates, starts it on demand, and translates its faults
into :class:`SupervisorError` with a sentence for people.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import subprocess
import sys
import time
import xmlrpc.client
from dataclasses import dataclass
from pathlib import Path

import jinja2
from supervisor import xmlrpc as supervisor_xmlrpc

from deis.errors import PermanentError
from deis.paths import Paths
from deisctl.infrastructure import Program

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("deisctl", "templates"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
#: Variables passed from deisctl's environment to every component.
PASSED_ENVIRONMENT_PREFIXES = ("DEIS_", "DOCKER_")
PASSED_ENVIRONMENT = ("PATH", "LANG", "HOME")


class SupervisorError(PermanentError):
    """supervisord refused or a component failed to start or stop."""


@dataclass(frozen=True)
class ProcessInfo:
    """What supervisord knows about one component's process."""

    name: str
    state: str
    pid: int
    started: float
    now: float
    exit_status: int
    description: str

    @property
    def uptime(self) -> float:
        """Seconds since the process started (0 when it is not running)."""
        return max(self.now - self.started, 0) if self.state == "RUNNING" else 0.0


def _escape(text: str) -> str:
    """supervisord expands ``%(name)s`` in its files: double every ``%``."""
    return text.replace("%", "%%")


def render_program(name: str, program: Program, paths: Paths, environ: dict[str, str]) -> str:
    """Return the ``[program:<name>]`` section for ``program`` (pure)."""
    passed = {
        key: value
        for key, value in environ.items()
        if key.startswith(PASSED_ENVIRONMENT_PREFIXES) or key in PASSED_ENVIRONMENT
    }
    passed.update(program.environment)
    passed["DEIS_DATA_DIR"] = str(paths.root)
    environment = ",".join(f"{key}={json.dumps(_escape(value))}" for key, value in sorted(passed.items()))
    return _TEMPLATES.get_template("program.conf.j2").render(
        name=name,
        command=_escape(shlex.join(program.argv)),
        # The data root, never the component's own folder: a component whose
        # folder was lost (a database disk) must still start, and recreate it.
        directory=str(paths.root),
        program=program,
        log=str(paths.log(name)),
        environment=environment,
    )


def render_supervisord(paths: Paths) -> str:
    """Return supervisord's own configuration file (pure)."""
    return _TEMPLATES.get_template("supervisord.conf.j2").render(paths=paths, python=sys.executable)


class Supervisor:
    """supervisord for one data directory."""

    def __init__(self, paths: Paths):
        self.paths = paths

    @property
    def _rpc(self) -> xmlrpc.client.ServerProxy:
        # A fresh proxy per call: the transport cannot be reused after a failed request.
        transport = supervisor_xmlrpc.SupervisorTransport(None, None, f"unix://{self.paths.supervisor_socket}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    # -- the daemon ----------------------------------------------------------

    def running(self) -> bool:
        """True when supervisord answers on its socket."""
        try:
            return self._rpc.supervisor.getState()["statename"] == "RUNNING"
        except (OSError, xmlrpc.client.Error):
            return False

    def ensure_running(self, timeout: float = 10.0) -> bool:
        """Start supervisord unless it runs; return True when this call started it."""
        self.paths.ensure()
        self.paths.supervisor_conf.write_text(render_supervisord(self.paths))
        if self.running():
            return False
        subprocess.run(
            [sys.executable, "-m", "supervisor.supervisord", "-c", str(self.paths.supervisor_conf)],
            check=True,
            cwd=self.paths.root,
        )
        deadline = time.monotonic() + timeout
        while not self.running():
            if time.monotonic() > deadline:
                raise SupervisorError(
                    f"supervisord did not come up in {timeout:.0f} s; see {self.paths.logs / 'supervisord.log'}"
                )
            time.sleep(0.1)
        return True

    def shutdown(self) -> None:
        """Stop supervisord (after its programs) and wait until it is gone."""
        if not self.running():
            return
        pid = self._rpc.supervisor.getPID()
        with contextlib.suppress(OSError, xmlrpc.client.Error):
            self._rpc.supervisor.shutdown()
        deadline = time.monotonic() + 60
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)

    # -- programs ------------------------------------------------------------

    def installed(self) -> list[str]:
        """Names of components with a program file."""
        return sorted(path.stem for path in self.paths.programs.glob("*.conf"))

    def install(self, name: str, program: Program, environ: dict[str, str]) -> None:
        """Write the program file of ``name`` and make supervisord load it."""
        self.paths.ensure()
        self.paths.data(name).mkdir(parents=True, exist_ok=True)
        target = self.paths.programs / f"{name}.conf"
        temporary = target.with_suffix(".tmp")
        temporary.write_text(render_program(name, program, self.paths, environ))
        temporary.replace(target)
        if self.running():
            self.reload()

    def uninstall(self, name: str) -> None:
        """Remove the program file of ``name`` (its data stays)."""
        with contextlib.suppress(FileNotFoundError):
            (self.paths.programs / f"{name}.conf").unlink()
        if self.running():
            self.reload()

    def reload(self) -> None:
        """Apply added, changed and removed program files (``supervisorctl update``)."""
        added, changed, removed = self._rpc.supervisor.reloadConfig()[0]
        for name in removed + changed:
            self.stop(name)
            self._rpc.supervisor.removeProcessGroup(name)
        for name in changed + added:
            self._rpc.supervisor.addProcessGroup(name)

    def start(self, name: str) -> None:
        """Start ``name`` and wait until it has stayed up for its ``startsecs``."""
        try:
            self._rpc.supervisor.startProcess(name, True)
        except xmlrpc.client.Fault as fault:
            if "ALREADY_STARTED" in fault.faultString:
                return
            self.stop(name)  # out of BACKOFF, so it does not keep retrying
            raise SupervisorError(f"{name} failed to start: {self._why(name, fault)}") from fault

    def stop(self, name: str) -> None:
        """Stop ``name`` (SIGTERM, then SIGKILL after its grace period)."""
        try:
            self._rpc.supervisor.stopProcess(name, True)
        except xmlrpc.client.Fault as fault:
            if "NOT_RUNNING" in fault.faultString or "BAD_NAME" in fault.faultString:
                return
            raise SupervisorError(f"{name} did not stop: {fault.faultString}") from fault

    def info(self, name: str) -> ProcessInfo | None:
        """Return the process state of ``name``, or None when it is not loaded."""
        if not self.running():
            return None
        try:
            raw = self._rpc.supervisor.getProcessInfo(name)
        except xmlrpc.client.Fault:
            return None
        return ProcessInfo(
            name=name,
            state=raw["statename"],
            pid=raw["pid"],
            started=raw["start"],
            now=raw["now"],
            exit_status=raw["exitstatus"],
            description=raw["description"],
        )

    def any_running(self) -> bool:
        """True when at least one component process is up or coming up."""
        if not self.running():
            return False
        active = {"RUNNING", "STARTING", "BACKOFF", "STOPPING"}
        return any(
            raw["statename"] in active
            for raw in self._rpc.supervisor.getAllProcessInfo()
            if raw["group"] != "deis-restarts"
        )

    def restarts(self) -> dict[str, int]:
        """Automatic restarts per component since it was last started by hand."""
        try:
            return json.loads(self.paths.restarts.read_text())
        except (FileNotFoundError, ValueError):
            return {}

    def _why(self, name: str, fault: xmlrpc.client.Fault) -> str:
        tail = log_tail(self.paths.log(name), 5)
        reason = fault.faultString
        return f"{reason}; its last output:\n{tail}" if tail else reason


def log_tail(path: Path, lines: int) -> str:
    """Return the last ``lines`` lines of a log file ('' if there is none)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(handle.tell() - 64 * 1024, 0))
            text = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

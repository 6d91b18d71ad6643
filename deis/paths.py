"""Where platform state lives: one data directory (default ``/var/lib/deis``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from deis import filemodes
from deis.errors import ConfigurationError

DEFAULT_DATA_DIR = "/var/lib/deis"
#: Unix socket paths longer than this fail to bind (108 on Linux, less elsewhere).
SOCKET_PATH_LIMIT = 100


@dataclass(frozen=True)
class Paths:
    """The files and folders under the platform's data directory."""

    root: Path

    @classmethod
    def from_env(cls, environ=os.environ) -> Paths:
        """Use ``DEIS_DATA_DIR`` when set, else ``/var/lib/deis``."""
        return cls(Path(environ.get("DEIS_DATA_DIR", DEFAULT_DATA_DIR)).absolute())

    @property
    def run(self) -> Path:
        """Sockets, pid files and restart counters."""
        return self.root / "run"

    @property
    def logs(self) -> Path:
        """One log file per component: its journal."""
        return self.root / "logs"

    @property
    def programs(self) -> Path:
        """supervisord program sections, one file per installed component."""
        return self.root / "supervisor" / "programs"

    @property
    def supervisor_conf(self) -> Path:
        return self.root / "supervisor" / "supervisord.conf"

    @property
    def supervisor_socket(self) -> Path:
        return self.run / "supervisor.sock"

    @property
    def restarts(self) -> Path:
        """JSON file of automatic restarts per component since its last start."""
        return self.run / "restarts.json"

    @property
    def secrets(self) -> Path:
        """Secrets deisctl generates for the platform (mode 0700)."""
        return self.root / "secrets"

    @property
    def etcd_password(self) -> Path:
        """The password of etcd's ``root`` user (mode 0600; see :mod:`deis.etcdauth`)."""
        return self.secrets / "etcd-root-password"

    def data(self, component: str) -> Path:
        """The data folder of one component (``etcd``, ``redis``, ``docker``…)."""
        return self.root / component

    def log(self, component: str) -> Path:
        """The journal of one component."""
        return self.logs / f"{component}.log"

    def ensure(self) -> None:
        """Create the folders, private to the platform (see :mod:`deis.filemodes`)."""
        if len(str(self.supervisor_socket)) > SOCKET_PATH_LIMIT:
            raise ConfigurationError(
                f"data directory {str(self.root)!r} is too deep: its control socket path would exceed "
                f"{SOCKET_PATH_LIMIT} bytes; choose a shorter --data-dir"
            )
        self.root.mkdir(parents=True, exist_ok=True)
        filemodes.make_traversable(self.root)
        for folder in (self.logs, self.programs.parent, self.programs, self.run, self.secrets):
            filemodes.private_folder(folder)

"""One PostgreSQL cluster under the data directory: initdb, run, bootstrap, stop.

The cluster lives in ``<DEIS_DATA_DIR>/database``. It is created with
``initdb`` only when that folder is empty; an existing cluster is always
reused and a folder holding anything else is refused, never wiped. As root,
PostgreSQL (which refuses to run as root) runs as the ``postgres`` system
user. Local connections use peer authentication (only that system user is
the superuser); TCP connections on loopback need a password.
"""

from __future__ import annotations

import getpass
import glob
import logging
import os
import pwd
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from deis.errors import ConfigurationError, TemporaryError

log = logging.getLogger(__name__)

BOOTSTRAP = Path(__file__).parent / "templates" / "bootstrap.sql"
CLOSE = Path(__file__).parent / "templates" / "close.sql"
#: Seconds PostgreSQL may take to accept connections after it starts.
START_TIMEOUT = 60.0
#: Addresses that mean "this machine only": listening there needs no pg_hba line of ours.
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
#: The pg_hba line that lets the controller in from another container (a cluster's overlay).
NETWORK_HBA = "host all all all scram-sha-256  # deis-database: listening beyond loopback\n"
#: Seconds a fast shutdown may take before an immediate one.
STOP_TIMEOUT = 20.0


class PostgresError(TemporaryError):
    """PostgreSQL did not start or a command against it failed."""


def binary(name: str) -> str:
    """Return the newest installed PostgreSQL binary ``name`` (Debian keeps them off PATH)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version, reverse=True)
    path = found[0] if found else shutil.which(name)
    if not path:
        raise ConfigurationError(f"PostgreSQL's {name} is missing: run 'deisctl install database' "
                                 "(it installs the postgresql package)")
    return path


def _version(path: str) -> tuple[int, ...]:
    folder = Path(path).parents[1].name
    return tuple(int(part) for part in folder.split(".") if part.isdigit())


def system_user() -> str:
    """Return the system user PostgreSQL runs as: ``postgres`` as root, else ourselves."""
    return "postgres" if os.geteuid() == 0 else getpass.getuser()


@dataclass(frozen=True)
class Cluster:
    """A PostgreSQL cluster in ``data`` listening on ``host:port``."""

    data: Path
    host: str = "127.0.0.1"
    port: int = 5432
    max_connections: int = 250
    user: str = ""
    #: Extra ``-c name=value`` server settings (archiving, recovery), in order.
    options: tuple[tuple[str, str], ...] = ()

    @property
    def owner(self) -> str:
        """The system user that owns and runs the cluster (also its superuser role)."""
        return self.user or system_user()

    def initdb_argv(self) -> list[str]:
        """Return the ``initdb`` command line (pure)."""
        return [binary("initdb"), "-D", str(self.data), "-U", self.owner, "-E", "UTF8", "--locale=C",
                "--auth-local=peer", "--auth-host=scram-sha-256"]

    def postgres_argv(self) -> list[str]:
        """Return the server's command line: loopback TCP, its socket in the data folder (pure)."""
        return [binary("postgres"), "-D", str(self.data), "-p", str(self.port), "-k", str(self.data),
                "-c", f"listen_addresses={self.host}", "-c", f"max_connections={self.max_connections}",
                *[arg for name, value in self.options for arg in ("-c", f"{name}={value}")]]

    def psql_argv(self) -> list[str]:
        """Return the superuser ``psql`` command line over the Unix socket (pure)."""
        return [binary("psql"), "-h", str(self.data), "-p", str(self.port), "-U", self.owner,
                "-d", "postgres", "-X", "-q", "-f", "-"]

    # -- initdb -----------------------------------------------------------------

    def initialized(self) -> bool:
        """True when ``data`` holds a cluster."""
        return (self.data / "PG_VERSION").is_file()

    def ensure_initialized(self) -> bool:
        """Create the cluster if ``data`` is missing or empty; return True when it did."""
        if self.initialized():
            log.info("using the existing cluster in %s", self.data)
            return False
        if self.data.exists() and any(self.data.iterdir()):
            raise ConfigurationError(
                f"{self.data} is not empty but holds no PostgreSQL cluster (no PG_VERSION); "
                "it is left untouched: move its contents away or set another DEIS_DATA_DIR")
        self.data.mkdir(parents=True, exist_ok=True)
        self.own(self.data)
        log.info("creating a new cluster in %s", self.data)
        try:
            self._run(self.initdb_argv(), "initdb")
        except PostgresError as exc:
            if "Permission denied" in str(exc):
                raise PostgresError(f"{exc} (the {self.owner} user must be able to reach {self.data}: "
                                    "give its parent folders o+x, or choose another DEIS_DATA_DIR)") from exc
            raise
        return True

    def own(self, path: Path, mode: int = 0o700) -> None:
        """Give ``path`` to the cluster's owner with ``mode`` (PostgreSQL insists on 0700 folders)."""
        if os.geteuid() == 0:
            account = pwd.getpwnam(self.owner)
            os.chown(path, account.pw_uid, account.pw_gid)
        path.chmod(mode)

    # -- processes -------------------------------------------------------------

    def _as_owner(self) -> dict:
        if os.geteuid() != 0:
            return {}
        account = pwd.getpwnam(self.owner)
        return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}

    def run_as(self) -> dict:
        """Return ``subprocess`` arguments that run a command as the owner."""
        return self._as_owner()

    def _environment(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C", **(extra or {})}

    def _run(self, argv: list[str], what: str, stdin: str | None = None, extra: dict | None = None) -> None:
        result = subprocess.run(argv, input=stdin, capture_output=True, text=True, cwd=self.data,
                                env=self._environment(extra), **self._as_owner())
        if result.returncode != 0:
            raise PostgresError(f"{what} failed (exit {result.returncode}): {result.stderr.strip()}")

    def start(self, environ: dict[str, str] | None = None, timeout: float = START_TIMEOUT) -> subprocess.Popen:
        """Start the server and return its process once it accepts connections.

        ``environ`` reaches the server's children (the WAL archiver's store URL
        and credentials) without appearing on any command line.
        """
        self.open_to_network()
        process = subprocess.Popen(self.postgres_argv(), cwd=self.data, env=self._environment(environ),
                                   **self._as_owner())
        deadline = time.monotonic() + timeout
        while not self.accepting():
            if process.poll() is not None:
                raise PostgresError(f"postgres exited with status {process.returncode} while starting; "
                                    "its messages are above")
            if time.monotonic() > deadline:
                stop(process)
                raise PostgresError(f"postgres did not accept connections within {timeout:.0f} s")
            time.sleep(0.2)
        return process

    def open_to_network(self) -> None:
        """Let password logins in from any address when listening beyond loopback (a cluster).

        initdb's pg_hba.conf admits loopback only; on a cluster the controller
        connects from another container. Checked on every start, as a restore
        brings back the pg_hba.conf of the backup.
        """
        hba = self.data / "pg_hba.conf"
        if self.host in LOOPBACK or not hba.is_file() or NETWORK_HBA in hba.read_text():
            return
        with hba.open("a") as conf:
            conf.write(NETWORK_HBA)

    def accepting(self) -> bool:
        """True when the server accepts connections (``pg_isready``)."""
        # As the owner, so the probe authenticates instead of logging a failed login.
        argv = [binary("pg_isready"), "-q", "-h", str(self.data), "-p", str(self.port), "-U", self.owner,
                "-d", "postgres"]
        return subprocess.run(argv, capture_output=True, env=self._environment(), **self._as_owner()).returncode == 0

    def query(self, sql: str) -> str:
        """Run one SQL statement as the superuser; return its unaligned output."""
        argv = [binary("psql"), "-h", str(self.data), "-p", str(self.port), "-U", self.owner, "-d", "postgres",
                "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql]
        result = subprocess.run(argv, capture_output=True, text=True, cwd=self.data, env=self._environment(),
                                timeout=30, **self._as_owner())
        if result.returncode != 0:
            raise PostgresError(f"query failed (exit {result.returncode}): {result.stderr.strip()}")
        return result.stdout.strip()

    def basebackup_argv(self) -> list[str]:
        """Return ``pg_basebackup`` writing a gzip'd tar with the WAL it needs to stdout (pure)."""
        return [binary("pg_basebackup"), "-h", str(self.data), "-p", str(self.port), "-U", self.owner,
                "-D", "-", "-Ft", "-X", "fetch", "-z", "--checkpoint=fast", "--no-password"]

    def close_doors(self, name: str) -> None:
        """Refuse new connections to database ``name`` and end open ones (reopened by :meth:`bootstrap`)."""
        try:
            self._run(self.psql_argv(), "closing the database", CLOSE.read_text(), {"DEIS_DATABASE_NAME": name})
        except PostgresError as exc:
            log.warning("could not close %s to clients before the last backup: %s", name, exc)

    def bootstrap(self, role: str, password: str, name: str) -> None:
        """Create the role and database if missing, set the role's password, open it to connections."""
        secrets = {"DEIS_DATABASE_ROLE": role, "DEIS_DATABASE_PASSWORD": password, "DEIS_DATABASE_NAME": name}
        self._run(self.psql_argv(), "creating the role and database", BOOTSTRAP.read_text(), secrets)


def stop(process: subprocess.Popen, timeout: float = STOP_TIMEOUT) -> int:
    """Stop the server: fast shutdown (SIGINT), then immediate (SIGQUIT) after ``timeout``."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("postgres did not stop within %.0f s; forcing an immediate shutdown", timeout)
            process.send_signal(signal.SIGQUIT)
            process.wait()
    return process.returncode

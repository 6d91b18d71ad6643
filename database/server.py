"""``deis-database``: run PostgreSQL for the controller and announce it.

Start-up: create the cluster if the data folder is empty, start PostgreSQL,
create the role and database (password generated once and kept in etcd),
then announce ``/deis/database/host`` and ``/port`` under a lease, plus
``user``, ``password`` and ``name``. On SIGTERM the announcement is withdrawn
and PostgreSQL is shut down cleanly (a fast shutdown: open sessions are
ended, everything committed is on disk). If PostgreSQL dies, so does this
process, and its supervisor restarts both.

Backups to the store (v1's WAL-E) come later.
"""

from __future__ import annotations

import logging
import secrets
import signal
import subprocess
import threading

from database import postgres
from database.settings import SETTINGS
from deis import keys
from deis.ctl.paths import Paths
from deis.etcd import Etcd, announce
from deis.settings import Settings

log = logging.getLogger(__name__)


def cluster_of(settings: Settings, paths: Paths) -> postgres.Cluster:
    """Return the cluster in ``<data dir>/database`` as the settings describe it."""
    return postgres.Cluster(paths.data("database"), settings.get("host"), settings.get("port"),
                            settings.get("maxConnections"))


def password_of(settings: Settings, etcd: Etcd) -> str:
    """Return the role's password, generating and storing one the first time."""
    password = settings.get("password")
    if not password:
        password = secrets.token_urlsafe(24)
        etcd.put(settings.key("password"), password)
        log.info("generated the database password and stored it at %s", settings.key("password"))
    return password


def publish_credentials(settings: Settings, etcd: Etcd, password: str) -> None:
    """Write ``user``, ``password`` and ``name`` where the controller reads them."""
    for name, value in (("user", settings.get("user")), ("name", settings.get("name")), ("password", password)):
        if etcd.get(keys.component("database", name)) != value:
            etcd.put(keys.component("database", name), value)


def serve(process: subprocess.Popen, stop: threading.Event) -> int:
    """Wait until ``stop`` is set or PostgreSQL exits; return the exit status."""
    while not stop.wait(1.0):
        if process.poll() is not None:
            log.error("postgres exited with status %s", process.returncode)
            return 1
    return 0


def run() -> int:
    """Run PostgreSQL until SIGTERM; return the process exit status."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    etcd = Etcd()
    settings = SETTINGS.bind(etcd)
    cluster = cluster_of(settings, Paths.from_env())
    cluster.ensure_initialized()
    process = cluster.start()
    try:
        password = password_of(settings, etcd)
        cluster.bootstrap(settings.get("user"), password, settings.get("name"))
        publish_credentials(settings, etcd, password)
        lease = announce(etcd, "database", cluster.host, cluster.port)
        log.info("PostgreSQL serves %s:%s", cluster.host, cluster.port)
        try:
            return serve(process, stop)
        finally:
            lease.__exit__(None, None, None)
    finally:
        log.info("stopping PostgreSQL")
        status = postgres.stop(process)
        log.info("PostgreSQL stopped (status %s)", status)

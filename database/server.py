"""``deis-database``: run PostgreSQL for the controller and announce it.

Start-up: keep an existing cluster, or restore the newest base backup from
the store into an empty data folder, or create one (see
:mod:`database.restore`), start PostgreSQL with WAL archiving to the store,
create the role and database (password generated once and kept in etcd),
then announce ``/deis/database/host`` and ``/port`` under a lease, plus
``user``, ``password`` and ``name``. On SIGTERM the announcement is withdrawn,
the controller's database is closed to connections (open sessions ended),
a last base backup is pushed (v1's ``ExecStop``), and PostgreSQL is shut
down cleanly (a fast shutdown: open sessions are ended, everything committed
is on disk). If PostgreSQL dies, so does this process, and its supervisor
restarts both. Base backups are also taken after initdb or a restore and
every ``backupInterval`` (see :mod:`database.maintenance`).
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import subprocess
import threading
import time
from urllib.parse import urlsplit

from database import archiving, backup, postgres, restore
from database.maintenance import Maintenance
from database.settings import SETTINGS
from deis import filemodes, keys
from deis.etcd import Etcd, announce
from deis.paths import Paths
from deis.settings import Settings
from store import StoreError, StoreUnavailable, open_store
from store.settings import default_url

#: Seconds a restore (base backup + WAL replay) may take before start counts as failed.
RESTORE_TIMEOUT = 3600.0

log = logging.getLogger(__name__)


def cluster_of(settings: Settings, paths: Paths) -> postgres.Cluster:
    """Return the cluster in ``<data dir>/database`` as the settings describe it."""
    return postgres.Cluster(paths.data("database"), settings.get("host"), settings.get("port"),
                            settings.get("maxConnections"))


def store_url_of(settings: Settings, etcd: Etcd) -> str:
    """Return where backups go: ``storeUrl``, else the platform's store, else the file default."""
    return settings.get("storeUrl") or etcd.get(keys.component("store", "url")) or default_url()


def prepare_file_store(url: str, cluster: postgres.Cluster) -> None:
    """Let the archiver (running as the cluster's owner) write WAL into a ``file://`` store.

    It passes through the store's root (0711, see :mod:`deis.filemodes`) to
    ``database/`` and ``database/wal``, which are its own and private (0700).
    """
    if urlsplit(url).scheme != "file":
        return
    folder = open_store(url).root
    filemodes.make_traversable(folder)
    for path in (folder / "database", folder / "database" / "wal"):
        path.mkdir(parents=True, exist_ok=True)
        cluster.own(path, 0o700)


def prepare_data(cluster: postgres.Cluster, url: str, etcd: Etcd) -> str:
    """Keep, restore or create the data directory; return which (see :mod:`database.restore`)."""
    if cluster.initialized():
        return restore.prepare(cluster, None, etcd)
    try:
        store = open_store(url)
    except StoreError as exc:
        raise StoreUnavailable(f"the store {url} does not answer ({exc}); an empty database folder is not "
                               "initialized while backups may exist — start again once the store is up") from exc
    try:
        return restore.prepare(cluster, store, etcd)
    finally:
        store.close()


def has_backups(url: str) -> bool:
    """True when the store holds a finished base backup (False also when it cannot be asked).

    An existing cluster whose store has none (the store was just switched,
    e.g. to Ceph, or emptied) must push one now: without it, a lost disk
    would come back empty even though every WAL segment since is archived.
    """
    try:
        store = open_store(url)
        try:
            return bool(backup.backups(store))
        finally:
            store.close()
    except StoreError as exc:
        log.warning("cannot list base backups in %s (%s); taking one as soon as it answers", url, exc)
        return False


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


def run(stop: threading.Event) -> int:
    """Run PostgreSQL until ``stop`` is set (SIGTERM); return the process exit status."""
    etcd = Etcd()
    settings = SETTINGS.bind(etcd)
    url = store_url_of(settings, etcd)
    cluster = cluster_of(settings, Paths.from_env())
    prepare_file_store(url, cluster)
    started = time.monotonic()
    how = prepare_data(cluster, url, etcd)
    target = restore.pending_target(cluster)
    options = archiving.server_options(settings.get("archiveTimeout"), how == "restored")
    cluster = dataclasses.replace(cluster, options=options + (target.options() if target else ()))
    environ = archiving.archiver_environment(url)
    process = cluster.start(environ, timeout=RESTORE_TIMEOUT if how == "restored" else postgres.START_TIMEOUT)
    archiving.wake_checkpointer(cluster)
    if how == "restored":
        restore.recovery_finished(cluster)
        until = f" up to {target.describe()}" if target else ""
        log.warning("database restored from %s and WAL replayed%s in %.1f s", url, until, time.monotonic() - started)
    maintenance = Maintenance(cluster, url, etcd, settings.get("backupInterval"), settings.get("backupsToRetain"),
                              environ, settings.get("archiveTimeout"))
    maintenance.start(backup_now=how != "existing" or not has_backups(url))
    try:
        password = password_of(settings, etcd)
        cluster.bootstrap(settings.get("user"), password, settings.get("name"))
        publish_credentials(settings, etcd, password)
        lease = announce(etcd, "database", cluster.host, cluster.port)
        log.info("PostgreSQL serves %s:%s (%s data directory)", cluster.host, cluster.port, how)
        try:
            status = serve(process, stop)
        finally:
            lease.__exit__(None, None, None)
        maintenance.stop()
        if status == 0 and settings.get("backupOnStop"):
            # Clients are shut out first, so the last backup holds every commit (T9b: nothing lost).
            cluster.close_doors(settings.get("name"))
            log.info("pushing a base backup before stopping")
            maintenance.backup()
        return status
    finally:
        maintenance.stop()
        log.info("stopping PostgreSQL")
        status = postgres.stop(process)
        log.info("PostgreSQL stopped (status %s)", status)

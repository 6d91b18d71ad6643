"""``deis-controller``: prepare the platform side, then serve the API under gunicorn.

Start-up, in order (v1's boot, without confd):

1. read the settings (environment, then etcd) and make sure the shared
   secrets ``builderKey`` and ``secretKey`` exist in etcd (generated once, as
   v1 did at boot), so the builder and every worker agree on them;
2. wait for the database and migrate it (once, in the master process);
3. rewrite the controller's etcd side from the database (``publish_all``);
4. serve with gunicorn, and announce ``/deis/controller/host`` and ``/port``
   under a lease once the socket is bound; the lease is revoked on exit;
5. start the scheduler's reconcile loop (:mod:`controller.reconciler`), a
   child that brings back app containers the engine loses, and stop it on exit.
"""

from __future__ import annotations

import logging
import secrets
import subprocess
import sys
import time

from gunicorn.app.base import BaseApplication

from controller import db, etcd_side
from controller import settings as controller_settings
from controller.app import create_app
from deis import keys
from deis.etcd import Etcd, Lease, announce
from deis.settings import Settings

log = logging.getLogger(__name__)

#: v1's gunicorn timeout: builds and deploys may take long.
TIMEOUT = 1200
#: Seconds to wait for the database at start before giving up (supervisord retries).
DATABASE_WAIT = 60.0
#: Seconds the reconcile loop has to give its leadership up when the controller stops.
RECONCILER_STOP_WAIT = 10.0
#: Secrets generated on first start and kept in etcd.
SECRETS = ("builderKey", "secretKey")


def ensure_secrets(etcd: Etcd, settings: Settings) -> None:
    """Generate and store each shared secret that neither the environment nor etcd sets."""
    for name in SECRETS:
        if settings.resolve(name)[1] == "default":
            etcd.put(settings.key(name), secrets.token_urlsafe(48))
            log.info("generated %s and stored it at %s", name, settings.key(name))


def migrate_when_up(url: str, wait: float = DATABASE_WAIT) -> None:
    """Migrate the database, retrying while it does not answer yet."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return db.migrate(url)
        except db.DatabaseUnavailable as exc:
            if time.monotonic() > deadline:
                raise
            log.info("waiting for the database: %s", exc)
            time.sleep(1.0)


def publish_everything(url: str, etcd: Etcd) -> None:
    """Rewrite the etcd side (domains, certs, routed config) from the database."""
    database = db.Database(url)
    try:
        with database.transaction() as session:
            etcd_side.publish_all(session, etcd)
    finally:
        database.dispose()


def bind_address(settings: Settings) -> str:
    """Return the address the API listens on: ``bind``, else the announced ``host``.

    By default both are loopback, so only this host's router reaches the API and
    its whitelist cannot be walked around.
    """
    return settings.get("bind") or settings.get("host")


class Server(BaseApplication):
    """gunicorn running :func:`controller.app.create_app` in each worker."""

    def __init__(self, settings: Settings, etcd: Etcd):
        self.settings = settings
        self.etcd = etcd
        self.lease: Lease | None = None
        self.reconciler: subprocess.Popen | None = None
        super().__init__()

    def load_config(self) -> None:
        """Apply the controller's gunicorn options."""
        options = {
            "bind": f"{bind_address(self.settings)}:{self.settings.get('port')}",
            "workers": self.settings.get("workers"),
            # Threads, not sync workers: a 'deis logs -f' or 'deis run' holds one thread for its
            # length, and five of them no longer take every worker and stop the API.
            "worker_class": "gthread",
            "threads": self.settings.get("threads"),
            "timeout": TIMEOUT,
            "accesslog": "-",
            "when_ready": self._announce,
            "on_exit": self._withdraw,
        }
        if "control_socket_disable" in self.cfg.settings:
            # gunicorn >= 25 opens a control socket in $HOME, shared by every controller on the host.
            options["control_socket_disable"] = True
        for name, value in options.items():
            self.cfg.set(name, value)

    def load(self):
        """Return the WSGI application (called in each worker)."""
        return create_app({"DEIS_MIGRATE": False})

    def _announce(self, _arbiter) -> None:
        host, port = self.settings.get("host"), self.settings.get("port")
        self.lease = announce(self.etcd, "controller", host, port)
        log.info("announced at %s", keys.instance("controller", f"{host}:{port}"))
        # A child, not a thread: the master forks workers, and must not wait on health checks.
        self.reconciler = subprocess.Popen([sys.executable, "-m", "controller.reconciler"])

    def _withdraw(self, _arbiter) -> None:
        if self.reconciler is not None:
            stop_child(self.reconciler, RECONCILER_STOP_WAIT)
        if self.lease is not None:
            self.lease.__exit__(None, None, None)


def stop_child(child: subprocess.Popen, wait: float) -> None:
    """SIGTERM ``child`` and wait up to ``wait`` seconds; SIGKILL it if it is still there."""
    child.terminate()
    try:
        child.wait(wait)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def run() -> None:
    """Prepare etcd and the database, then serve until SIGTERM."""
    etcd = Etcd()
    settings = controller_settings.load(etcd=etcd)
    ensure_secrets(etcd, settings)
    url = controller_settings.database_url(settings)
    migrate_when_up(url)
    publish_everything(url, etcd)
    Server(settings, etcd).run()

"""Bring back app containers the engine lost, once the controller has started (``python -m controller.recovery``).

The controller's master process starts this as a child once gunicorn
serves, so the API answers at once while lost containers come back one app
at a time (each waits for its health check like a deploy). An app someone
is changing right now (its lock is held) or whose containers will not start
is logged and left for the next start; the others go on.
"""

from __future__ import annotations

import logging
import sys

import docker.errors
from sqlalchemy import select

from controller import applog, db
from controller import settings as controller_settings
from controller.errors import Conflict
from controller.models import App
from controller.services import containers, runtime
from deis import logconfig
from deis.errors import DeisError
from deis.etcd import Etcd

log = logging.getLogger("controller.recovery")  # also when run as __main__


def restore_everything(database: db.Database, runtime_: runtime.Runtime) -> dict[str, list[str]]:
    """Run :func:`containers.restore_lost` for every app; return what came back, by app."""
    with database.transaction() as session:
        app_ids = list(session.scalars(select(App.id).order_by(App.id)))
    restored = {}
    for app_id in app_ids:
        try:
            with database.transaction() as session:
                app = session.scalar(select(App).where(App.id == app_id))
                if app is not None and (names := containers.restore_lost(session, runtime_, app)):
                    restored[app_id] = names
        except Conflict:
            log.info("%s is being changed right now; its containers are left to that change", app_id)
        except DeisError as exc:
            log.error("could not bring back the lost containers of %s: %s", app_id, exc)
    return restored


def main() -> int:
    """Restore lost containers of every app; exit 0 (failures are logged per app)."""
    logconfig.configure("controller")
    etcd = Etcd()
    settings = controller_settings.load(etcd=etcd)
    applog.install(etcd)
    try:
        runtime_ = runtime.from_settings(settings)
    except (DeisError, docker.errors.DockerException) as exc:
        log.warning("the container engine does not answer (%s); lost containers are looked for at the next "
                    "controller start", exc)
        return 0
    database = db.Database(controller_settings.database_url(settings))
    try:
        restored = restore_everything(database, runtime_)
    finally:
        database.dispose()
    for app_id, names in restored.items():
        log.warning("%s: brought back %d lost containers: %s", app_id, len(names), ", ".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())

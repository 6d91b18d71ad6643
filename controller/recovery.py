"""Bring back app containers the engine lost: what one pass of the reconcile loop does per app.

:mod:`controller.reconciler` calls :func:`restore_app` for each app it syncs:
desired containers (the rows PostgreSQL keeps, one per ``<type>.<num>`` of
the running release) are compared with the engine's, and the missing ones are
started the way a deploy starts them (health check, routed), through
:func:`controller.services.containers.restore_lost`, under the app's lock.
An app someone is changing right now (its lock is held) is not touched.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from controller import db
from controller.errors import Conflict
from controller.models import App
from controller.services import containers, runtime
from deis.errors import DeisError

log = logging.getLogger(__name__)


def app_ids(database: db.Database) -> list[str]:
    """Return the id of every app, in order."""
    with database.transaction() as session:
        return list(session.scalars(select(App.id).order_by(App.id)))


def restore_app(database: db.Database, runtime_: runtime.Runtime, app_id: str) -> list[str]:
    """Start again the containers of ``app_id`` the engine no longer has; return their names.

    Raises :class:`~controller.errors.Conflict` while a deploy, scale, restart
    or config change holds the app's lock (nothing was touched), and
    :class:`~deis.errors.DeisError` when the containers would not start
    (what was started is removed again). An app that no longer exists has
    nothing to restore.
    """
    with database.transaction() as session:
        app = session.scalar(select(App).where(App.id == app_id))
        return [] if app is None else containers.restore_lost(session, runtime_, app)


def restore_everything(database: db.Database, runtime_: runtime.Runtime) -> dict[str, list[str]]:
    """Run :func:`restore_app` for every app once; return what came back, by app.

    An app whose lock is held, or whose containers will not start, is logged
    and skipped; the others go on.
    """
    restored = {}
    for app_id in app_ids(database):
        try:
            if names := restore_app(database, runtime_, app_id):
                restored[app_id] = names
        except Conflict:
            log.info("%s is being changed right now; its containers are left to that change", app_id)
        except DeisError as exc:
            log.error("could not bring back the lost containers of %s: %s", app_id, exc)
    return restored

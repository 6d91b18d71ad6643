"""One change at a time per app: a PostgreSQL advisory lock held by the request's transaction.

Deploys, scales, restarts and config changes of one app must not interleave
(two deploys racing would each retire the other's containers). The lock is a
transaction-level advisory lock, so it is released by the request's commit or
rollback — also when the controller process dies — and needs no etcd.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from controller.errors import Conflict
from controller.models import App

#: The first key of our advisory locks ("deis"), so they never collide with another user's.
NAMESPACE = 0x64656973


def hold(session: Session, app: App) -> None:
    """Take ``app``'s lock until the transaction ends, or raise 409 when another change holds it."""
    taken = session.scalar(text("SELECT pg_try_advisory_xact_lock(:namespace, hashtext(:app))"),
                           {"namespace": NAMESPACE, "app": str(app.uuid)})
    if not taken:
        raise Conflict(f"Another change to {app.id} (a deploy, scale, restart or config change) is in "
                       "progress; wait for it to finish and try again.")

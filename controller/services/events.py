"""App lifecycle events (reference §2.11): scales, releases, runs, failures.

Each event is one line about one app, e.g. ``alice scaled containers web=2``.
They go to the ``deis.app`` logger as ``<app>: <message>``, with ``app_id`` and
``event`` attached; :mod:`controller.applog` ships them into the app's own log
as ``<app>[deis-controller]`` lines.
"""

from __future__ import annotations

import logging

log = logging.getLogger("deis.app")


def record(app_id: str, message: str) -> None:
    """Record ``message`` as an event of ``app_id``."""
    log.info("%s: %s", app_id, message, extra={"app_id": app_id, "event": message})

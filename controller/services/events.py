"""App lifecycle events (reference §2.11): scales, releases, runs, failures.

Each event is one line about one app, e.g. ``alice scaled containers web=2``.
They go to the ``deis.app`` logger as ``<app>: <message>``, with ``app_id`` and
``event`` attached; :mod:`controller.applog` ships them into the app's own log
as ``<app>[deis-controller]`` lines. A message is made of user text (a
``deis run`` command, a username), so its control characters are escaped
(``\\n``, ``\\x1b``): one event is always one line, and a newline cannot forge
a second ``[deis-controller]`` line.
"""

from __future__ import annotations

import logging

from controller import controlchars

log = logging.getLogger("deis.app")


def record(app_id: str, message: str) -> None:
    """Record ``message`` as an event of ``app_id``, on one line."""
    message = controlchars.escape(message)
    log.info("%s: %s", app_id, message, extra={"app_id": app_id, "event": message})

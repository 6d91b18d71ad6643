"""Controller events in the app's own log, as ``<app>[deis-controller]`` lines.

:func:`controller.services.events.record` logs to the ``deis.app`` logger;
:class:`AppLogHandler`, attached by the app factory, ships each of those
records to the logger component over its syslog TCP port (RFC 5424,
octet-counted) and waits for the logger's receipt, so an event is either
stored or reported as undelivered on the controller's own log, never lost
without a word. The services stay free of sockets and etcd. Every line is
escaped once more here (:func:`controller.controlchars.escape`), so nothing
logged to ``deis.app`` can put a control character into an app's log.
"""

from __future__ import annotations

import logging
import socket

from controller import controlchars
from deis import syslog
from deis.errors import EtcdUnavailable
from deis.etcd import discover
from deis.settings import KeyReader

#: How the controller appears as a process in app logs.
PROCESS = "deis-controller"
TIMEOUT = 2.0

_warnings = logging.getLogger("controller.applog")


class AppLogHandler(logging.Handler):
    """Send ``deis.app`` records (with an ``app_id``) to the logger component."""

    def __init__(self, etcd: KeyReader):
        super().__init__(level=logging.INFO)
        self.etcd = etcd

    def emit(self, record: logging.LogRecord) -> None:
        """Deliver one event; say so on the controller's log when it cannot."""
        app_id, event = getattr(record, "app_id", None), getattr(record, "event", None)
        if not app_id or event is None:
            return
        event = controlchars.escape(str(event))
        try:
            address = self._logger_address()
            if address is not None:
                deliver(address, syslog.Message(app=app_id, proc=PROCESS, text=event))
        except (OSError, EtcdUnavailable, ValueError) as exc:
            _warnings.warning("event for %s not delivered to the logger (%s): %s", app_id, exc, event)

    def _logger_address(self) -> tuple[str, int] | None:
        return discover(self.etcd, "logs")


def deliver(address: tuple[str, int], message: syslog.Message) -> None:
    """Send one framed message and wait for the logger's receipt (a line of stored-frame count)."""
    with socket.create_connection(address, timeout=TIMEOUT) as conn:
        conn.sendall(syslog.frame(message))
        if not conn.recv(64).strip():
            raise OSError("the logger closed the connection without a receipt")


def install(etcd: KeyReader | None) -> None:
    """Attach one handler to the ``deis.app`` logger (replacing an earlier app's)."""
    events = logging.getLogger("deis.app")
    for handler in [h for h in events.handlers if isinstance(h, AppLogHandler)]:
        events.removeHandler(handler)
    if etcd is not None:
        events.addHandler(AppLogHandler(etcd))
    events.setLevel(logging.INFO)

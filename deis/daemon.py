"""What every component's ``main`` shares: its first lines and its waits.

Each ``deis-<component>`` console script is the same shape: private files,
logging, a stop event that SIGTERM/SIGINT set, then the component's loop
(``<component>/server.py`` for a component that serves a port,
``<component>/reconciler.py`` for one that converges the world to etcd and
Docker). :func:`begin` is the first part; :func:`retry_until` is the wait
for etcd that components which need it before serving share.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

from deis import PLATFORM_VERSION, filemodes, keys, logconfig
from deis.errors import EtcdUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")


USAGE = """usage: deis-{component} [--version | --help]

Runs the Deis {component} until SIGTERM or SIGINT. Settings come from the
environment first (DEIS_{upper}_<SETTING>, HOST), then from etcd at DEIS_ETCD
(default http://127.0.0.1:2379), under {prefix}.
"""


def answer_flags(component: str, argv: list[str] | None = None) -> None:
    """Print the version or usage and exit when the console script got ``--version`` or ``--help``.

    Only ``deis-<component>`` itself answers (a helper run as ``python -m``
    keeps its own arguments); any other arguments are ignored, as before.
    ``docker run deis/<component>:<tag> --version`` is the cheapest proof an
    image runs its console script.
    """
    argv = sys.argv if argv is None else argv
    if not argv or argv[0].rpartition("/")[2] != f"deis-{component}":
        return
    if argv[1:] == ["--version"]:
        print(f"deis-{component} {PLATFORM_VERSION}")
        sys.exit(0)
    if argv[1:] in (["--help"], ["-h"]):
        print(USAGE.format(component=component, upper=component.upper(), prefix=keys.component(component)), end="")
        sys.exit(0)


def prepare(component: str) -> None:
    """Answer ``--version``/``--help``; set umask 077 (files private to the platform's user) and logging."""
    answer_flags(component)
    filemodes.private_umask()
    logconfig.configure(component)


def begin(component: str) -> threading.Event:
    """:func:`prepare`, then return the event SIGTERM/SIGINT set (the stop of the component's loop)."""
    prepare(component)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def wake_when(stop: threading.Event, *wake: threading.Event) -> None:
    """Set each event in ``wake`` once ``stop`` is set, so a loop asleep on its own wake event stops at once."""
    def relay() -> None:
        stop.wait()
        for event in wake:
            event.set()

    threading.Thread(target=relay, name="stop-relay", daemon=True).start()


def retry_until(stop: threading.Event, attempt: Callable[[], T], waiting_for: str,
                interval: float = 2.0) -> T | None:
    """Call ``attempt`` until it does not raise :class:`EtcdUnavailable`; None if stopped first.

    Each failure logs one warning naming ``waiting_for`` and the reason.
    """
    while not stop.is_set():
        try:
            return attempt()
        except EtcdUnavailable as exc:
            log.warning("waiting for %s: %s", waiting_for, exc)
            stop.wait(interval)
    return None

"""Docker's event stream as a wake-up call for a reconcile loop.

Level-triggered loops (the publisher, logspout, the controller's
reconciler) never act on an event itself: an event only wakes the loop,
which then reads the engine afresh. So a broken stream costs at most one
resync period, and this module only has to keep the stream open.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection

import docker

log = logging.getLogger(__name__)

#: Seconds between reconnects when the stream breaks.
RECONNECT_INTERVAL = 1.0


def wake_on_events(client: docker.DockerClient, wake: threading.Event, stop: threading.Event,
                   statuses: Collection[str] | None = None) -> threading.Thread:
    """Start a daemon thread that sets ``wake`` on each container event until ``stop`` is set.

    With ``statuses`` (``"start"``, ``"die"``, ...), only those events wake.
    """
    thread = threading.Thread(target=_follow, args=(client, wake, stop, statuses), name="docker-events", daemon=True)
    thread.start()
    return thread


def _follow(client: docker.DockerClient, wake: threading.Event, stop: threading.Event,
            statuses: Collection[str] | None) -> None:
    while not stop.is_set():
        try:
            events = client.events(decode=True, filters={"type": "container"})
            for event in events:
                if statuses is None or event.get("status") in statuses:
                    wake.set()
                if stop.is_set():
                    events.close()
                    return
        except docker.errors.DockerException as exc:
            log.warning("docker event stream broke (%s); reconnecting", exc)
        except Exception as exc:  # noqa: BLE001 - the stream must survive anything
            log.warning("docker event stream failed (%s); reconnecting", exc)
        stop.wait(RECONNECT_INTERVAL)

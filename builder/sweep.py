"""Removing the repositories of destroyed apps (Deis v1's ``check-repos``).

Level-triggered: every pass compares the repositories on disk with the apps
the controller publishes (``keys.app_marker``) and removes a repository only
after its app has been missing in two passes in a row while a controller is
announced, so an etcd restart or wipe (the controller republishes on start)
never costs anyone their repository.
"""

from __future__ import annotations

import logging
import threading

from builder.repos import Repos
from deis import keys
from deis.errors import EtcdUnavailable
from deis.etcd import Etcd

log = logging.getLogger(__name__)

#: Seconds between passes.
INTERVAL = 30.0


class Sweeper:
    """Remembers which repositories were orphaned in the previous pass."""

    def __init__(self, repos: Repos, etcd: Etcd):
        self.repos = repos
        self.etcd = etcd
        self.suspects: set[str] = set()

    def sweep(self) -> list[str]:
        """Run one pass; return the apps whose repositories were removed."""
        if self.etcd.get(keys.host("controller")) is None:
            return []  # no controller to have republished the apps: decide nothing
        apps, _ = self.etcd.get_prefix(keys.services())
        orphans = {app for app in self.repos.apps() if keys.app_marker(app) not in apps}
        removed = sorted(orphans & self.suspects)
        for app in removed:
            self.repos.remove(app)
            log.info("removed the repository of destroyed app %s", app)
        self.suspects = orphans - set(removed)
        return removed

    def run(self, stop: threading.Event, interval: float = INTERVAL) -> None:
        """Sweep every ``interval`` seconds until ``stop`` is set."""
        while not stop.wait(interval):
            try:
                self.sweep()
            except EtcdUnavailable as exc:
                log.warning("repository sweep skipped: %s", exc)

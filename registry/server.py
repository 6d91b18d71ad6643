"""The registry daemon: renders the config, runs ``docker-registry``, announces it, collects garbage.

The shape of every deis daemon: ``start`` (config, a first garbage collection
while nothing can write, the child, wait for ``GET /v2/``, announce), then a
tick loop until ``stop`` is set. Each tick restarts a child that died (with a
growing delay) and, when image hygiene has asked for it through etcd and the
registry has been idle for ``gcIdle`` seconds, stops the child, collects,
empties the Redis cache and starts it again.

On a cluster every node runs one (``collect`` false, ``imageHost``
127.0.0.1): they share the store's blobs, each node's engine pushes to and
pulls from its own at ``127.0.0.1:5000``, so an image's name holds no node's
address and outlives any node (kube-registry-proxy's pattern). Each instance
announces its node address at ``/deis/registry/hosts/<host:port>`` (where the
controller's image hygiene reaches the API) and ``imageHost`` at v1's
``/deis/registry/host``, the name builds carry. None collects garbage: one
that did would delete the blobs of a push another one is taking.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from deis import keys
from deis.errors import DeisError, EtcdUnavailable, TemporaryError
from deis.etcd import Etcd, Lease, announce
from deis.settings import Settings
from registry import cache, collector
from registry.client import RegistryClient
from registry.config import RegistryConfig, from_settings, render
from registry.process import Child, child_environment

log = logging.getLogger(__name__)

TICK = 1.0
READY_TIMEOUT = 30.0
MAX_RESTART_DELAY = 30.0


class NotReady(TemporaryError):
    """The registry did not answer ``GET /v2/`` in time."""


def write_config(path: str, text: str) -> None:
    """Write the config readable by us alone (it may hold S3 secrets)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(text)


class Registry:
    """A supervised ``docker-registry``: ``Registry(settings, etcd).start()``, then :meth:`run`."""

    def __init__(self, settings: Settings, etcd: Etcd, environ: Mapping[str, str] = os.environ):
        self.settings = settings
        self.etcd = etcd
        self.config: RegistryConfig = from_settings(settings)
        self.config_path = settings.get("configPath")
        self.binary = settings.get("binary")
        self.environ = child_environment(environ)
        self.child = Child(self.binary, self.config_path, self.environ)
        self.client = RegistryClient(f"{self._probe_host()}:{self.config.port}", timeout=2.0)
        self._lease: Lease | None = None
        self._restart_delay = 1.0
        self._restart_at = 0.0

    def _probe_host(self) -> str:
        return "127.0.0.1" if self.config.bind in ("", "0.0.0.0") else self.config.bind

    def start(self) -> Registry:
        """Write the config, collect garbage, start the registry and wait until it answers."""
        write_config(self.config_path, render(self.config))
        if self.config.s3 is None:
            Path(self.config.storage_dir).mkdir(parents=True, exist_ok=True)
        log.info("storage: %s; cache: %s", self._storage(),
                 f"redis {self.config.redis_address} db {self.config.redis_db}" if self.config.redis_host
                 else "in memory (no Redis set)")
        if self.settings.get("collect"):
            self.collect()
        else:
            log.info("garbage collection off (collect=false): other registries share this storage")
        self._start_child()
        return self

    def _storage(self) -> str:
        s3 = self.config.s3
        return f"s3 bucket {s3.bucket} at {s3.endpoint or 'AWS'}" if s3 else f"folder {self.config.storage_dir}"

    def _start_child(self) -> None:
        self.child.start()
        deadline = time.monotonic() + READY_TIMEOUT
        while not self.client.ping():
            if not self.child.alive():
                raise NotReady(f"docker-registry exited with {self.child.exit_code()}; see the lines above")
            if time.monotonic() > deadline:
                raise NotReady(f"docker-registry did not answer GET /v2/ within {READY_TIMEOUT:.0f} s")
            time.sleep(0.05)
        log.info("registry answers on %s", self.client.address)

    def collect(self) -> collector.Collection | None:
        """Collect garbage and empty the cache; the child must not be running. Logs failures."""
        try:
            done = collector.garbage_collect(self.binary, self.config_path, self.environ,
                                             self.settings.get("gcDeleteUntagged"))
            if self.config.redis_host:  # an in-memory cache starts empty with the registry
                cache.flush(self.config.redis_host, self.config.redis_port, self.config.redis_db)
        except DeisError as exc:
            log.error("%s", exc)
            return None
        log.info("garbage collection: %d blobs in use, %d blobs and %d manifests deleted in %.2f s",
                 done.marked, done.blobs_deleted, done.manifests_deleted, done.seconds)
        return done

    # -- the loop ------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Tick until ``stop`` is set, then withdraw the announcement and stop the child."""
        try:
            while not stop.is_set():
                self.tick()
                stop.wait(TICK)
        finally:
            self.stop()

    def tick(self) -> None:
        """Announce, revive a dead child, collect when asked and idle."""
        if not self.child.alive():
            self._revive()
            return
        self._restart_delay = 1.0
        self._announce()
        self._collect_if_requested()

    def _revive(self) -> None:
        if time.monotonic() < self._restart_at:
            return
        log.warning("docker-registry exited with %s; starting it again", self.child.exit_code())
        try:
            self._start_child()
        except NotReady as exc:
            log.error("%s; next try in %.0f s", exc, self._restart_delay)
            self.child.stop()
            self._restart_at = time.monotonic() + self._restart_delay
            self._restart_delay = min(self._restart_delay * 2, MAX_RESTART_DELAY)

    def _announce(self) -> None:
        if self._lease is not None:
            return
        try:
            host, image_host = self.settings.get("host"), self.settings.get("imageHost") or None
            self._lease = announce(self.etcd, "registry", host, self.config.port, shared_host=image_host)
            log.info("announced %s:%d%s", host, self.config.port,
                     f" (images are named {image_host}:{self.config.port}/…)" if image_host else "")
        except EtcdUnavailable as exc:
            log.warning("cannot announce yet: %s", exc)

    def _collect_if_requested(self) -> None:
        try:
            requested = self.etcd.get(keys.registry_gc_request())
        except EtcdUnavailable:
            return
        if requested is None or not self.settings.get("collect") or self.child.idle_for() < self.settings.get("gcIdle"):
            return  # nothing asked, or clients are busy: a collection would fail their pushes
        log.info("garbage collection requested (%s) and idle for %.0f s: collecting", requested,
                 self.child.idle_for())
        self.child.stop()
        self.collect()
        with contextlib.suppress(EtcdUnavailable):
            if self.etcd.get(keys.registry_gc_request()) == requested:  # a newer request waits for next time
                self.etcd.delete(keys.registry_gc_request())
        self._start_child()

    def stop(self) -> None:
        """Withdraw the announcement, then stop the child."""
        if self._lease is not None:
            with contextlib.suppress(Exception):
                self._lease.__exit__(None, None, None)
            self._lease = None
        self.child.stop()
        self.client.close()

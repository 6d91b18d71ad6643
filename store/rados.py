"""The ``rados://<pool>`` backend: one RADOS object per key, through Debian's ``rados`` binding.

``rados://deis`` reads ``<DEIS_DATA_DIR>/ceph/ceph.conf`` and the admin
keyring beside it; ``rados://deis?conf=/etc/ceph/ceph.conf&name=client.x&keyring=…``
names others; ``namespace`` keeps several users of one pool apart. Mount
and op timeouts are always set: ``connect(timeout=)`` alone does not bound
a wait for a dead monitor, and an op on a dead OSD otherwise waits forever — here it fails as :class:`StoreUnavailable`.
"""

from __future__ import annotations

import calendar
import contextlib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from deis.paths import Paths
from store.base import Backend, NotFound, ObjectInfo, StoreError, StoreUnavailable, check_key

#: Seconds before a monitor or OSD that does not answer counts as unavailable.
TIMEOUT = 15


def _rados():
    try:
        import rados
    except ImportError as exc:
        raise StoreError("the rados:// backend needs python3-rados: run 'deisctl install store'") from exc
    return rados


class RadosStore(Backend):
    """Objects in one RADOS pool."""

    scheme = "rados"

    def __init__(self, pool: str, conf: str, name: str = "client.admin", keyring: str = "", timeout: int = TIMEOUT,
                 namespace: str = ""):
        rados = _rados()
        self.pool = pool
        options = {"client_mount_timeout": str(timeout), "rados_osd_op_timeout": str(timeout),
                   "rados_mon_op_timeout": str(timeout)}
        if keyring:
            options["keyring"] = keyring
        self._errors = (rados.TimedOut, rados.InterruptedOrTimeoutError, rados.ConnectionShutdown,
                        rados.NotConnected, rados.IOError)
        try:
            self._cluster = rados.Rados(conffile=conf, name=name, conf=options)
            self._cluster.connect(timeout=timeout)
            self._io = self._cluster.open_ioctx(pool)
            self._io.set_namespace(namespace)
        except rados.ObjectNotFound as exc:
            raise StoreError(f"RADOS pool {pool!r} does not exist; create it with 'ceph osd pool create'") from exc
        except rados.Error as exc:
            raise StoreUnavailable(f"cannot reach the Ceph cluster of {conf}: {exc}") from exc

    @classmethod
    def from_url(cls, url: str) -> RadosStore:
        """Open ``rados://<pool>[?conf=…&name=…&keyring=…&namespace=…]``."""
        parts = urlsplit(url)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        conf = query.get("conf") or str(Paths.from_env().data("ceph") / "ceph.conf")
        keyring = query.get("keyring") or str(Path(conf).with_name("admin.keyring"))
        return cls(parts.netloc, conf, query.get("name", "client.admin"), keyring,
                   namespace=query.get("namespace", ""))

    @contextlib.contextmanager
    def _translated(self, key: str):
        rados = _rados()
        try:
            yield
        except rados.ObjectNotFound:
            raise NotFound(key) from None
        except self._errors as exc:
            raise StoreUnavailable(f"RADOS pool {self.pool!r} did not answer for {key!r}: {exc}") from exc
        except rados.Error as exc:
            raise StoreError(f"RADOS pool {self.pool!r}, object {key!r}: {exc}") from exc

    def put(self, key: str, data: bytes) -> None:
        """Replace ``key`` atomically (``write_full``; acknowledged once on the OSD's disk)."""
        with self._translated(check_key(key)):
            self._io.write_full(key, bytes(data))

    def append(self, key: str, data: bytes) -> int:
        """Append ``data`` to ``key``; return its new size."""
        with self._translated(check_key(key)):
            self._io.append(key, bytes(data))
            return self._io.stat(key)[0]

    def get_range(self, key: str, start: int = 0, end: int | None = None) -> bytes:
        """Return bytes ``[start, end)`` of ``key``."""
        with self._translated(check_key(key)):
            if end is None or end <= start:  # a stat also makes a missing key NotFound
                end = min(self._io.stat(key)[0], end if end is not None else 1 << 62)
            return self._io.read(key, end - start, start) if end > start else b""

    def stat(self, key: str) -> ObjectInfo:
        """Return size and modification time of ``key``."""
        with self._translated(check_key(key)):
            size, modified = self._io.stat(key)
        return ObjectInfo(key, size, float(calendar.timegm(modified)))

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        """Return the objects whose key starts with ``prefix``, sorted.

        RADOS has no ordered listing, so this walks the pool: fine for the
        platform's few thousand objects per pool, not for millions.
        """
        with self._translated(prefix):
            names = [obj.key for obj in self._io.list_objects() if obj.key.startswith(prefix)]
        found = []
        for name in sorted(names):
            with contextlib.suppress(NotFound):  # deleted while we listed
                found.append(self.stat(name))
        return found

    def delete(self, key: str) -> bool:
        """Delete ``key``; return whether it existed."""
        try:
            with self._translated(check_key(key)):
                self._io.remove_object(key)
        except NotFound:
            return False
        return True

    def close(self) -> None:
        """Close the pool and the cluster connection."""
        with contextlib.suppress(Exception):
            self._io.close()
        with contextlib.suppress(Exception):
            self._cluster.shutdown()

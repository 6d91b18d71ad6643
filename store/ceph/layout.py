"""Where a Ceph cluster's daemons on one host keep their files, and the identity that makes it one cluster.

Everything lives in one folder with its own ``ceph.conf``, so several
clusters (a test run's, the platform's) never meet. The identity — fsid,
keys and the gateway's S3 credentials — is what etcd keeps under
``/deis/store/*`` on one host (v1's store-monitor did the same); on a
cluster it is a Docker secret (:mod:`store.ceph.node`).

One host runs one monitor ``a`` with pools of size 1. On a cluster
(:attr:`Layout.node` set) each host's daemons take the node's name, every
monitor is listed in ``mon host``, pools are replicated across hosts
(``size``/``min_size``, CRUSH's failure domain the host) and the daemons log
to standard error, which is their container's log.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import struct
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).parent.parent / "templates"
MON_ID = "a"
MGR_ID = "x"
RGW_ID = "gateway"
OSD_ID = 0

#: Settings that make a test cluster converge in seconds (stock: ~22 s to HEALTH_OK).
FAST = {"paxos propose interval": "0.1", "mgr stats period": "1", "osd op num shards": "2",
        "mon osd report timeout": "60"}


def cephx_key() -> str:
    """Return a new cephx secret (what ``ceph-authtool --gen-print-key`` prints)."""
    now = int(time.time())
    header = struct.pack("<hIIh", 1, now, 0, 16)
    return base64.b64encode(header + os.urandom(16)).decode()


@dataclass(frozen=True)
class Identity:
    """The secrets that make a cluster: fsid, cephx keys and the gateway's S3 keys."""

    fsid: str
    mon_key: str
    admin_key: str
    mgr_key: str
    rgw_key: str
    osd_key: str
    osd_uuid: str
    access_key: str
    secret_key: str

    @classmethod
    def generate(cls) -> Identity:
        """Return a fresh identity."""
        return cls(str(uuid.uuid4()), cephx_key(), cephx_key(), cephx_key(), cephx_key(), cephx_key(),
                   str(uuid.uuid4()), secrets.token_hex(10).upper(), secrets.token_urlsafe(30))

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Identity:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class Layout:
    """The files of one cluster under ``root`` and the loopback ports it uses."""

    root: Path
    host: str = "127.0.0.1"
    mon_port: int = 3300
    rgw_port: int = 7480
    osd_bytes: int = 10 << 30
    #: Test settings (fast paxos, few shards, pool deletion allowed).
    fast: bool = False
    tuning: dict[str, str] = field(default_factory=dict)
    #: On a cluster: this host's name, the id of its monitor, manager and gateway and its CRUSH host.
    node: str = ""
    #: On a cluster: every monitor as ``(name, address)``; empty: monitor ``a`` at ``host``.
    monitors: tuple[tuple[str, str], ...] = ()
    #: Copies of each object, and how many must be up for it to be written.
    size: int = 1
    min_size: int = 1
    osd_id: int = OSD_ID
    #: Daemons log to standard error (a container's log) instead of files under ``log/``.
    log_to_stderr: bool = False

    @property
    def mon_id(self) -> str:
        return self.node or MON_ID

    @property
    def mgr_id(self) -> str:
        return self.node or MGR_ID

    @property
    def rgw_id(self) -> str:
        return self.node or RGW_ID

    @property
    def monitor_addresses(self) -> tuple[tuple[str, str], ...]:
        """Every monitor as ``(name, v2 address)``; this host's alone on one host."""
        monitors = self.monitors or ((MON_ID, self.host),)
        return tuple((name, f"[v2:{address}:{self.mon_port}]") for name, address in monitors)

    @property
    def conf(self) -> Path:
        return self.root / "ceph.conf"

    @property
    def identity_file(self) -> Path:
        return self.root / "identity.json"

    @property
    def mon_data(self) -> Path:
        return self.root / "mon" / f"ceph-{self.mon_id}"

    @property
    def mgr_data(self) -> Path:
        return self.root / "mgr" / f"ceph-{self.mgr_id}"

    @property
    def osd_data(self) -> Path:
        return self.root / "osd" / f"ceph-{self.osd_id}"

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.rgw_port}"

    def keyring(self, name: str) -> Path:
        """Return the keyring file of ``mon``, ``admin`` or ``rgw``."""
        return self.root / f"{name}.keyring"

    def render_conf(self, fsid: str) -> str:
        """Return ``ceph.conf`` for this layout (pure)."""
        environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), keep_trailing_newline=True,
                                         undefined=jinja2.StrictUndefined)
        tuning = {**(FAST if self.fast else {}), **self.tuning}
        return environment.get_template("ceph.conf.j2").render(
            fsid=fsid, root=self.root, host=self.host, rgw_port=self.rgw_port,
            mon_host=",".join(address for _, address in self.monitor_addresses), node=self.node,
            rgw_id=self.rgw_id, osd_bytes=self.osd_bytes, size=self.size, min_size=self.min_size, pg_num=8,
            tuning=tuning, allow_pool_delete=str(self.fast).lower(), log_to_stderr=self.log_to_stderr)


def keyring(entries: dict[str, tuple[str, dict[str, str]]]) -> str:
    """Render a keyring: entity → (key, caps) (pure)."""
    blocks = []
    for entity, (key, caps) in entries.items():
        lines = [f"[{entity}]", f"\tkey = {key}"]
        lines += [f'\tcaps {kind} = "{cap}"' for kind, cap in caps.items()]
        blocks.append("\n".join(lines))
    return "\n".join(blocks) + "\n"


ALL = {"mon": "allow *", "osd": "allow *", "mds": "allow *", "mgr": "allow *"}


def keyrings(identity: Identity) -> dict[str, str]:
    """Return the keyring files' contents by name; the monitor's names every entity it must know."""
    admin = {"client.admin": (identity.admin_key, ALL)}
    rgw = {f"client.rgw.{RGW_ID}": (identity.rgw_key, {"mon": "allow rw", "osd": "allow rwx", "mgr": "allow rw"})}
    mgr = {f"mgr.{MGR_ID}": (identity.mgr_key, {"mon": "allow profile mgr", "osd": "allow *", "mds": "allow *"})}
    mon = {"mon.": (identity.mon_key, {"mon": "allow *"}), **admin, **rgw, **mgr}
    return {"mon": keyring(mon), "admin": keyring(admin), "rgw": keyring(rgw), "mgr": keyring(mgr),
            "osd": keyring({f"osd.{OSD_ID}": (identity.osd_key, {})})}

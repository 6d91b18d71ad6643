"""Where a one-host Ceph cluster keeps its files, and the identity that makes it one cluster.

Everything lives in one folder with its own ``ceph.conf``, so several
clusters (a test run's, the platform's) never meet. The identity — fsid,
keys and the gateway's S3 credentials — is what etcd keeps under
``/deis/store/*`` so that another host could join later (v1's store-monitor
did the same).
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

    @property
    def conf(self) -> Path:
        return self.root / "ceph.conf"

    @property
    def identity_file(self) -> Path:
        return self.root / "identity.json"

    @property
    def mon_data(self) -> Path:
        return self.root / "mon" / f"ceph-{MON_ID}"

    @property
    def mgr_data(self) -> Path:
        return self.root / "mgr" / f"ceph-{MGR_ID}"

    @property
    def osd_data(self) -> Path:
        return self.root / "osd" / f"ceph-{OSD_ID}"

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
            fsid=fsid, root=self.root, host=self.host, mon_port=self.mon_port, rgw_port=self.rgw_port,
            rgw_id=RGW_ID, osd_bytes=self.osd_bytes, size=1, pg_num=8, tuning=tuning,
            allow_pool_delete=str(self.fast).lower())


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

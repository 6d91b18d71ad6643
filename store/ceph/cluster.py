"""Bootstrap, run and stop the daemons of a one-host Ceph cluster.

Daemons run in the foreground (``-f``), each in its own session with its
output in ``log/<name>.out``, and are stopped by the PID we recorded — never
by name, so a second cluster on the host is never touched. The environment
is scrubbed of ``CEPH_ARGS``/``CEPH_KEYRING`` (they override ``ceph.conf`` for
every daemon) and of ``AWS_CA_BUNDLE``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from deis.errors import TemporaryError
from store.ceph.layout import OSD_ID, Identity, Layout, keyrings

log = logging.getLogger(__name__)

#: Stop order: radosgw before the OSD, or radosgw can hang on SIGTERM.
DAEMONS = ("radosgw", "osd", "mgr", "mon")
STOP_TIMEOUT = 20.0
#: The S3 user of the platform and its bucket; the RADOS pool of the ``rados://`` backend.
S3_USER = "deis"
POOL = "deis"
BUCKET = "deis"
_SCRUB = ("CEPH_ARGS", "CEPH_KEYRING", "CEPH_CONF", "AWS_CA_BUNDLE")


class CephError(TemporaryError):
    """A Ceph command or daemon failed; the message carries its output."""


def environment() -> dict[str, str]:
    """Return our environment without the variables that override ``ceph.conf``."""
    return {name: value for name, value in os.environ.items() if name not in _SCRUB}


class Cluster:
    """One cluster as ``layout`` describes it, with ``identity``'s secrets."""

    def __init__(self, layout: Layout, identity: Identity):
        self.layout = layout
        self.identity = identity
        self.processes: dict[str, subprocess.Popen] = {}

    # -- commands --------------------------------------------------------------

    def ceph(self, *args: str, timeout: float = 30.0, stdin: str | None = None) -> str:
        """Run the ``ceph`` CLI as ``client.admin``; return its standard output."""
        return self._run(["ceph", "--connect-timeout", "10", *self._admin(), *args], timeout, stdin)

    def _admin(self) -> list[str]:
        return ["-c", str(self.layout.conf), "-n", "client.admin", "-k", str(self.layout.keyring("admin"))]

    def _run(self, argv: list[str], timeout: float = 30.0, stdin: str | None = None) -> str:
        try:
            result = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout,
                                    env=environment())
        except subprocess.TimeoutExpired as exc:
            raise CephError(f"{argv[0]} {' '.join(argv[-3:])} did not finish within {timeout:.0f} s") from exc
        if result.returncode != 0:
            raise CephError(f"{' '.join(argv[:1] + argv[-4:])} failed (exit {result.returncode}): "
                            f"{result.stderr.strip()[-800:]}")
        return result.stdout

    # -- bootstrap -------------------------------------------------------------

    def bootstrapped(self) -> bool:
        """True when the monitor's store exists (the cluster was made here before)."""
        return (self.layout.mon_data / "store.db").is_dir()

    def write_files(self) -> None:
        """Write ``ceph.conf``, the keyrings and the identity (mode 0600 for secrets)."""
        for folder in ("run", "log", "rgw", "mgr", "osd", "mon"):
            (self.layout.root / folder).mkdir(parents=True, exist_ok=True)
        self.layout.root.chmod(0o700)
        self.layout.conf.write_text(self.layout.render_conf(self.identity.fsid))
        contents = keyrings(self.identity)
        for name in ("mon", "admin", "rgw"):
            write_secret(self.layout.keyring(name), contents[name])
        write_secret(self.layout.identity_file, self.identity.to_json())
        self.layout.mgr_data.mkdir(parents=True, exist_ok=True)
        write_secret(self.layout.mgr_data / "keyring", contents["mgr"])

    def bootstrap(self) -> None:
        """Make the monitor store and the OSD, start everything, create the S3 user and pools."""
        self.write_files()
        self.make_monitor()
        self._spawn("mon")
        self._spawn("mgr")
        self._make_osd()
        self._spawn("osd")
        self.wait_for_osd()
        self._spawn("radosgw")
        self.ensure_pools_and_user()

    def make_monitor(self) -> None:
        """Make this host's monitor store from the initial monitor map: every monitor the layout names."""
        monmap = self.layout.root / "monmap"
        additions = [part for name, address in self.layout.monitor_addresses for part in ("--addv", name, address)]
        self._run(["monmaptool", "--create", "--clobber", "--fsid", self.identity.fsid, *additions, str(monmap)])
        self._run(["ceph-mon", "--mkfs", "-i", self.layout.mon_id, "-c", str(self.layout.conf),
                   "--monmap", str(monmap), "--keyring", str(self.layout.keyring("mon"))])

    def _make_osd(self) -> None:
        secret = json.dumps({"cephx_secret": self.identity.osd_key})
        self.ceph("osd", "new", self.identity.osd_uuid, str(OSD_ID), "-i", "-", stdin=secret)
        self.layout.osd_data.mkdir(parents=True, exist_ok=True)
        write_secret(self.layout.osd_data / "keyring", keyrings(self.identity)["osd"])
        self._run(["ceph-osd", "-c", str(self.layout.conf), "-i", str(OSD_ID), "--mkfs",
                   "--osd-uuid", self.identity.osd_uuid], timeout=120)

    def ensure_pools_and_user(self) -> None:
        """Create the ``deis`` pool (application set) and the gateway's S3 user; idempotent."""
        pools = json.loads(self.ceph("osd", "pool", "ls", "-f", "json"))
        if POOL not in pools:
            self.ceph("osd", "pool", "create", POOL, "8")
        self.ceph("osd", "pool", "application", "enable", POOL, "deis", "--yes-i-really-mean-it")
        self._s3_user()

    def _s3_user(self) -> None:
        base = ["radosgw-admin", *self._admin()]
        if self._has_s3_user(base):
            return
        try:
            self._run([*base, "user", "create", "--uid", S3_USER, "--display-name", "Deis platform",
                       "--access-key", self.identity.access_key, "--secret", self.identity.secret_key], timeout=60)
        except CephError:
            if not self._has_s3_user(base):  # else another host's gateway made it meanwhile
                raise

    def _has_s3_user(self, base: list[str]) -> bool:
        with contextlib.suppress(CephError):  # absent on the first start
            info = json.loads(self._run([*base, "user", "info", "--uid", S3_USER]))
            return any(k["access_key"] == self.identity.access_key for k in info.get("keys", []))
        return False

    # -- daemons ---------------------------------------------------------------

    def argv(self, daemon: str) -> list[str]:
        """Return the foreground command line of ``daemon`` (pure)."""
        conf = str(self.layout.conf)
        layout = self.layout
        return {
            "mon": ["ceph-mon", "-f", "-c", conf, "-i", layout.mon_id],
            "mgr": ["ceph-mgr", "-f", "-c", conf, "-i", layout.mgr_id],
            "osd": ["ceph-osd", "-f", "-c", conf, "-i", str(layout.osd_id)],
            "radosgw": ["radosgw", "-f", "-c", conf, "-n", f"client.rgw.{layout.rgw_id}"],
        }[daemon]

    def start(self) -> None:
        """Start every daemon of a bootstrapped cluster and wait until it serves S3."""
        self.write_files()
        for daemon in reversed(DAEMONS):
            if daemon == "radosgw":
                self.wait_for_osd()
            self._spawn(daemon)
        self.ensure_pools_and_user()

    def _spawn(self, daemon: str) -> subprocess.Popen:
        if self.layout.log_to_stderr:  # a container's log: ours
            output = None
        else:
            output = open(self.layout.root / "log" / f"{daemon}.out", "ab")  # noqa: SIM115 - owned by the child
        process = subprocess.Popen(self.argv(daemon), stdin=subprocess.DEVNULL, stdout=output,
                                   stderr=subprocess.STDOUT, env=environment(), start_new_session=True)
        if output is not None:
            output.close()
        (self.layout.root / "run" / f"{daemon}.pid").write_text(f"{process.pid}\n")
        self.processes[daemon] = process
        if daemon == "mon":
            self._wait(lambda: self._answers(), 30, "the monitor answering")
        if daemon == "radosgw":
            self._wait(self.gateway_answers, 60, "the gateway answering")
        return process

    def restart_dead(self) -> list[str]:
        """Start again every daemon whose process exited; return their names."""
        dead = [name for name, process in self.processes.items() if process.poll() is not None]
        for daemon in reversed([d for d in DAEMONS if d in dead]):
            log.warning("ceph %s exited with status %s; starting it again", daemon, self.processes[daemon].returncode)
            self._spawn(daemon)
        return dead

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop our daemons in order: SIGTERM, then SIGKILL after ``timeout``."""
        for daemon in DAEMONS:
            process = self.processes.pop(daemon, None)
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("ceph %s ignored SIGTERM for %.0f s; killing it", daemon, timeout)
                process.kill()
                process.wait()

    # -- state -----------------------------------------------------------------

    def _answers(self) -> bool:
        try:
            self.ceph("mon", "stat", timeout=10)
        except CephError:
            return False
        return True

    def status(self) -> dict:
        """Return ``ceph status`` as a dict."""
        return json.loads(self.ceph("status", "-f", "json", timeout=15))

    def health(self) -> str:
        """Return ``HEALTH_OK``, ``HEALTH_WARN …`` or ``HEALTH_ERR …`` with the checks' names."""
        report = json.loads(self.ceph("health", "-f", "json", timeout=15))
        checks = sorted(report.get("checks", {}))
        return " ".join([report["status"], *checks])

    def wait_for_osd(self, timeout: float = 60.0) -> None:
        """Wait until the OSD is up in the map and the address is our process's.

        After a ``kill -9`` the monitor keeps the dead OSD up for up to
        ``mon osd report timeout`` (nobody else reports it), so "up" alone is
        not enough: the address's nonce is the daemon's PID.
        """
        def up() -> bool:
            try:
                osds = json.loads(self.ceph("osd", "dump", "-f", "json", timeout=10)).get("osds", [])
            except CephError:
                return False
            return any(osd.get("up") and self._ours(osd) for osd in osds)
        self._wait(up, timeout, "the OSD coming up")

    def _ours(self, osd: dict) -> bool:
        process = self.processes.get("osd")
        nonces = {address.get("nonce") for address in osd.get("public_addrs", {}).get("addrvec", [])}
        return process is None or process.pid in nonces

    def gateway_answers(self) -> bool:
        """True when radosgw accepts connections."""
        try:
            with socket.create_connection((self.layout.host, self.layout.rgw_port), timeout=1.0):
                return True
        except OSError:
            return False

    def _wait(self, predicate, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            dead = [name for name, p in self.processes.items() if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                reason = f"ceph {', '.join(dead)} exited" if dead else f"no answer within {timeout:.0f} s"
                raise CephError(f"waiting for {what}: {reason}; see {self.layout.root / 'log'}")
            time.sleep(0.2)


def write_secret(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, readable by its owner only (from the moment it exists)."""
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text)

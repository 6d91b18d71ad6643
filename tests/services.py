"""Real services for integration tests: etcd, PostgreSQL, the Docker engine.

Each helper reuses a service that already answers (named by an environment
variable, or Docker's standard socket) and otherwise starts a throwaway one in
a temporary directory on free loopback ports, and stops it afterwards. No
mocks: tests talk to the real thing.
"""

from __future__ import annotations

import contextlib
import glob
import io
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import psutil
import requests

from deis import keys, syslog
from deis.etcd import Etcd
from deis.paths import Paths
from deisctl import infrastructure as infra
from registry.client import RegistryClient
from router.nginx import Nginx
from router.reconciler import Router
from router.render import NginxPaths, Ports

BASE_IMAGE = "deis-test/busybox:latest"
BUSYBOX_APPLETS = ("sh", "cat", "echo", "env", "sleep", "ls", "nc", "httpd", "wget", "true", "false", "kill")


def free_port() -> int:
    """Return a loopback TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout} s")
        time.sleep(interval)


@contextlib.contextmanager
def running_etcd() -> Iterator[str]:
    """Yield the endpoint of an etcd: ``DEIS_TEST_ETCD`` if it answers, else a throwaway one."""
    reused = os.environ.get("DEIS_TEST_ETCD")
    if reused and Etcd(reused, timeout=1).healthy():
        yield reused
        return
    with tempfile.TemporaryDirectory(prefix="deis-test-etcd-") as tmp:
        client, peer = free_port(), free_port()
        environ = {"DEIS_ETCD": f"http://127.0.0.1:{client}", "DEIS_ETCD_PEER_PORT": str(peer)}
        program = infra.etcd_program(Paths(Path(tmp)), environ)
        log = open(Path(tmp) / "etcd.log", "wb")
        process = subprocess.Popen(program.argv, stdout=log, stderr=subprocess.STDOUT,
                                   env=dict(os.environ, **program.environment))
        try:
            wait_until(lambda: infra.etcd_ready(environ), 20, what="etcd answering")
            yield environ["DEIS_ETCD"]
        finally:
            process.terminate()
            process.wait(10)
            log.close()


def _postgres_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is missing: apt-get install postgresql (script/test does)")
    return found


@contextlib.contextmanager
def running_postgres() -> Iterator[str]:
    """Yield a PostgreSQL URL: ``DEIS_TEST_DATABASE_URL`` if set, else a throwaway cluster.

    The throwaway cluster is made with ``initdb`` and run with ``pg_ctl`` as the
    ``postgres`` system user (PostgreSQL refuses to run as root), listening on a
    free loopback port, with a database and role ``deis``.
    """
    reused = os.environ.get("DEIS_TEST_DATABASE_URL")
    if reused:
        yield reused
        return
    tmp = tempfile.mkdtemp(prefix="deis-test-pg-")
    user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
    if user:
        os.chown(tmp, user.pw_uid, user.pw_gid)
    as_user = ["runuser", "-u", "postgres", "--"] if user else []
    data, port = f"{tmp}/data", free_port()
    subprocess.run([*as_user, _postgres_bin("initdb"), "-D", data, "-U", "postgres", "-A", "trust", "--no-sync"],
                   check=True, capture_output=True)
    options = f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run([*as_user, _postgres_bin("pg_ctl"), "-D", data, "-o", options, "-l", f"{tmp}/pg.log", "-w", "start"],
                   check=True, capture_output=True)
    try:
        for sql in ("CREATE ROLE deis LOGIN PASSWORD 'deis'", "CREATE DATABASE deis OWNER deis"):
            subprocess.run([_postgres_bin("psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-c", sql],
                           check=True, capture_output=True)
        yield f"postgresql://deis:deis@127.0.0.1:{port}/deis"
    finally:
        subprocess.run([*as_user, _postgres_bin("pg_ctl"), "-D", data, "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def running_docker() -> Iterator[docker.DockerClient]:
    """Yield a Docker client: the engine that answers, or one started for the tests.

    A started engine uses deisctl's own command line with its data under
    ``/var/lib/deis-test`` (kept between runs, so images are reused) and is
    stopped afterwards.
    """
    environ = dict(os.environ)
    process = None
    if not infra.docker_ready(environ):
        paths = Paths(Path(os.environ.get("DEIS_TEST_DATA_DIR", "/var/lib/deis-test")))
        paths.ensure()
        program = infra.docker_program(paths, environ)
        log = open(paths.logs / "docker.log", "ab")
        process = subprocess.Popen(program.argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(lambda: infra.docker_ready(environ) or process.poll() is not None, 60, what="dockerd answering")
        if process.poll() is not None:
            raise RuntimeError(f"dockerd exited; see {paths.logs / 'docker.log'}")
    client = docker.DockerClient(base_url=infra.docker_host(environ), timeout=120)
    try:
        yield client
    finally:
        client.close()
        if process is not None:
            process.terminate()
            process.wait(60)


def busybox_tarball(busybox: str = "/bin/busybox") -> bytes:
    """Return a root filesystem tarball holding busybox and its applet links."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for folder in ("bin", "tmp", "etc"):
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if folder == "tmp" else 0o755
            tar.addfile(info)
        tar.add(busybox, arcname="bin/busybox")
        for applet in BUSYBOX_APPLETS:
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type, link.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(link)
    return buffer.getvalue()


def ensure_base_image(client: docker.DockerClient) -> str:
    """Make the tiny local base image (``docker import`` of busybox-static) once."""
    with contextlib.suppress(docker.errors.ImageNotFound):
        client.images.get(BASE_IMAGE)
        return BASE_IMAGE
    repository, tag = BASE_IMAGE.split(":")
    client.api.import_image_from_data(busybox_tarball(), repository=repository, tag=tag,
                                      changes=["ENV PATH=/bin", 'CMD ["sh"]'])
    return BASE_IMAGE


SCRIPTS = Path(sys.executable).parent


class LoggerProcess:
    """A ``deis-logger`` subprocess on free loopback ports, restartable on the same ports and store."""

    def __init__(self, etcd_endpoint: str, store: Path, port: int | None = None, http_port: int | None = None):
        self.port = port or free_port()
        self.http_port = http_port or free_port()
        self.environ = dict(
            os.environ, DEIS_ETCD=etcd_endpoint, DEIS_LOGGER_PORT=str(self.port),
            DEIS_LOGGER_HTTPPORT=str(self.http_port), DEIS_LOGGER_STOREURL=f"file://{store}",
            DEIS_LOGGER_SEGMENTBYTES=str(1 << 20),
        )
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self) -> LoggerProcess:
        self.process = subprocess.Popen([str(SCRIPTS / "deis-logger")], env=self.environ)
        wait_until(self._healthy, 15, what="deis-logger answering")
        return self

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def lines(self, app: str, count: int = 1_000_000) -> list[str]:
        response = requests.get(f"{self.url}/{app}", params={"log_lines": count}, timeout=30)
        if response.status_code == 204:
            return []
        response.raise_for_status()
        return response.content.decode("utf-8", syslog.ERRORS).splitlines()

    def _healthy(self) -> bool:
        try:
            return requests.get(f"{self.url}/_health", timeout=1).status_code == 200
        except requests.RequestException:
            return False


class CephForTests:
    """A throwaway one-host Ceph cluster (see ``store.ceph``) and how to reach it."""

    def __init__(self, root: Path):
        from store.ceph import Cluster, Identity, Layout

        layout = Layout(root, mon_port=free_port(), rgw_port=free_port(), osd_bytes=4 << 30, fast=True)
        self.cluster = Cluster(layout, Identity.generate())
        self.bootstrap_seconds = 0.0

    @property
    def conf(self) -> Path:
        return self.cluster.layout.conf

    @property
    def endpoint(self) -> str:
        return self.cluster.layout.gateway_url

    @property
    def s3_environ(self) -> dict[str, str]:
        """Environment that lets a child process (the WAL archiver) reach the gateway."""
        identity = self.cluster.identity
        return {"AWS_ACCESS_KEY_ID": identity.access_key, "AWS_SECRET_ACCESS_KEY": identity.secret_key}

    def rados_url(self, namespace: str = "") -> str:
        from store.ceph.cluster import POOL

        return f"rados://{POOL}?conf={self.conf}&namespace={namespace}"

    def s3_url(self, bucket: str) -> str:
        return f"s3://{bucket}?endpoint={self.endpoint}"

    def s3_store(self, bucket: str):
        from store.s3 import S3Store

        identity = self.cluster.identity
        return S3Store(bucket, self.endpoint, identity.access_key, identity.secret_key)


@contextlib.contextmanager
def running_ceph() -> Iterator[CephForTests]:
    """Yield a fresh single-node Ceph (mon, mgr, one bluestore OSD on a sparse file, radosgw).

    Needs ``ceph-mon ceph-mgr ceph-osd radosgw ceph-common python3-rados``; every
    daemon is stopped by its PID afterwards and the folder removed.
    """
    if not shutil.which("ceph-mon"):
        raise RuntimeError("Ceph is missing: apt-get install --no-install-recommends ceph-mon ceph-mgr "
                           "ceph-osd radosgw ceph-common python3-rados (or 'deisctl install store')")
    tmp = tempfile.mkdtemp(prefix="deis-test-ceph-")
    ceph = CephForTests(Path(tmp))
    try:
        started = time.monotonic()
        ceph.cluster.bootstrap()
        ceph.bootstrap_seconds = time.monotonic() - started
        yield ceph
    finally:
        ceph.cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def running_redis(folder: Path) -> Iterator[int]:
    """Yield the port of a throwaway ``redis-server`` (deisctl's command line) on loopback."""
    port = free_port()
    paths = Paths(folder)
    paths.data("redis").mkdir(parents=True, exist_ok=True)
    environ = {"DEIS_REDIS_PORT": str(port)}
    program = infra.redis_program(paths, environ)
    with open(folder / "redis.log", "wb") as log:
        process = subprocess.Popen(program.argv, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: infra.redis_ready(environ), 10, what="redis answering")
            yield port
        finally:
            process.terminate()
            process.wait(10)


class RegistryProcess:
    """A ``deis-registry`` subprocess, restartable on the same port and data."""

    def __init__(self, etcd_endpoint: str, data_dir: Path, redis_port: int, **settings: str):
        self.port = free_port()
        self.data_dir = data_dir
        self.etcd = Etcd(etcd_endpoint)
        self.environ = dict(os.environ, DEIS_ETCD=etcd_endpoint, DEIS_DATA_DIR=str(data_dir),
                            DEIS_REGISTRY_PORT=str(self.port), DEIS_REDIS_PORT=str(redis_port),
                            **{f"DEIS_REGISTRY_{name.upper()}": value for name, value in settings.items()})
        self.log = data_dir / "registry.log"
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def client(self) -> RegistryClient:
        return RegistryClient(self.address)

    def start(self, timeout: float = 30) -> RegistryProcess:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([str(SCRIPTS / "deis-registry")], env=self.environ,
                                            stdout=log, stderr=subprocess.STDOUT)
        wait_until(self.announced, timeout, what="deis-registry announcing itself")
        return self

    def announced(self) -> bool:
        assert self.process.poll() is None, self.log.read_text()[-3000:]
        return self.etcd.get(keys.port("registry")) == str(self.port)

    def child(self) -> psutil.Process:
        """The ``docker-registry serve`` process."""
        return wait_until(lambda: next(iter(psutil.Process(self.process.pid).children()), None), 10,
                          what="docker-registry child")

    def stop(self) -> int:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            return self.process.wait(20)
        return self.process.returncode if self.process else 0


class RunningRouter:
    def __init__(self, etcd, root: Path):
        self.ports = Ports(http=free_port(), https=free_port(), builder=free_port(), health=free_port())
        self.nginx = Nginx(NginxPaths(root))
        self.host = f"test-{uuid.uuid4().hex[:6]}"
        self.router = Router(etcd, self.nginx, self.ports, self.host, reload_interval=0.2, resync=30)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.router.run, args=(self.stop,), kwargs={"ttl": 5}, daemon=True)

    def get(self, host, path="/", **kwargs):
        return requests.get(f"http://127.0.0.1:{self.ports.http}{path}", headers={"Host": host}, timeout=5, **kwargs)

    def status(self, host):
        try:
            return self.get(host).status_code
        except requests.RequestException:
            return None


def remove_app(client: docker.DockerClient, app: str) -> None:
    """Remove every container labelled ``deis.app=<app>`` and every image tagged ``<app>:`` or ``…/<app>:``.

    Images too: a build of identical content has the same image ID as another
    app's, so a leftover tag would show up on a later test's image.
    """
    for container in client.containers.list(all=True, filters={"label": f"deis.app={app}"}):
        container.remove(force=True)
    # The low-level list: images.list() fetches each image again and races the
    # controller's own image hygiene removing old release images meanwhile.
    for image in client.api.images():
        for tag in image.get("RepoTags") or []:
            if tag.startswith(f"{app}:") or f"/{app}:" in tag:
                with contextlib.suppress(docker.errors.ImageNotFound):
                    client.images.remove(tag, force=True)

"""A multi-host test bed on one machine: N hosts as network namespaces.

What ``up`` builds (3 hosts; ``../shared/multihost-notes.md`` has the
measurements and the traps behind each choice)::

    root namespace                      netns deismh-h1 (hostname h1)
    bridge deismh0 10.213.77.1/24 ──── deismh0-h1 ═ eth0 10.213.77.11   dockerd, etcd member
                                  ├─── deismh0-h2 ═ eth0 10.213.77.12   (netns deismh-h2)
                                  └─── deismh0-h3 ═ eth0 10.213.77.13   (netns deismh-h3)

* Each host runs its own dockerd (own managed containerd, data-root,
  exec-root, socket, hostname, mount namespace and ``/etc/docker``) and one
  member of a shared etcd cluster (:2379 clients, :2380 peers).
* The engines form one Swarm: h1 initialises it with a 1 s dispatcher
  heartbeat (a cut-off node is marked down in about 4 s, not 12 s); the
  others join as workers, or as managers with ``managers=3``.
* Every engine holds the project's busybox image (:data:`IMAGE`, made as
  ``tests/services.py`` makes it), imported once into h1 and ``docker
  load``-ed into the others, so the image ID is the same everywhere.
* The root namespace changes in three ways, all undone by :meth:`Testbed.down`:
  the bridge, one veth per host, and one ``FORWARD`` rule (Docker's ``DROP``
  policy would otherwise drop bridged traffic between the hosts).

Safety: no namespace has a default route, so nothing inside the bed can
reach beyond :data:`NETWORK`. From the root namespace the bed's addresses
are contacted only through :func:`require_bed_route`, which refuses unless
the kernel would send the packet over the bed's bridge; with the bridge gone
the packet would follow the default route off the machine (that happened
once while this was being measured). Docker is always reached through each
host's unix socket.

Fault injection is a partition: :meth:`Testbed.partition` sets the root
side of a host's veth down, :meth:`Testbed.heal` sets it up again.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import docker
import psutil
import requests

from deis import etcdauth, keys
from deis.errors import EtcdUnavailable
from deis.etcd import Etcd
from tests import services

#: The bridge in the root namespace; the hosts' veths are its ports.
BRIDGE = "deismh0"
#: The bed's private range: the bridge is .1, host hN is .(10+N).
NETWORK = ipaddress.ip_network("10.213.77.0/24")
GATEWAY = str(NETWORK[1])
#: Netns names carry a prefix so they cannot clash with someone's own ``h1``.
NETNS_PREFIX = "deismh-"
#: Where the hosts keep their engines, etcd data, sockets and logs.
STATE = Path(os.environ.get("DEIS_MULTIHOST_STATE", "/var/lib/deis-multihost"))
#: Held while the bed is changed (and by a pytest session for its whole run).
LOCK = Path("/run/lock/deis-multihost.lock")
IMAGE = services.BASE_IMAGE
#: Swarm's dispatcher heartbeat: a silent node is marked down after a few of these.
HEARTBEAT = 1.0
#: etcd's root password once a test's ``deisctl start`` turned authentication on (deisctl is given it:
#: ``DEIS_ETCD_PASSWORD``); :meth:`Testbed.reset` turns authentication off again for the next test.
ETCD_PASSWORD = "bed-etcd-root-password"
#: The environment a process needs to act as etcd's root on the bed.
ETCD_ENVIRON = {"DEIS_ETCD_PASSWORD": ETCD_PASSWORD}
FORWARD_RULE = ("-i", BRIDGE, "-o", BRIDGE, "-m", "comment", "--comment", f"deis-multihost-{BRIDGE}", "-j", "ACCEPT")
LAUNCHER = Path(__file__).with_name("dockerd-in-namespace.sh")
#: Networks every engine has; reset removes all others.
DEFAULT_NETWORKS = {"bridge", "host", "none", "ingress", "docker_gwbridge"}
MAX_HOSTS = 20


class BedError(Exception):
    """The bed cannot be built, reached or removed; the message says what and where."""


class LeftoverError(BedError):
    """``down`` finished but something of the bed is still there."""


@dataclass(frozen=True)
class Host:
    """One host of the bed: a network namespace with its own dockerd and etcd member."""

    index: int

    @property
    def name(self) -> str:
        """The hostname and Swarm node name, ``h1`` …"""
        return f"h{self.index}"

    @property
    def netns(self) -> str:
        """The network namespace, under ``/run/netns``."""
        return f"{NETNS_PREFIX}{self.name}"

    @property
    def veth(self) -> str:
        """The root-namespace end of the host's link (``eth0`` inside)."""
        return f"{BRIDGE}-{self.name}"

    @property
    def ip(self) -> str:
        """The host's address on the bed's network."""
        return str(NETWORK[10 + self.index])

    @property
    def state(self) -> Path:
        """The host's directory: engine data, etcd data, socket, pid files and logs."""
        return STATE / self.name

    @property
    def base_url(self) -> str:
        """The Docker API of the host's engine (a unix socket; ``DOCKER_HOST`` value)."""
        return f"unix://{self.state}/docker.sock"

    @property
    def etcd_endpoint(self) -> str:
        """The host's etcd member, for clients (reach it only while the bed is up)."""
        return f"http://{self.ip}:2379"

    def docker(self, timeout: float = 15) -> docker.DockerClient:
        """Return a Docker client of this host's engine."""
        return docker.DockerClient(base_url=self.base_url, timeout=timeout)

    def etcd(self) -> Etcd:
        """Return an etcd client of this host's member, after checking the route stays local."""
        require_bed_route(self.ip)
        return Etcd(self.etcd_endpoint, timeout=3, environ=ETCD_ENVIRON)  # authenticates only if etcd asks


def run(*args: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
    """Run a command (an argument list) and return it; a failure raises :class:`BedError`."""
    try:
        result = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                                stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired as error:
        raise BedError(f"{' '.join(args)!r} did not finish within {timeout} s") from error
    if check and result.returncode != 0:
        raise BedError(f"{' '.join(args)!r} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def require_bed_route(ip: str) -> None:
    """Raise unless the kernel would send packets for ``ip`` over the bed's bridge."""
    if ipaddress.ip_address(ip) not in NETWORK:
        raise BedError(f"{ip!r} is not on the bed's network {NETWORK}")
    result = run("ip", "-j", "route", "get", ip, check=False)
    routes = json.loads(result.stdout or "[]") if result.returncode == 0 else []
    device = routes[0].get("dev") if routes else None
    if device != BRIDGE:
        raise BedError(f"refusing to contact {ip}: it would leave through {device!r}, not {BRIDGE!r}; "
                       f"is the bed up? (python -m tests.cluster up)")


def in_netns(host: Host, *args: str, timeout: float = 5) -> subprocess.CompletedProcess:
    """Run a command inside ``host``'s network namespace (which has no default route)."""
    return run("timeout", "-k", "2", str(timeout), "nsenter", f"--net=/run/netns/{host.netns}", *args,
               check=False, timeout=timeout + 5)


class _Lock:
    """A reentrant ``flock`` on :data:`LOCK`, so two sessions never change the bed at once."""

    def __init__(self):
        self._file = None
        self._depth = 0

    @contextlib.contextmanager
    def held(self, timeout: float = 300) -> Iterator[None]:
        if self._depth == 0:
            LOCK.parent.mkdir(parents=True, exist_ok=True)
            self._file = LOCK.open("a")
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        self._file.close()
                        raise BedError(f"another session holds {LOCK} (tried for {timeout} s): "
                                       f"wait for it, or see who with 'fuser {LOCK}'") from None
                    time.sleep(0.2)
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._file.close()  # closing releases the flock
                self._file = None


class Testbed:
    """N hosts on this machine, joined in one Swarm and one etcd cluster.

    ``up`` is idempotent and repairs a dead dockerd or etcd member; ``down``
    removes everything and checks that nothing is left (:func:`leftovers`).
    """

    def __init__(self, hosts: int = 3, managers: int = 1):
        if not 1 <= hosts <= MAX_HOSTS:
            raise BedError(f"hosts must be between 1 and {MAX_HOSTS}, not {hosts!r}")
        if managers not in (1, 3) or managers > hosts:
            raise BedError(f"managers must be 1 or 3 (and at most hosts), not {managers!r}")
        #: The hosts, h1 first (h1 initialises the Swarm and always manages).
        self.hosts = [Host(index) for index in range(1, hosts + 1)]
        self.managers = managers
        self.lock = _Lock()
        #: True after ``up`` and until ``down`` (in this process).
        self.is_up = False

    @classmethod
    def existing(cls) -> Testbed:
        """Return the bed as the last ``up`` built it (3 hosts, 1 manager if none is recorded)."""
        try:
            settings = json.loads((STATE / "settings.json").read_text())
        except (OSError, ValueError):
            return cls()
        return cls(settings["hosts"], settings["managers"])

    def host(self, name: str) -> Host:
        """Return the host called ``name`` (``h2``)."""
        return next(host for host in self.hosts if host.name == name)

    # -- up ---------------------------------------------------------------

    def up(self) -> float:
        """Build what is missing and restart what died; return the seconds it took."""
        started = time.monotonic()
        with self.lock.held():
            self._check_settings()
            self._build_network()
            for host in self.hosts:
                self._prepare_state(host)
            for host in self.hosts:
                self._start_dockerd(host)
                self._start_etcd(host)
            clients = [self._wait_for_engine(host) for host in self.hosts]
            try:
                self._share_image(clients)
                self._build_swarm(clients)
                self.wait_until_ready(clients[0])
                self._wait_for_etcd()
            finally:
                for client in clients:
                    client.close()
            self.is_up = True
        return time.monotonic() - started

    def _check_settings(self) -> None:
        path = STATE / "settings.json"
        wanted = {"hosts": len(self.hosts), "managers": self.managers}
        if path.exists():
            recorded = json.loads(path.read_text())
            if recorded != wanted:
                raise BedError(f"the bed was built with {recorded}, not {wanted}: "
                               f"run 'python -m tests.cluster down' first")
        STATE.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(wanted))

    def _build_network(self) -> None:
        if not Path("/sys/class/net", BRIDGE).exists():
            run("ip", "link", "add", BRIDGE, "type", "bridge")
        run("ip", "addr", "replace", f"{GATEWAY}/{NETWORK.prefixlen}", "dev", BRIDGE)
        run("ip", "link", "set", BRIDGE, "up")
        if run("iptables", "-C", "FORWARD", *FORWARD_RULE, check=False).returncode != 0:
            run("iptables", "-I", "FORWARD", "1", *FORWARD_RULE)
        for host in self.hosts:
            if not Path("/run/netns", host.netns).exists():
                run("ip", "netns", "add", host.netns)
            if not Path("/sys/class/net", host.veth).exists():
                run("ip", "link", "add", host.veth, "type", "veth", "peer", "name", "eth0", "netns", host.netns)
                run("ip", "link", "set", host.veth, "master", BRIDGE)
            run("ip", "-n", host.netns, "addr", "replace", f"{host.ip}/{NETWORK.prefixlen}", "dev", "eth0")
            run("ip", "-n", host.netns, "link", "set", "eth0", "up")
            run("ip", "-n", host.netns, "link", "set", "lo", "up")
            run("ip", "link", "set", host.veth, "up")

    def _prepare_state(self, host: Host) -> None:
        for folder in ("docker", "exec", "etc-docker", "etcd"):
            (host.state / folder).mkdir(parents=True, exist_ok=True)
        (host.state / "etcd").chmod(0o700)
        # Written in full, so a host /etc/docker/daemon.json never applies.
        (host.state / "daemon.json").write_text(json.dumps({"log-driver": "json-file"}))

    def _start_dockerd(self, host: Host, powered_off: bool = False) -> None:
        if daemon_pid(host, "dockerd") is not None:
            return
        log = host.state / "dockerd.log"
        if not powered_off and log.exists() and log.stat().st_size:  # it died: say so where a passing run shows it
            warnings.warn(f"multihost: {host.name}'s dockerd had died and is started again; the last lines of "
                          f"{log}:\n{_tail(log, 40)}", stacklevel=2)
        # A killed dockerd leaves its containerd, shims and containers running,
        # and a new dockerd times out on that containerd: clear them first (the
        # containers would not survive the restart anyway: no live-restore).
        etcd = daemon_pid(host, "etcd")
        _kill([process for process in bed_processes(host.state) if process.pid != etcd])
        # A killed dockerd leaves its socket and the PID files of itself and its
        # containerd; while such a PID is still an unreaped zombie, dockerd
        # refuses to start, or waits on a containerd that is gone.
        host.state.joinpath("docker.sock").unlink(missing_ok=True)
        host.state.joinpath("exec", "dockerd.pid").unlink(missing_ok=True)
        host.state.joinpath("exec", "containerd", "containerd.pid").unlink(missing_ok=True)
        with (host.state / "dockerd.log").open("ab") as log:
            # setsid: killing the caller's process group must not kill the bed.
            subprocess.run(["setsid", "--fork", "nsenter", f"--net=/run/netns/{host.netns}",
                            "unshare", "--mount", "--uts", "--propagation", "slave",
                            "sh", str(LAUNCHER), str(host.state), host.name, str(NETWORK)],
                           stdin=subprocess.DEVNULL, stdout=log, stderr=log, check=True, timeout=10)

    def _start_etcd(self, host: Host) -> None:
        if daemon_pid(host, "etcd") is not None:
            return
        cluster = ",".join(f"{other.name}=http://{other.ip}:2380" for other in self.hosts)
        with (host.state / "etcd.log").open("ab") as log:
            # The little sh records its PID, which exec hands on to nsenter and then etcd.
            subprocess.run(["setsid", "--fork", "sh", "-c", 'echo $$ > "$0"; exec "$@"',
                            str(host.state / "etcd.pid"), "nsenter", f"--net=/run/netns/{host.netns}",
                            "etcd", "--name", host.name, "--data-dir", str(host.state / "etcd"),
                            "--listen-peer-urls", f"http://{host.ip}:2380",
                            "--initial-advertise-peer-urls", f"http://{host.ip}:2380",
                            # 127.0.0.1 is the namespace's own loopback, not the root etcd's.
                            "--listen-client-urls", f"http://{host.ip}:2379,http://127.0.0.1:2379",
                            "--advertise-client-urls", f"http://{host.ip}:2379",
                            "--initial-cluster", cluster, "--initial-cluster-token", f"deis-multihost-{BRIDGE}",
                            "--initial-cluster-state", "new", "--logger", "zap"],
                           stdin=subprocess.DEVNULL, stdout=log, stderr=log, check=True, timeout=10)

    def _wait_for_engine(self, host: Host, timeout: float = 30) -> docker.DockerClient:
        deadline = time.monotonic() + timeout
        while True:
            if host.state.joinpath("docker.sock").exists():
                with contextlib.suppress(docker.errors.DockerException, requests.RequestException):
                    return host.docker()  # the client asks the engine its API version
            exited = time.monotonic() > deadline - timeout + 3 and daemon_pid(host, "dockerd") is None
            if exited or time.monotonic() > deadline:
                raise BedError(f"{host.name}'s dockerd {'exited' if exited else f'did not answer within {timeout} s'}; "
                               f"last lines of {host.state}/dockerd.log:\n{_tail(host.state / 'dockerd.log')}")
            time.sleep(0.1)

    def _share_image(self, clients: list[docker.DockerClient]) -> None:
        # One import, then save/load: a separate import per engine gives a different ID per engine.
        services.ensure_base_image(clients[0])
        copy_images(clients[0], clients[1:], [IMAGE])

    def copy_images(self, tags: list[str], source: docker.DockerClient | None = None,
                    hosts: list[Host] | None = None) -> float:
        """Give every host (or ``hosts``) ``tags`` as ``source`` (default: this machine's own engine) has them.

        Hosts that already hold an image with the same ID are skipped; return the seconds it took.
        """
        started = time.monotonic()
        owned = source is None
        source = source or docker.from_env(timeout=300)
        clients = [host.docker(timeout=300) for host in hosts or self.hosts]
        try:
            copy_images(source, clients, tags)
        finally:
            for client in [*clients, *([source] if owned else [])]:
                client.close()
        return time.monotonic() - started

    def _build_swarm(self, clients: list[docker.DockerClient]) -> None:
        first, leader = self.hosts[0], clients[0]
        if _swarm_state(leader) != "active":
            with contextlib.suppress(docker.errors.APIError):
                leader.swarm.leave(force=True)
            leader.swarm.init(advertise_addr=first.ip, listen_addr=f"{first.ip}:2377",
                              dispatcher_heartbeat_period=int(HEARTBEAT * 1e9))
        leader.swarm.reload()
        tokens = leader.swarm.attrs["JoinTokens"]
        cluster_id = leader.swarm.attrs["ID"]
        # docker info is slow on a busy engine: ask each engine once.
        swarm_infos = [client.info()["Swarm"] for client in clients]
        current = {swarm_infos[0]["NodeID"]}
        for host, client, info in zip(self.hosts[1:], clients[1:], swarm_infos[1:], strict=True):
            # Only managers see the cluster's ID; a worker knows its managers' addresses.
            ours = (info.get("Cluster") or {}).get("ID") == cluster_id or any(
                manager["Addr"] == f"{first.ip}:2377" for manager in info.get("RemoteManagers") or [])
            if info["LocalNodeState"] == "active" and ours:
                current.add(info["NodeID"])
                continue
            if info["LocalNodeState"] != "inactive":
                client.swarm.leave(force=True)
            token = tokens["Manager"] if host.index <= self.managers else tokens["Worker"]
            client.swarm.join(remote_addrs=[f"{first.ip}:2377"], join_token=token,
                              advertise_addr=host.ip, listen_addr=f"{host.ip}:2377")
            current.add(client.info()["Swarm"]["NodeID"])
        # A host whose engine was rebuilt joins as a new node; its old self stays Down.
        for node in leader.nodes.list():
            if node.id not in current:
                leader.api.remove_node(node.id, force=True)

    def wait_until_ready(self, leader: docker.DockerClient, timeout: float = 30) -> None:
        """Wait until every host is a Ready, active Swarm node."""
        names = {host.name for host in self.hosts}
        deadline = time.monotonic() + timeout
        while True:
            states = {node.attrs["Description"]["Hostname"]: node.attrs["Status"]["State"]
                      for node in leader.nodes.list()}
            if all(states.get(name) == "ready" for name in names):
                return
            if time.monotonic() > deadline:
                raise BedError(f"Swarm nodes not all ready after {timeout} s: {states}")
            time.sleep(0.2)

    def _wait_for_etcd(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            health = self.etcd_health()
            if all(health.values()):
                return
            if time.monotonic() > deadline:
                raise BedError(f"etcd members not all healthy after {timeout} s: {health}")
            time.sleep(0.2)

    def etcd_health(self) -> dict[str, bool]:
        """Return, per host name, whether its etcd member reports itself healthy."""
        health = {}
        for host in self.hosts:
            require_bed_route(host.ip)
            try:
                reply = requests.get(f"{host.etcd_endpoint}/health", timeout=2)
                health[host.name] = reply.ok and reply.json().get("health") == "true"
            except (requests.RequestException, ValueError):
                health[host.name] = False
        return health

    # -- between tests ------------------------------------------------------

    def reset(self) -> float:
        """Empty the bed for the next test; return the seconds it took.

        Heals any partition, then removes every service, container and
        non-default network, node labels and drains, and etcd's ``/deis/``.
        """
        started = time.monotonic()
        with self.lock.held():
            for host in self.hosts:
                self.heal(host)
            clients = [host.docker() for host in self.hosts]
            try:
                leader = clients[0]
                self.wait_until_ready(leader)
                for service in leader.services.list():
                    service.remove()
                # Until a node's agent has stopped a removed service's task, it
                # may still start its container: wait for the tasks to be reaped.
                if not _wait_until(lambda: not leader.api.tasks(), 15):
                    raise BedError(f"tasks of removed services still there after 15 s: {leader.api.tasks()}")
                with ThreadPoolExecutor(len(clients)) as pool:
                    list(pool.map(_empty_engine, clients))
                _remove_networks(leader, scope="swarm")
                for node in leader.nodes.list():
                    spec = node.attrs["Spec"]
                    if spec.get("Labels") or spec.get("Availability") != "active":
                        node.update({**spec, "Labels": {}, "Availability": "active"})
            finally:
                for client in clients:
                    client.close()
            self._empty_etcd()
        return time.monotonic() - started

    def _empty_etcd(self, timeout: float = 15) -> None:
        # After a healed partition the members may be electing a leader, and
        # a write waits for it (seen: a 3 s timeout on a busy machine): retry.
        self._wait_for_etcd(timeout)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.hosts[0].etcd().delete_prefix(keys.ROOT)
                self._disable_etcd_auth()
                return
            except EtcdUnavailable:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def power_off(self, host: Host) -> None:
        """Stop ``host`` as a power cut would: its etcd member, engine and every container, at once (SIGKILL)."""
        processes = bed_processes(host.state)
        result = run("ip", "netns", "pids", host.netns, check=False)
        for pid in map(int, result.stdout.split()):
            with contextlib.suppress(psutil.Error):
                processes.append(psutil.Process(pid))
        _kill(processes)

    def power_on(self, *hosts: Host, timeout: float = 90) -> None:
        """Start what booting ``hosts`` start: each one's engine (with its Swarm state on disk) and etcd member.

        All of them first, then the wait for their engines: a manager's engine
        answers only once raft has a quorum, which takes the other managers.
        """
        for host in hosts:
            self._prepare_state(host)
            # The engine first, as ``up`` does: starting it clears what a killed engine left, which is every
            # process of the host but its etcd, and an etcd started a moment before may not be named etcd yet.
            self._start_dockerd(host, powered_off=True)
            self._start_etcd(host)
        for host in hosts:
            self._wait_for_engine(host, timeout).close()

    def kill_etcd(self, host: Host) -> None:
        """Kill ``host``'s etcd member alone (SIGKILL); :meth:`power_on` starts it again."""
        pid = daemon_pid(host, "etcd")
        if pid is not None:
            _kill([psutil.Process(pid)])

    def _disable_etcd_auth(self) -> None:
        """Turn off the authentication a test's ``deisctl start`` turned on: the next test starts from none."""
        client = self.hosts[0].etcd()
        if not client.auth_enabled():
            return
        endpoint = self.hosts[0].etcd_endpoint
        token = etcdauth.authenticate(endpoint, ETCD_PASSWORD, 3)
        answer = requests.post(f"{endpoint}/v3/auth/disable", json={}, headers={"Authorization": token}, timeout=3)
        if answer.status_code != 200:
            raise EtcdUnavailable(f"etcd refused to disable authentication: {answer.text[:200]}")
        etcdauth.forget_tokens()  # an etcd without authentication refuses a request that carries one

    def partition(self, host: Host) -> None:
        """Cut ``host`` off the bed (the root side of its link goes down)."""
        run("ip", "link", "set", host.veth, "down")

    def heal(self, host: Host) -> None:
        """Bring ``host``'s link back up."""
        run("ip", "link", "set", host.veth, "up")

    # -- down -------------------------------------------------------------

    def down(self) -> float:
        """Remove the whole bed and check nothing is left; return the seconds it took.

        Raises :class:`LeftoverError` naming whatever is still there.
        """
        started = time.monotonic()
        with self.lock.held():
            self.is_up = False
            _kill_bed_processes()
            for netns in bed_netns():
                run("ip", "netns", "delete", netns)
            # A deleted netns takes its veths along, but the kernel does it a moment later.
            _wait_until(lambda: not [link for link in bed_links() if link != BRIDGE], 10)
            for link in bed_links():
                run("ip", "link", "delete", link, check=False)
            while run("iptables", "-C", "FORWARD", *FORWARD_RULE, check=False).returncode == 0:
                run("iptables", "-D", "FORWARD", *FORWARD_RULE)
            mounts = bed_mounts()
            if mounts:
                raise LeftoverError(f"not deleting {STATE}: still mounted: {mounts}")
            shutil.rmtree(STATE, ignore_errors=True)
            left = leftovers()
        if left:
            raise LeftoverError("down left behind: " + "; ".join(left))
        return time.monotonic() - started

    # -- status -----------------------------------------------------------

    def status(self) -> list[dict]:
        """Return one row per host: netns, dockerd, Swarm node state and etcd health."""
        rows = [{"host": host.name, "ip": host.ip, "netns": Path("/run/netns", host.netns).exists(),
                 "dockerd": daemon_pid(host, "dockerd"), "etcd": daemon_pid(host, "etcd"),
                 "node": None, "etcd_healthy": None, "docker_host": host.base_url} for host in self.hosts]
        with contextlib.suppress(BedError, docker.errors.DockerException, requests.RequestException):
            with contextlib.closing(self.hosts[0].docker(timeout=5)) as leader:
                nodes = {node.attrs["Description"]["Hostname"]: node.attrs["Status"]["State"]
                         for node in leader.nodes.list()}
            for row in rows:
                row["node"] = nodes.get(row["host"])
        if all(row["netns"] for row in rows) and Path("/sys/class/net", BRIDGE).exists():
            with contextlib.suppress(BedError):
                for row, healthy in zip(rows, self.etcd_health().values(), strict=True):
                    row["etcd_healthy"] = healthy
        return rows


def daemon_pid(host: Host, daemon: str) -> int | None:
    """Return the PID of ``host``'s running ``dockerd`` or ``etcd``, or None.

    The PID file alone is not trusted: the process must still be that daemon
    of that host (its command line names the host's directory).
    """
    try:
        pid = int((host.state / f"{daemon}.pid").read_text())
        process = psutil.Process(pid)
        if process.status() != psutil.STATUS_ZOMBIE and process.name() == daemon \
                and any(arg.startswith(f"{host.state}/") for arg in process.cmdline()):
            return pid
    except (OSError, ValueError, psutil.Error):
        pass
    return None


def bed_netns() -> list[str]:
    """Return the bed's network namespaces that exist."""
    folder = Path("/run/netns")
    return sorted(path.name for path in folder.glob(f"{NETNS_PREFIX}h*")) if folder.exists() else []


def bed_links() -> list[str]:
    """Return the bed's bridge and root-side veths that exist in the root namespace."""
    return sorted(path.name for path in Path("/sys/class/net").iterdir()
                  if path.name == BRIDGE or path.name.startswith(f"{BRIDGE}-"))


def bed_mounts() -> list[str]:
    """Return the root namespace's mount points under the state dir or of the bed's netns."""
    points = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    return [point for point in points
            if point == str(STATE) or point.startswith(f"{STATE}/") or point.startswith(f"/run/netns/{NETNS_PREFIX}")]


def bed_processes(folder: Path = STATE) -> list[psutil.Process]:
    """Return the processes of the bed (or of one host's ``folder``): dockerd, containerd, shims, etcd.

    They are found by the state dir in their command line, not by PID files,
    so a crashed run's processes are found too.
    """
    marker = f"{folder}/"
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if process.pid != os.getpid() and any(marker in arg for arg in cmdline):
            found.append(process)
    return found


def leftovers() -> list[str]:
    """Describe what of the bed exists: netns, links, the FORWARD rule, mounts, processes, state."""
    left = [f"netns {name}" for name in bed_netns()]
    left += [f"link {name}" for name in bed_links()]
    if run("iptables", "-C", "FORWARD", *FORWARD_RULE, check=False).returncode == 0:
        left.append(f"iptables FORWARD rule {' '.join(FORWARD_RULE)!r}")
    left += [f"mount {point}" for point in bed_mounts()]
    left += [f"process {process.pid} {' '.join(process.info['cmdline'])[:80]}" for process in bed_processes()]
    if STATE.exists():
        left.append(f"directory {STATE}")
    return left


def _kill_bed_processes() -> None:
    # SIGKILL, not a graceful stop: all their state is deleted next, and a
    # graceful stop took 5-9 s (containerd, and an etcd leader that tries
    # to hand over).
    processes = bed_processes()
    for netns in bed_netns():
        result = run("ip", "netns", "pids", netns, check=False)
        for pid in map(int, result.stdout.split()):
            with contextlib.suppress(psutil.Error):
                processes.append(psutil.Process(pid))
    _kill(processes)


def _kill(processes: list[psutil.Process], timeout: float = 15) -> None:
    # Descendants too: containers are children of their shims, and would outlive a killed shim.
    targets = {process.pid: process for process in processes}
    for process in processes:
        with contextlib.suppress(psutil.Error):
            targets.update((child.pid, child) for child in process.children(recursive=True))
    targets.pop(os.getpid(), None)
    for process in targets.values():
        with contextlib.suppress(psutil.Error):
            process.send_signal(signal.SIGKILL)
    # A zombie counts as gone: it holds no socket, mount or namespace, and
    # this machine's PID 1 reaps orphans late (psutil.wait_procs waited up to 12 s).
    if not _wait_until(lambda: not any(_running(process) for process in targets.values()), timeout):
        alive = [process.pid for process in targets.values() if _running(process)]
        raise LeftoverError(f"processes survived SIGKILL for {timeout} s: {alive}")


def _running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _empty_engine(client: docker.DockerClient, timeout: float = 15) -> None:
    # Swarm removes a removed service's containers by itself, concurrently
    # with us: "already in progress" and "no such container" are both fine.
    deadline = time.monotonic() + timeout
    while containers := client.api.containers(all=True):
        if time.monotonic() > deadline:
            raise BedError(f"containers still there after {timeout} s: {[c['Names'] for c in containers]}")
        for container in containers:
            with contextlib.suppress(docker.errors.APIError):
                client.api.remove_container(container["Id"], force=True)
        time.sleep(0.1)
    _remove_networks(client, scope="local")


def _remove_networks(client: docker.DockerClient, scope: str, timeout: float = 60) -> None:
    """Remove the networks of ``scope`` but Docker's own, waiting out ones still "in use by task".

    A container attached to an overlay holds a network-attachment task in the
    Swarm (not listed with the services' tasks); its removal reaches the
    managers a little after the container's, later still from a node that was
    cut off (seen once in a full run, after the failover tests).
    """
    deadline = time.monotonic() + timeout
    for network in client.networks.list():
        if network.name in DEFAULT_NETWORKS or network.attrs.get("Scope") != scope:
            continue
        while True:
            try:
                network.remove()
                break
            except docker.errors.NotFound:
                break
            except docker.errors.APIError as exc:
                if "in use" not in str(exc) or time.monotonic() > deadline:
                    raise BedError(f"network {network.name} not removed after {timeout:g} s: {exc}") from exc
                time.sleep(0.5)


def _wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not (done := predicate()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return done


def _swarm_state(client: docker.DockerClient) -> str:
    return client.info()["Swarm"]["LocalNodeState"]


def copy_images(source: docker.DockerClient, targets: list[docker.DockerClient], tags: list[str]) -> None:
    """Copy ``tags`` from the engine ``source`` into each of ``targets`` lacking them (same IDs everywhere).

    One ``docker save`` of all the tags (so shared layers travel once),
    streamed to a file under :data:`STATE`, then ``docker load`` into the
    engines in parallel (about 18 s for a 300 MB image into 3 engines here).
    """
    ids = {tag: source.images.get(tag).id for tag in tags}
    missing = [client for client in targets if not all(_has_image(client, tag, ids[tag]) for tag in tags)]
    if not missing:
        return
    STATE.mkdir(parents=True, exist_ok=True)
    archive = STATE / f"images-{os.getpid()}.tar"
    try:
        # The SDK saves one image per call; the engine's API takes several names at once.
        response = source.api.get(source.api._url("/images/get"), params={"names": tags}, stream=True)
        response.raise_for_status()
        with archive.open("wb") as file:
            for chunk in response.iter_content(1 << 20):
                file.write(chunk)

        def load(client: docker.DockerClient) -> None:
            with archive.open("rb") as file:
                for line in client.api.load_image(file):
                    if "error" in line:
                        raise BedError(f"loading {tags} into an engine of the bed failed: {line['error']}")

        with ThreadPoolExecutor(len(missing)) as pool:
            list(pool.map(load, missing))
    finally:
        archive.unlink(missing_ok=True)


def _has_image(client: docker.DockerClient, tag: str, image_id: str) -> bool:
    try:
        return client.images.get(tag).id == image_id
    except docker.errors.ImageNotFound:
        return False


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"

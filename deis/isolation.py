"""App isolation on one host: the app network, and the firewall that keeps it off the host.

Tenant code runs in app containers, so on one host they are fenced in twice:

* **The app network** (``deis-apps`` by default; the platform setting
  ``appNetwork``): a user-defined bridge with inter-container traffic off
  (``com.docker.network.bridge.enable_icc=false``), so one app's container
  cannot open a connection to another's. No app port is published on the host:
  routers on this host reach containers at their own address on this network.
  On a cluster the same name will be an attachable overlay network — this
  setting is the seam.
* **The host firewall**: the chain ``DEIS-ISOLATION``, jumped to first from
  ``INPUT``, drops every packet that enters the host from the app bridge except
  replies to connections the host opened (conntrack ``RELATED,ESTABLISHED``:
  the router proxying to an app, a health check). So a container cannot reach
  the router, the controller, the builder, the registry or anything else the
  host listens on — not even through the bridge's gateway address. Traffic to
  the outside world goes through ``FORWARD``, which is left to Docker.

The chain is the platform's alone and covers every network labelled
``deis.network=apps``: installing rewrites it atomically with
``iptables-restore --noflush`` (no other chain is flushed) and adds the one
``INPUT`` jump if it is missing; removing deletes that jump and the chain. The
binary is plain ``iptables``, the one dockerd itself runs (nft-backed on Debian
12), so both write the same tables.

Who does what: the docker scheduler calls :func:`isolate` before every
container it creates (level-triggered: it runs as root beside the engine, and
it is the one that puts tenants on the network); ``deisctl uninstall docker``
(or ``platform``) calls :func:`teardown`, which removes only app networks that
no container is on, and the rules of those.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Iterable

import docker
from docker.errors import APIError, DockerException, NotFound

from deis.errors import ConfigurationError, TemporaryError

log = logging.getLogger(__name__)

#: The default name of the app network (the platform setting ``appNetwork``).
NETWORK = "deis-apps"
#: The filter-table chain holding the platform's rules, and only them.
CHAIN = "DEIS-ISOLATION"
#: Docker's bridge option that, set to false, drops traffic between containers of one network.
ICC_OPTION = "com.docker.network.bridge.enable_icc"
#: Label marking the networks the platform made.
LABEL = "deis.network"


class FirewallError(TemporaryError):
    """``iptables`` failed; the message carries its own words."""


def network_options(name: str) -> dict:
    """Return the keyword arguments of ``networks.create`` for the app network (pure)."""
    return {"name": name, "driver": "bridge", "options": {ICC_OPTION: "false"},
            "labels": {LABEL: "apps"}, "check_duplicate": True}


def bridge_interface(attrs: dict) -> str:
    """Return the host interface of a bridge network from its ``docker network inspect``."""
    options = attrs.get("Options") or {}
    return options.get("com.docker.network.bridge.name") or f"br-{attrs['Id'][:12]}"


def ensure_network(client: docker.DockerClient, name: str = NETWORK) -> dict:
    """Create the app network unless it exists; return its ``docker network inspect``.

    An existing network of that name that lets containers talk to each other is
    refused rather than used: it would quietly undo the isolation.
    """
    try:
        attrs = _inspect(client, name) or _create(client, name)
    except DockerException as exc:
        raise TemporaryError(f"the Docker engine failed while preparing network {name!r}: {exc}") from exc
    if (attrs.get("Options") or {}).get(ICC_OPTION) != "false" or attrs.get("Driver") != "bridge":
        raise ConfigurationError(
            f"network {name!r} exists but is not a bridge with inter-container traffic off; "
            f"remove it ('docker network rm {name}') or set appNetwork to another name")
    return attrs


def _inspect(client: docker.DockerClient, name: str) -> dict | None:
    try:
        return client.api.inspect_network(name)
    except NotFound:
        return None


def _create(client: docker.DockerClient, name: str) -> dict:
    try:
        client.networks.create(**network_options(name))
        log.info("created app network %s (inter-container traffic off)", name)
    except APIError as exc:
        if exc.status_code != 409:  # 409: another worker made it a moment ago
            raise
    return client.api.inspect_network(name)


def container_ip(attrs: dict, network: str = NETWORK) -> str | None:
    """Return a container's IP on ``network`` (``docker inspect`` attributes; pure).

    A container made before the app network existed has none there; its first
    network's address is used until its next deploy replaces it.
    """
    networks = (attrs.get("NetworkSettings") or {}).get("Networks") or {}
    preferred = [networks[network]] if network in networks else []
    for settings in [*preferred, *networks.values()]:
        if (settings or {}).get("IPAddress"):
            return settings["IPAddress"]
    return None


def chain_rules(interfaces: list[str]) -> list[list[str]]:
    """Return the rules of :data:`CHAIN` guarding the host from the app bridges ``interfaces`` (pure)."""
    rules = []
    for interface in interfaces:
        rules.append(["-A", CHAIN, "-i", interface, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED",
                      "-j", "RETURN"])
        rules.append(["-A", CHAIN, "-i", interface, "-j", "DROP"])
    return rules


def restore_input(interfaces: list[str]) -> str:
    """Return the ``iptables-restore --noflush`` text that (re)writes :data:`CHAIN` alone (pure)."""
    lines = ["*filter", f":{CHAIN} - [0:0]", *(" ".join(rule) for rule in chain_rules(interfaces)), "COMMIT", ""]
    return "\n".join(lines)


def install_firewall(interfaces: list[str]) -> None:
    """Make :data:`CHAIN` hold the rules for ``interfaces`` and ``INPUT`` jump to it first."""
    _run(["iptables-restore", "--wait", "--noflush"], restore_input(interfaces))
    if not _jumps_to_chain():
        _run(["iptables", "--wait", "-I", "INPUT", "1", "-j", CHAIN])


def remove_firewall() -> None:
    """Delete the ``INPUT`` jump and :data:`CHAIN`; absent is fine."""
    while _jumps_to_chain():
        _run(["iptables", "--wait", "-D", "INPUT", "-j", CHAIN])
    if _chain_exists():
        _run(["iptables", "--wait", "-F", CHAIN])
        _run(["iptables", "--wait", "-X", CHAIN])


def app_networks(client: docker.DockerClient) -> list[dict]:
    """Return ``docker network inspect`` of every network the platform made for apps."""
    found = client.api.networks(filters={"label": f"{LABEL}=apps"})
    return [client.api.inspect_network(network["Id"]) for network in found]


def isolate(client: docker.DockerClient, name: str = NETWORK) -> str:
    """Ensure the app network ``name`` and the firewall of every app network; return its bridge.

    Idempotent and cheap (one API call more than a look-up, one
    ``iptables-restore``), so the scheduler calls it before every container it
    creates: rules lost to a firewall reload come back at the next deploy.
    """
    interface = bridge_interface(ensure_network(client, name))
    try:
        others = [bridge_interface(attrs) for attrs in app_networks(client)]
    except DockerException as exc:
        raise TemporaryError(f"the Docker engine failed while listing app networks: {exc}") from exc
    install_firewall(sorted({interface, *others}))
    return interface


def teardown(client: docker.DockerClient, names: Iterable[str] | None = None) -> list[str]:
    """Remove the empty app networks (all, or those ``names``), then their rules; return the names removed.

    A network that still has containers keeps its network and its rules: app
    containers outlive a platform stop, and must not come out of the fence. The
    chain goes when no app network is left.
    """
    wanted = None if names is None else set(names)
    removed = []
    try:
        for attrs in app_networks(client):
            if (wanted is None or attrs["Name"] in wanted) and not attrs.get("Containers"):
                client.api.remove_network(attrs["Id"])
                removed.append(attrs["Name"])
        remaining = sorted(bridge_interface(attrs) for attrs in app_networks(client))
    except DockerException as exc:
        raise TemporaryError(f"the Docker engine failed while removing app networks: {exc}") from exc
    if remaining:
        install_firewall(remaining)
    else:
        remove_firewall()
    return removed


def _jumps_to_chain() -> bool:
    return _succeeds(["iptables", "--wait", "-C", "INPUT", "-j", CHAIN])


def _chain_exists() -> bool:
    return _succeeds(["iptables", "--wait", "-S", CHAIN])


def _succeeds(argv: list[str]) -> bool:
    return subprocess.run(_resolved(argv), capture_output=True, check=False).returncode == 0


def _run(argv: list[str], stdin: str | None = None) -> None:
    done = subprocess.run(_resolved(argv), input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        words = " ".join(line for line in done.stderr.splitlines() if not line.startswith("#"))
        raise FirewallError(f"{argv[0]} {' '.join(argv[1:3])} failed ({words.strip() or done.returncode}); "
                            "the platform must run as root to guard the host from app containers")


def _resolved(argv: list[str]) -> list[str]:
    """Find the binary in ``/usr/sbin`` too (supervisord's PATH may lack it)."""
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    return [shutil.which(argv[0], path=search) or argv[0], *argv[1:]]

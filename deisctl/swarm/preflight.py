"""What ``deisctl install`` checks and prepares on a cluster, and the images a manager's engine lacks.

v1's ``install platform`` submitted units and started nothing; on a Swarm
there is nothing to submit before ``start`` creates the services, so
``install`` is the preflight: the platform domain is set in etcd (refused
without it, as v1 did), a missing ``sshPrivateKey`` is warned of, the
overlays (and, for a Ceph store, the store's identity secret) are made, and
the images the services will run are looked for on the manager's engine
(the specs name each by content: :mod:`deisctl.swarm.image_refs`).

**Which etcd**: :func:`deisctl.swarm.etcd_access.etcd_endpoint`.

**Which images.** deisctl reaches the managers' Docker APIs only. Each
node's Swarm agent pulls ``<repository>/<component>:<tag>`` itself when the
image is not on its node, so a node can run it when it holds it (``docker
load``) or a registry it can pull from has it. The check here is the honest
part deisctl can see: the manager's own engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import docker
import requests
from docker.utils import parse_repository_tag

from deis import keys
from deis.errors import ConfigurationError, EtcdUnavailable
from deis.etcd import Etcd
from deisctl.platform import MISSING_DOMAIN
from deisctl.swarm import image_refs, store_specs
from deisctl.swarm.cluster import Cluster, translated

Report = Callable[[str], None]
NO_SSH_KEY = ("warning: no platform sshPrivateKey; 'deis run' will be unavailable. "
              "Set one with 'deisctl config platform set sshPrivateKey=<path>'")


def cluster_etcd(cluster: Cluster, environ: Mapping[str, str]) -> Etcd:
    """A client of the cluster's etcd (see the module docstring for which members)."""
    return cluster.etcd(environ)


def require_domain(etcd: Etcd) -> str:
    """Return the platform domain, or refuse as v1's ``install platform`` did."""
    try:
        domain = etcd.get(keys.platform("domain"))
    except EtcdUnavailable as exc:
        raise EtcdUnavailable(f"the cluster's etcd ({etcd.endpoint}) did not answer: {exc}; "
                              "set DEIS_ETCD to a member this machine reaches") from exc
    if not domain:
        raise ConfigurationError(MISSING_DOMAIN)
    return domain


def needed_images(desired: Mapping[str, Mapping]) -> list[str]:
    """The names of the images the services of ``desired`` (Engine API specs) run, each once, in order (pure)."""
    found = [image_refs.image_name(spec) for spec in desired.values()]
    return list(dict.fromkeys(found))


def missing_images(client: docker.DockerClient, images: Iterable[str], pull: bool = False,
                   report: Report = print) -> list[str]:
    """The ``images`` the engine of ``client`` lacks; with ``pull``, it is asked to pull each first."""
    missing = []
    with translated("looking for the images on the manager's engine"):
        for image in images:
            if _has(client, image):
                continue
            if pull and _pulled(client, image, report):
                continue
            missing.append(image)
    return missing


def _has(client: docker.DockerClient, image: str) -> bool:
    try:
        client.api.inspect_image(image)
        return True
    except docker.errors.ImageNotFound:
        return False


def _pulled(client: docker.DockerClient, image: str, report: Report) -> bool:
    repository, tag = parse_repository_tag(image)
    try:
        client.api.pull(repository, tag)
    except (docker.errors.APIError, requests.RequestException) as exc:
        report(f"{image}: the manager's engine could not pull it ({getattr(exc, 'explanation', None) or exc})")
        return False
    report(f"{image}: pulled by the manager's engine")
    return True


def install(cluster: Cluster, components: list[str], report: Report = print) -> list[str]:
    """Make the overlays (and a Ceph store's identity) and return the images of ``components`` the manager lacks.

    Nothing is started: ``deisctl start`` creates the services.
    """
    cluster.ensure_networks()
    report(f"networks: {cluster.settings.network} (apps), {cluster.settings.platform_network} (platform)")
    chosen = [c for c in components if c not in store_specs.COMPONENTS or store_specs.runs_ceph(cluster.settings)]
    if any(component in store_specs.COMPONENTS for component in chosen):
        with translated("making the store's identity secret"):
            cluster.identity_secret()
        report(f"store: identity secret {store_specs.SECRET}")
    with translated("reading the desired services"):
        images = needed_images(cluster.desired(chosen))
    missing = missing_images(cluster.client, images)
    report(f"images: {len(images) - len(missing)} of {len(images)} on the manager's engine ({cluster.url})")
    return missing

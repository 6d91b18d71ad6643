"""The platform's images named by content in its service specs, so no Swarm agent fetches another's.

Before it starts each task, a Swarm agent pulls the task's image from the
registry its name points to, and runs whatever that pull leaves under the
name; only a reference by image ID, or by a digest the node already holds,
is not pulled (Docker 20.10's ``Prepare``; ``DOCKER_SERVICE_PREFER_OFFLINE_IMAGE``
on every node's daemon is the only other way out). The platform's images are
named ``deis/<component>:v<version>`` — on Docker Hub, that is Deis v1's own
(Go) image of the same tag, and any node that reaches the internet would run
it instead of the one the operator loaded.

So every spec deisctl sends names the image the manager's engine holds:

- ``<name>@sha256:<manifest digest>`` when it came from a registry of that
  name (a node lacking it pulls exactly that content, and one holding it
  pulls nothing);
- else ``sha256:<image ID>``, the ID ``docker load`` keeps, so every node
  that was given the image by ``docker save``/``load`` runs the same bytes.

An image the manager lacks keeps its name: ``install`` and ``upgrade`` say
it is missing, and ``upgrade --pull`` pulls it before the specs are made
again. The name stays on the task's container as :data:`IMAGE_LABEL`. As
the reference is part of the spec's hash, an image rebuilt under the same
tag rolls out on the next ``start``.
"""

from __future__ import annotations

from collections.abc import Mapping

import docker
from docker.utils import parse_repository_tag

from deisctl.swarm import specs

#: The container label naming the image a task's reference was pinned from.
IMAGE_LABEL = "com.deis.image"


def reference(api: docker.APIClient, name: str) -> str:
    """The content reference of the image ``name`` on the engine of ``api``, or ``name`` when it lacks it."""
    try:
        image = api.inspect_image(name)
    except docker.errors.ImageNotFound:
        return name
    return pinned_reference(name, image)


def pinned_reference(name: str, image: Mapping) -> str:
    """The reference of ``name`` given the engine's inspection of it (pure; see the module docstring)."""
    wanted, _ = parse_repository_tag(name)
    for repo_digest in image.get("RepoDigests") or []:
        found, _, digest = repo_digest.partition("@")
        if digest and (found == wanted or found == f"docker.io/{wanted}" or found == f"docker.io/library/{wanted}"):
            return f"{name}@{digest}"
    return image["Id"]


def with_reference(spec: Mapping, ref: str) -> dict:
    """``spec`` running ``ref``, its image's name kept as :data:`IMAGE_LABEL` (pure)."""
    template = dict(spec["TaskTemplate"])
    container = dict(template["ContainerSpec"])
    container["Labels"] = {**container.get("Labels", {}), IMAGE_LABEL: image_name(spec)}
    container["Image"] = ref
    template["ContainerSpec"] = container
    return specs.hashed({**spec, "TaskTemplate": template})


def pin_all(api: docker.APIClient, wanted: Mapping[str, Mapping]) -> dict[str, dict]:
    """Every spec of ``wanted`` running its image by content (one inspection per image)."""
    found: dict[str, str] = {}
    pinned = {}
    for component, spec in wanted.items():
        name = image_name(spec)
        if name not in found:
            found[name] = reference(api, name)
        pinned[component] = with_reference(spec, found[name])
    return pinned


def image_name(spec: Mapping) -> str:
    """The name of the image ``spec`` runs (its label once pinned, else its image) (pure)."""
    container = spec["TaskTemplate"]["ContainerSpec"]
    return container.get("Labels", {}).get(IMAGE_LABEL) or container["Image"]

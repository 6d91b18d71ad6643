"""Where a cluster runs an app container, and under what name (pure: no engine calls).

The ``swarm`` backend (:mod:`controller.scheduler.swarm`) runs each v1
container ``<app>_v<N>.<type>.<num>`` as one Swarm service. The decisions it
makes about that service are here, so they are unit-tested without an engine:

* **Names.** A service name must be a DNS name component (no dots, at most 63
  characters), so ``myapp_v3.web.1`` becomes ``myapp_v3-web-1``: the dots
  become dashes and the ``_`` stays, which keeps the mapping one-to-one
  (an app id holds no ``_`` or ``.``, a process type no ``_`` or ``.``) and
  reversible (:func:`container_name`). A name longer than 63 characters is
  cut and given a hash of the whole v1 name; the v1 name is always kept in
  the service's ``deis.name`` label, which is what the backend reads back.
* **Tags** (``deis tags:set environ=prod``, v1's fleet ``MachineMetadata``)
  become ``node.labels.environ==prod`` constraints.
* **Spread** (:func:`spread_constraints`): among the nodes that may run the
  container (Ready, active, matching the tags), those already holding more
  containers of the same app, release and type than the emptiest one are
  excluded with ``node.id!=<id>``. So three ``web`` containers land on three
  nodes, and a fourth anywhere. Swarm itself spreads only the tasks of one
  service, and each of ours has one task.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping

#: Swarm's limit on a service name (one DNS label).
MAX_SERVICE_NAME = 63
#: The prefix of the constraints :func:`spread_constraints` makes (and :meth:`repair` may drop).
SPREAD_PREFIX = "node.id!="
#: The prefix of tag constraints.
TAG_PREFIX = "node.labels."
_SERVICE_NAME = re.compile(r"^(?P<app>[a-z0-9-]+)_v(?P<version>[0-9]+)-(?P<type>[a-z0-9-]+)-(?P<num>[0-9]+)\Z")


def service_name(container: str) -> str:
    """Return the Swarm service name of the v1 container name ``container`` (``a_v3.web.1`` → ``a_v3-web-1``)."""
    mapped = container.replace(".", "-")
    if len(mapped) <= MAX_SERVICE_NAME:
        return mapped
    digest = hashlib.sha256(container.encode()).hexdigest()[:12]
    return f"{mapped[:MAX_SERVICE_NAME - len(digest) - 1].rstrip('-_')}-{digest}"


def container_name(service: str) -> str | None:
    """Return the v1 container name of a (not shortened) service name, or ``None``."""
    match = _SERVICE_NAME.match(service)
    if not match:
        return None
    return f"{match['app']}_v{match['version']}.{match['type']}.{match['num']}"


def app_of(service: str) -> str | None:
    """Return the app id a service name starts with (``None`` for a service that is not an app's)."""
    app, separator, _ = service.partition("_v")
    return app if separator and app else None


def tag_constraints(tags: Mapping[str, str]) -> list[str]:
    """Return the node constraints of the app's tags, sorted (``node.labels.environ==prod``)."""
    return [f"{TAG_PREFIX}{key}=={value}" for key, value in sorted(tags.items())]


def tags_of(constraints: Iterable[str]) -> dict[str, str]:
    """Return the tags behind a service's constraints (the inverse of :func:`tag_constraints`)."""
    tags = {}
    for constraint in constraints:
        if constraint.startswith(TAG_PREFIX) and "==" in constraint:
            key, _, value = constraint.removeprefix(TAG_PREFIX).partition("==")
            tags[key] = value
    return tags


def node_matches(labels: Mapping[str, str], tags: Mapping[str, str]) -> bool:
    """Say whether a node with ``labels`` may run a container of an app with ``tags``."""
    return all(labels.get(key) == value for key, value in tags.items())


def spread_constraints(eligible: Iterable[str], siblings: Mapping[str, int]) -> list[str]:
    """Return ``node.id!=`` constraints that keep a container off the fuller nodes.

    :param eligible: ids of the nodes that may run it (Ready, active, matching the tags).
    :param siblings: per node id, how many containers of the same app, release and type it runs.
    """
    nodes = sorted(set(eligible))
    if not nodes:
        return []
    fewest = min(siblings.get(node, 0) for node in nodes)
    return [f"{SPREAD_PREFIX}{node}" for node in nodes if siblings.get(node, 0) > fewest]


def is_spread(constraint: str) -> bool:
    """Say whether ``constraint`` was made by :func:`spread_constraints`."""
    return constraint.startswith(SPREAD_PREFIX)


def unplaceable(constraints: Iterable[str], engine_error: str) -> str | None:
    """Return the sentence for a task no node can take, or ``None`` while relaxing spread would place it.

    :param engine_error: Swarm's own words (``no suitable node (scheduling constraints not satisfied on 3 nodes)``).
    """
    constraints = list(constraints)
    if tags := tags_of(constraints):
        listed = ", ".join(f"{key}={value}" for key, value in sorted(tags.items()))
        return (f"no node matches the app's tags ({listed}): label a node so "
                f"(docker node update --label-add) or change them with 'deis tags:unset'")
    if any(is_spread(constraint) for constraint in constraints):
        return None
    return f"no node can run it ({engine_error})"

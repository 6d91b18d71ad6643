"""``deisctl upgrade``: the platform's services onto new images, one component at a time, in tier order.

1. The new ``repository``/``tag`` make new desired specs; the images they
   name are looked for on the manager's engine (``--pull``: it pulls the
   missing first). One missing refuses the upgrade before any service or
   ``cluster.json`` changes.
2. ``cluster.json`` records the new settings, so a later ``start``, ``scale``
   or ``upgrade`` means the new images.
3. Each running service whose spec changed (or whose last update Swarm
   paused) is updated and followed to its end (:class:`deisctl.swarm.rollout.Rollout`:
   one task at a time, the others serving) before the next component begins,
   store, logging, control plane, data plane, router. A component that is
   not running is not started (``deisctl start`` starts it on the new images).

If Swarm pauses a component's update, the upgrade stops there: the components
before it run the new images, it is part-way, the ones after it keep the old.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from deis.errors import ConfigurationError, DeisError, PermanentError, ValidationError
from deisctl.swarm import image_refs, preflight, rollout, specs, state, store_specs
from deisctl.swarm.cluster import ORDER, Cluster, translated
from deisctl.swarm.specs import Settings

Report = Callable[[str], None]
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z")
_REPOSITORY = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*\Z")


class UpgradeStopped(PermanentError):
    """A component's update failed; the ones after it were left on the old images."""


@dataclass(frozen=True)
class Step:
    """What the upgrade does to one running component: ``update`` or ``keep``."""

    component: str
    action: str


def steps(desired: Mapping[str, Mapping], services: Mapping[str, Mapping]) -> list[Step]:
    """Per running component, in tier order: update when its spec changed or its last update paused (pure)."""
    found = []
    for component in ORDER:
        if component not in services or component not in desired:
            continue
        service = services[component]
        labels = service["Spec"].get("Labels") or {}
        paused = specs.stopped_update(service) is not None
        changed = labels.get(specs.HASH_LABEL) != desired[component]["Labels"][specs.HASH_LABEL]
        found.append(Step(component, "update" if changed or paused else "keep"))
    return found


def refusal(missing: list[str], url: str) -> str:
    """Why an upgrade is refused when the manager's engine lacks images, and what to do (pure)."""
    return (f"upgrade refused, nothing changed: the manager's engine ({url}) lacks {', '.join(missing)}. "
            "Give every node these images ('deisctl images build' on a machine with the checkout, then "
            "'docker save | docker load' into each engine), or push them to a registry the nodes pull from "
            "and run 'deisctl upgrade --repository REGISTRY/deis --tag TAG --pull'")


def stopped(component: str, exc: DeisError, done: list[str], rest: list[str], old: Settings, new: Settings) -> str:
    """What a stopped upgrade says: where, why, what runs what now, how to go back or on (pure)."""
    return (f"upgrade stopped at {component}: {exc}. Upgraded: {', '.join(done) or 'none'}; {component} is part-way; "
            f"still on {old.repository}/…:{old.tag}: {', '.join(rest) or 'none'}. cluster.json now names "
            f"{new.repository}/…:{new.tag}: fix the cause and run 'deisctl upgrade --tag {new.tag}' again to go on, "
            f"or 'deisctl upgrade --tag {old.tag}' to go back")


def upgrade(cluster: Cluster, new: Settings, report: Report = print, timeout: float = 300,
            pull: bool = False) -> list[Step]:
    """Move the running services to ``new``'s images (see the module docstring); return the steps taken."""
    old = cluster.settings
    target = copy.copy(cluster)
    target.settings, target.recorded = new, state.ClusterState(cluster.recorded.managers, new)
    with translated("reading the platform's services"):
        services = cluster.services()
        running = [c for c in ORDER if c in services]
        checked = running or [c for c in ORDER if c not in store_specs.COMPONENTS or store_specs.runs_ceph(new)]
        desired = target.desired(checked)
    missing = preflight.missing_images(cluster.client, preflight.needed_images(desired), pull, report)
    if missing:
        raise ConfigurationError(refusal(missing, cluster.url))
    if pull:
        with translated("reading the pulled images"):
            desired = target.desired(checked)  # what was pulled is now named by its digest
    state.save(target.recorded)
    cluster.settings, cluster.recorded = new, target.recorded
    report(f"cluster.json: {new.repository}/<component>:{new.tag} (was {old.repository}/<component>:{old.tag})")
    if not running:
        report("No platform service runs; 'deisctl start platform' starts them on these images.")
        return []
    plan = steps(desired, services)
    done: list[str] = []
    mover = rollout.Rollout(cluster, report, timeout)
    for number, step in enumerate(plan):
        if step.action == "keep":
            report(f"{step.component}: unchanged")
            continue
        container = desired[step.component]["TaskTemplate"]["ContainerSpec"]
        report(f"{step.component}: updating to {image_refs.image_name(desired[step.component])} "
               f"({container['Image'].rpartition(':')[2][:12]})")
        try:
            service = mover.service(step.component)
            took = mover.update(step.component, service, specs.resumed(desired[step.component], service), "upgraded")
        except DeisError as exc:
            rest = [later.component for later in plan[number + 1:] if later.action == "update"]
            raise UpgradeStopped(stopped(step.component, exc, done, rest, old, new)) from exc
        done.append(step.component)
        report(f"{step.component}: upgraded ({took:.1f} s)")
    return plan


def settings_for(current: Settings, tag: str | None, repository: str | None) -> Settings:
    """The settings an upgrade moves to (pure): ``tag`` (default: this deisctl's version), ``repository``
    (default: the current one); refuse names Docker would refuse.
    """
    tag = tag or Settings().tag
    repository = repository or current.repository
    if not _TAG.match(tag):
        raise ValidationError(f"tag {tag!r}: letters, digits, '_', '.' and '-', up to 128, e.g. v1.2.0")
    if len(repository) > 200 or not _REPOSITORY.match(repository):
        raise ValidationError(f"repository {repository[:60]!r}: lower-case path of up to 200 characters such as "
                              "deis or registry.example.com:5000/deis")
    return dataclasses.replace(current, tag=tag, repository=repository)

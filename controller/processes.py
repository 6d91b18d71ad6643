"""What runs for a release: process types, commands, environment, scale plans; pure.

A release's containers are derived from its build (image, sha, Procfile) and
its config (values and limits). Config reaches a container as environment
variables when it starts — it is never baked into an image — together with
``DEIS_APP``, ``DEIS_RELEASE=v<N>``, ``GIT_SHA`` and ``PORT``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from controller.config_rules import memory_bytes
from controller.errors import BadRequest
from controller.numbers import quoted, whole_number
from controller.scheduler import ContainerSpec
from deis import naming, ports

#: Labels the publisher, logspout and our own clean-up select containers by.
LABEL_APP, LABEL_RELEASE, LABEL_TYPE, LABEL_NUM = "deis.app", "deis.release", "deis.type", "deis.num"


@dataclass(frozen=True)
class BuildInfo:
    """What the container plan needs of a build."""

    image: str
    sha: str = ""
    procfile: Mapping[str, str] | None = None
    dockerfile: str = ""

    @property
    def is_slug(self) -> bool:
        """True for buildpack builds (a git sha, no Dockerfile): run through slugrunner."""
        return bool(self.sha) and not self.dockerfile


@dataclass(frozen=True)
class ConfigInfo:
    """What the container plan needs of a config."""

    values: Mapping[str, str]
    memory: Mapping[str, str]
    cpu: Mapping[str, Any]
    #: App-wide placement tags (``deis tags:set environ=prod``), as v1's fleet metadata.
    tags: Mapping[str, str] = field(default_factory=dict)


def allowed_types(build: BuildInfo) -> set[str]:
    """Return the process types an app may scale: its Procfile's, plus ``cmd``."""
    return set(build.procfile or {}) | {naming.DEFAULT_DOCKER_TYPE}


def default_structure(build: BuildInfo) -> dict[str, int]:
    """Return the scale of a first deploy: ``web=1`` with a Procfile ``web``, else ``cmd=1``."""
    kind = "web" if "web" in (build.procfile or {}) else naming.DEFAULT_DOCKER_TYPE
    return {kind: 1}


def desired_structure(structure: Mapping[str, int], build: BuildInfo) -> dict[str, int]:
    """Return the scale to deploy: the app's, minus types the build no longer has."""
    if not structure:
        return default_structure(build)
    allowed = allowed_types(build)
    return {kind: count for kind, count in structure.items() if kind in allowed}


def command(build: BuildInfo, proc_type: str) -> list[str] | None:
    """Return the container command of ``proc_type`` (``None``: the image's own CMD)."""
    if build.is_slug:
        return ["start", proc_type]
    line = (build.procfile or {}).get(proc_type)
    # A Procfile line is the app's own shell command, run by the app's shell inside its container.
    return ["sh", "-c", line] if line else None


def run_entrypoint(build: BuildInfo) -> list[str]:
    """Return the entrypoint of ``deis run``: slugrunner for slugs, else the image's shell."""
    return ["/runner/init"] if build.is_slug else ["/bin/sh", "-c"]


def port(values: Mapping[str, str], image_port: int | None) -> int:
    """Return the port the app listens on: config ``PORT``, the image's EXPOSE, else 5000."""
    return ports.listen_port(values.get("PORT"), image_port)


def environment(app: str, version: int, values: Mapping[str, str], sha: str, listen: int) -> dict[str, str]:
    """Return a container's environment: the config plus the platform's variables."""
    env = {str(k): str(v) for k, v in values.items()}
    env.update(DEIS_APP=app, DEIS_RELEASE=f"v{version}", PORT=str(listen))
    if sha:
        env["GIT_SHA"] = sha
    return env


def labels(app: str, version: int, proc_type: str, num: int) -> dict[str, str]:
    """Return the labels every app container carries."""
    return {LABEL_APP: app, LABEL_RELEASE: f"v{version}", LABEL_TYPE: proc_type, LABEL_NUM: str(num)}


def spec(app: str, version: int, build: BuildInfo, config: ConfigInfo, proc_type: str, num: int,
         image_port: int | None = None) -> ContainerSpec:
    """Return the container of ``<proc_type>.<num>`` for release ``version``."""
    listen = port(config.values, image_port)
    memory = config.memory.get(proc_type)
    cpu = config.cpu.get(proc_type)
    return ContainerSpec(
        name=naming.container_name(app, version, proc_type, num),
        image=build.image,
        command=command(build, proc_type),
        environment=environment(app, version, config.values, build.sha, listen),
        labels=labels(app, version, proc_type, num),
        port=listen if naming.is_routable(proc_type) else None,
        memory=memory_bytes(memory) if memory else None,
        cpu_shares=int(cpu) if cpu not in (None, "") else None,
        tags={str(key): str(value) for key, value in config.tags.items()},
    )


def run_spec(app: str, version: int, build: BuildInfo, config: ConfigInfo, num: int, line: str) -> ContainerSpec:
    """Return the one-off container ``run.<num>`` that runs the user's command ``line``."""
    return ContainerSpec(
        name=naming.container_name(app, version, naming.RUN_TYPE, num),
        image=build.image,
        entrypoint=run_entrypoint(build),
        # One argument: the command reaches the container's shell untouched, never a host shell.
        command=[line],
        environment=environment(app, version, config.values, build.sha, port(config.values, None)),
        labels=labels(app, version, naming.RUN_TYPE, num),
        restart=False,
        tags={str(key): str(value) for key, value in config.tags.items()},
    )


@dataclass(frozen=True)
class ScaleLimits:
    """The most containers an app may ask for: of one process type, and in all (admin settings)."""

    per_type: int = 100
    per_app: int = 500


def parse_scale(data: Mapping[str, Any], build: BuildInfo, current: Mapping[str, int] | None = None,
                limits: ScaleLimits = ScaleLimits()) -> dict[str, int]:
    """Return ``{"web": 3}`` from a scale request, or raise 400 with v1's messages.

    ``current`` is the app's scale before the request: the per-app limit
    counts the types the request leaves alone too.
    """
    if not data:
        raise BadRequest('Invalid scaling format: send counts by process type, e.g. {"web": 3}')
    wanted = {}
    for kind, count in data.items():
        number = whole_number(count)
        if number is None:
            raise BadRequest(f"Invalid scaling format: {kind}={quoted(count)} is not a whole number >= 0")
        if kind not in allowed_types(build):
            raise BadRequest(f"Container type {kind} does not exist in application")
        if number > limits.per_type:
            raise BadRequest(f"Cannot scale {kind} to {quoted(count)}: at most {limits.per_type} containers "
                             "of one process type are allowed (an administrator sets maxContainersPerType)")
        wanted[str(kind)] = number
    _check_total({**(current or {}), **wanted}, limits)
    return wanted


def _check_total(structure: Mapping[str, int], limits: ScaleLimits) -> None:
    total = sum(structure.values())
    if total > limits.per_app:
        raise BadRequest(f"Cannot scale to {total} containers in all: at most {limits.per_app} are allowed "
                         "per application (an administrator sets maxContainersPerApp)")


def scale_plan(current: Mapping[str, Iterable[int]], wanted: Mapping[str, int]
               ) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Return ``(to add, to remove)`` as ``(type, num)`` lists.

    New numbers continue after the highest in use; removals take the highest
    numbers first, so a long-lived ``web.1`` outlives the ones added later.
    """
    added, removed = [], []
    for kind, count in wanted.items():
        nums = sorted(current.get(kind, ()))
        if count > len(nums):
            top = nums[-1] if nums else 0
            added += [(kind, top + i) for i in range(1, count - len(nums) + 1)]
        else:
            removed += [(kind, num) for num in reversed(nums[count:])]
    return added, removed

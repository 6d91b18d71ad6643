"""One build: from a pushed commit to a running release, with the user watching.

Called by the ``pre-receive`` hook for each pushed branch. The steps are v1's:
record the push (which authorizes it), fetch the app's config, build the
image (``Dockerfile`` at the root, else a buildpack build on the stack image),
push it to the registry when there is one, and ask the controller to release
and deploy it. Any failure raises, the hook exits non-zero and git rejects
the push, so the branch, the releases and the running containers stay as
they were; an image this build made is removed again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import docker

from builder import buildpack, dockerfile, images, output
from builder import procfile as procfiles
from builder.controller_client import AccessDenied, ControllerUnavailable, HookRefused, Hooks
from builder.limits import Limits
from builder.output import Output
from builder.repos import Repos
from builder.tree import Tree
from deis.errors import PermanentError, TemporaryError
from deis.images import platform_hosts, registry_address
from deis.settings import KeyReader


class LaunchFailed(PermanentError):
    """The controller could not release or deploy the built image."""


class PushDenied(PermanentError):
    """The controller refused to record the push (the user may not push to the app)."""


class NoRegistry(TemporaryError):
    """No registry is announced where every image must reach one (a cluster)."""


#: Seconds a build that needs a registry waits for one to be announced (Swarm moving it to another host).
REGISTRY_WAIT = 60.0


@dataclass(frozen=True)
class Push:
    """Who pushed which commit to which app."""

    user: str
    app: str
    sha: str
    fingerprint: str = ""
    ssh_connection: str = ""


@dataclass
class Tools:
    """What a build talks to."""

    hooks: Hooks
    api: docker.APIClient
    etcd: KeyReader
    repos: Repos
    stack_image: str
    limits: Limits = Limits()
    #: On a cluster: an image only the building engine holds cannot run on the other nodes.
    require_registry: bool = False


def run(push: Push, tools: Tools, out: Output) -> int:
    """Build and release ``push``; return the new release's version."""
    _record(push, tools.hooks)
    config = tools.hooks.config(push.user, push.app)
    tree = Tree(push.sha)
    registry = _registry(tools, out)
    image = images.image_name(push.app, push.sha, registry)
    existed = _exists(tools.api, image)
    try:
        with tools.limits.deadline():
            procfile, is_dockerfile = _build(push, tools, tree, image, config, registry, out)
        _publish(tools.api, image, registry, out)
        return _launch(push, tools.hooks, image, procfile, is_dockerfile, out)
    except BaseException:
        if not existed:
            _remove(tools.api, image)
        raise


def _registry(tools: Tools, out: Output, wait: float = REGISTRY_WAIT) -> str | None:
    """The announced registry; where one is required, wait up to ``wait`` s for it, then refuse the push.

    Checked before the build, so a push that cannot be released costs no build.
    """
    found = registry_address(tools.etcd)
    if found is not None or not tools.require_registry:
        return found
    out.step("Waiting for the registry to be announced (Swarm may be starting it on another host)")
    deadline = time.monotonic() + wait
    while found is None and time.monotonic() < deadline:
        time.sleep(1)
        found = registry_address(tools.etcd)
    if found is None:
        raise NoRegistry(f"ERROR: no registry was announced within {wait:.0f} s, and on a cluster an image only "
                         "this host holds cannot run on the others; push again once 'deisctl status registry' "
                         "shows it running")
    return found


def _record(push: Push, hooks: Hooks) -> None:
    try:
        hooks.push(push.user, push.app, push.sha, fingerprint=push.fingerprint,
                   ssh_connection=push.ssh_connection[:255],
                   ssh_original_command=f"git-receive-pack '{push.app}.git'")
    except AccessDenied as exc:
        raise PushDenied(f"ERROR: failed on rev {push.sha} - push denied: {exc}") from None


def _build(push: Push, tools: Tools, tree: Tree, image: str, config: dict[str, str], registry: str | None,
           out: Output) -> tuple[dict[str, str], bool]:
    """Build ``image``; return its process types and whether it came from a Dockerfile."""
    text = tree.text("Dockerfile")
    if text is None:
        cache = tools.repos.cache(push.app)
        return buildpack.build(tools.api, tree, image, config, cache, tools.stack_image, out, tools.limits), False
    procfile = _repo_procfile(tree)
    args = dockerfile.build_args(text, config)
    dockerfile.check_bases(text, args, push.app, registry, platform_hosts(tools.etcd))
    out.step(f"{push.app} uses Dockerfile")
    out.step("Building Docker image")
    dockerfile.build(tools.api, tree, image, args, out, tools.limits)
    return procfile, True


def _repo_procfile(tree: Tree) -> dict[str, str]:
    text = tree.text("Procfile")
    return procfiles.parse(text) if text is not None else {}


def _publish(api: docker.APIClient, image: str, registry: str | None, out: Output) -> None:
    if registry is None:
        out.step("No registry is announced: the image stays on this host's Docker engine")
        return
    out.step("Pushing image to private registry")
    images.push(api, image)


def _launch(push: Push, hooks: Hooks, image: str, procfile: dict[str, str], is_dockerfile: bool,
            out: Output) -> int:
    out.write(output.step("Launching... "))
    try:
        answer = hooks.build(push.user, push.app, image, push.sha, procfile, is_dockerfile)
    except (HookRefused, ControllerUnavailable) as exc:
        out.line()
        raise LaunchFailed(f"ERROR: Failed to launch container\n{exc}") from None
    version = int(answer["release"]["version"])
    for line in output.deployed(push.app, version, answer.get("domains") or []):
        out.line(line)
    return version


def _exists(api: docker.APIClient, image: str) -> bool:
    try:
        api.inspect_image(image)
        return True
    except docker.errors.ImageNotFound:
        return False


def _remove(api: docker.APIClient, image: str) -> None:
    try:
        api.remove_image(image, force=True)
    except docker.errors.APIError:
        pass  # never built (the build failed first) or already gone

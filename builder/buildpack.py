"""Buildpack builds: a Procfile app without a Dockerfile, compiled on the stack image.

The Heroku buildpack API, as Deis v1's slugbuilder ran it: the pushed tree is
exported (``.slugignore`` applied), a container of the stack image runs
``bin/detect`` over the bundled buildpacks (Python, then generic) or the app's
``BUILDPACK_URL`` one, then ``bin/compile <build> <cache>`` with the app's
config in its environment and the app's cache folder mounted, then
``bin/release``. The compiled folder (the slug) becomes the app image: the
stack plus ``/app`` and ``/runner/init``, which starts a Procfile type.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

import docker
import yaml

from builder import fetch, slugignore, stack
from builder import procfile as procfiles
from builder.limits import Limits
from builder.output import Output
from builder.tree import Tree, text_inside
from deis.errors import PermanentError

BUNDLED = Path(__file__).with_name("buildpacks")
PACKS = ("python", "generic")
SLUG_DOCKERFILE = """FROM {stack}
COPY slug/ /app/
COPY runner/ /runner/
WORKDIR /app
ENV HOME=/app
ENTRYPOINT ["/runner/init"]
"""


class CompileFailed(PermanentError):
    """A buildpack failed to detect or compile the app."""


def build(api: docker.APIClient, tree: Tree, image: str, config: dict[str, str], cache: Path,
          stack_image: str, out: Output, limits: Limits = Limits()) -> dict[str, str]:
    """Compile the tree into a slug image ``image``; return its process types."""
    work = cache.parent.parent / "tmp"
    stack.ensure(api, stack_image, work, out)
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="build-", dir=work) as folder:
        root = Path(folder)
        source = root / "build"
        tree.extract(source)
        slugignore.apply(source)
        _buildpacks(root / "buildpacks", config.get("BUILDPACK_URL", ""))
        compile_slug(api, stack_image, root, cache, {**config, "SOURCE_VERSION": tree.sha}, out, limits)
        processes = process_types(source)
        out.step(f"Compiled slug size is {_size(source) >> 20}M")
        out.step("Building Docker image")
        _slug_image(api, stack_image, source, processes, image, limits)
    _announce_types(processes, out)
    return processes


def _buildpacks(folder: Path, url: str) -> None:
    """Lay out the candidate buildpacks: the bundled ones, or the app's own."""
    folder.mkdir()
    if url:
        fetch.fetch(url, folder / "custom", dict(os.environ))
    else:
        for name in PACKS:
            shutil.copytree(BUNDLED / name, folder / name)
    # Installed packages and tarballs may lose the executable bits.
    # A pack's bin/ may be a link out (to the host's /usr/local/bin): never chmod through it.
    for script in folder.glob("*/bin/*"):
        if script.is_file() and not script.is_symlink() and not script.parent.is_symlink():
            script.chmod(0o755)


def compile_slug(api: docker.APIClient, stack_image: str, root: Path, cache: Path,
                 env: dict[str, str], out: Output, limits: Limits = Limits()) -> None:
    """Run detect/compile/release in a hardened, limited stack container, streaming its output.

    It runs as the builder's own user (root in production), which owns the
    build and cache folders, so it needs no capability to write them.
    """
    driver = root / "slugbuilder"
    shutil.copy(BUNDLED / "slugbuilder", driver)
    driver.chmod(0o755)
    binds = {str(root / "build"): {"bind": "/tmp/build", "mode": "rw"},
             str(cache): {"bind": "/tmp/cache", "mode": "rw"},
             str(root / "buildpacks"): {"bind": "/tmp/buildpacks", "mode": "ro"},
             str(driver): {"bind": "/usr/local/bin/slugbuilder", "mode": "ro"}}
    host = api.create_host_config(binds=binds, **limits.host_config())
    container = api.create_container(stack_image, ["/usr/local/bin/slugbuilder"], environment=env,
                                     host_config=host, working_dir="/tmp/build",
                                     user=f"{os.getuid()}:{os.getgid()}")
    try:
        api.start(container)
        # logs(follow) starts from the container's first line, so nothing printed before we ask is lost.
        for chunk in api.logs(container, stream=True, follow=True):
            out.write(chunk.decode("utf-8", "replace"))
        status = api.wait(container)["StatusCode"]
        out_of_memory = api.inspect_container(container)["State"].get("OOMKilled")
    finally:
        api.remove_container(container, force=True)
    if out_of_memory:
        raise CompileFailed(limits.out_of_memory())
    if status != 0:
        raise CompileFailed(f"the buildpack failed (exit {status}); see its output above")


def process_types(slug: Path) -> dict[str, str]:
    """v1's resolution: the Procfile, else ``default_process_types`` of ``.release``, else none."""
    found = text_inside(slug, "Procfile")
    if found is not None:
        return procfiles.parse(found)
    release = text_inside(slug, ".release")
    if release is not None:
        try:
            data = yaml.safe_load(release) or {}
        except yaml.YAMLError as exc:
            raise CompileFailed(f"the buildpack's bin/release printed no YAML: {exc}") from None
        defaults = data.get("default_process_types") if isinstance(data, dict) else None
        if isinstance(defaults, dict):
            return {str(k): str(v) for k, v in defaults.items()}
    return {}


def _slug_image(api: docker.APIClient, stack_image: str, slug: Path, processes: dict[str, str], image: str,
                limits: Limits) -> None:
    with tempfile.TemporaryFile(dir=slug.parent) as context:
        _write_context(context, stack_image, slug, processes)
        context.seek(0)
        stream = api.build(fileobj=context, custom_context=True, tag=image, rm=True, forcerm=True, decode=True,
                           container_limits=limits.container_limits())
        for chunk in stream:
            if "error" in chunk:
                raise CompileFailed(f"building the slug image failed: {chunk['error'].strip()}")


def _write_context(context, stack_image: str, slug: Path, processes: dict[str, str]) -> None:
    """Write the slug image's build context: its Dockerfile, the runner and the slug."""
    with tarfile.open(fileobj=context, mode="w") as tar:
        _add_bytes(tar, "Dockerfile", SLUG_DOCKERFILE.format(stack=stack_image).encode(), 0o644)
        _add_bytes(tar, "runner/init", (BUNDLED / "init").read_bytes(), 0o755)
        _add_bytes(tar, "runner/processes.json", json.dumps(processes).encode(), 0o644)
        tar.add(slug, arcname="slug")


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mode: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    tar.addfile(info, io.BytesIO(data))


def _size(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _announce_types(processes: dict[str, str], out: Output) -> None:
    out.step("Discovering process types")
    shown = ", ".join(processes) or "(none)"
    out.line(f"       Procfile declares types -> {shown}")

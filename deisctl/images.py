"""The platform's own container images, built from this repository and never pulled.

Three layers, each built only when its inputs changed::

    deis/stack:bookworm            debootstrap + docker import (builder/stack.py;
      │                            the same image buildpack builds run on)
      └─ deis/python-base:<tag>    the project's dependencies, pinned to the versions
           │                       deisctl runs with, and the shared library deis/
           └─ deis/<component>:<tag>   that component's Debian packages, its package
                                       (and the components it imports), and
                                       ENTRYPOINT deis-<component>

``<tag>`` is ``v<platform version>``, the tag the ``contrib/coreos`` units run.
Every image carries the label :data:`INPUTS_LABEL`: a SHA-256 over its
Dockerfile, the id of the image it is built ``FROM`` and every file of its build
context (path, mode, content). An image whose label matches the current inputs
is up to date and is not built again; finding that out reads the source and
asks the engine one question per image. The wheels python-base installs are
not hashed: the pinned requirement list stands for them, so a no-op run never
downloads anything.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import importlib.util
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docker
import jinja2
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from builder import stack
from builder.output import Output
from builder.settings import SETTINGS as BUILDER_SETTINGS
from deis import PLATFORM_VERSION
from deis.errors import PermanentError
from deis.paths import Paths
from deisctl import components as catalogue

#: The tag of every image: the one the contrib/coreos units name.
TAG = f"v{PLATFORM_VERSION}"
REPOSITORY = "deis"
BASE = "python-base"
#: The label holding the hash of an image's inputs.
INPUTS_LABEL = "io.deis.inputs"
#: Where the project's packages live inside the images (found through a .pth file).
SOURCE_ROOT = "/opt/deis"
DISTRIBUTION = "deis"
#: Debian packages a component needs on a host but not in its image: the Docker
#: engine runs beside the container and is reached through its mounted socket.
HOST_ONLY = frozenset({"docker.io"})
SKIPPED_FILES = re.compile(r"(^|/)__pycache__(/|$)|\.py[co]$")

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("deisctl", "templates"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)

Report = Callable[[str], None]


class ImageBuildFailed(PermanentError):
    """An image could not be built; the message names it and has the build's last lines."""


@dataclass
class Image:
    """One image to build: its Dockerfile and the files of its context."""

    name: str
    dockerfile: str
    #: Context path -> (mode, content); what the inputs hash covers.
    files: dict[str, tuple[int, bytes]] = field(default_factory=dict)

    @property
    def tag(self) -> str:
        """``deis/<name>:<tag>``."""
        return f"{REPOSITORY}/{self.name}:{TAG}"

    def inputs(self) -> str:
        """The SHA-256 of the Dockerfile and every context file (path, mode, content)."""
        digest = hashlib.sha256(self.dockerfile.encode())
        for path in sorted(self.files):
            mode, content = self.files[path]
            digest.update(f"\0{path}\0{mode:o}\0{len(content)}\0".encode())
            digest.update(content)
        return digest.hexdigest()

    def write_context(self, root: Path) -> None:
        """Lay the context out under ``root`` with the modes the image should have."""
        (root / "Dockerfile").write_text(self.dockerfile)
        for path, (mode, content) in self.files.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            for folder in [*target.relative_to(root).parents][:-1]:
                (root / folder).chmod(0o755)
            target.write_bytes(content)
            target.chmod(mode)


# -- what goes into the images (pure but for reading source files) -------------------


def component_names() -> list[str]:
    """The components that have a console script ``deis-<component>`` (setup.py), sorted."""
    scripts = importlib.metadata.distribution(DISTRIBUTION).entry_points.select(group="console_scripts")
    return sorted(ep.name.removeprefix("deis-") for ep in scripts if ep.name.startswith("deis-"))


def entry_point(component: str) -> str:
    """The ``module:function`` console script ``deis-<component>`` runs."""
    scripts = importlib.metadata.distribution(DISTRIBUTION).entry_points.select(group="console_scripts")
    return scripts[f"deis-{component}"].value


def console_script(component: str) -> str:
    """The text of ``/usr/local/bin/deis-<component>``: the entry point pip would write."""
    module, _, function = entry_point(component).partition(":")
    return (
        "#!/usr/bin/python3\n"
        f"# deis-{component}: the console script of setup.py, as pip writes it.\n"
        "import sys\n"
        f"from {module} import {function}\n\n"
        "if __name__ == \"__main__\":\n"
        f"    sys.exit({function}())\n"
    )


def package_folder(name: str) -> Path:
    """The source folder of top-level package ``name`` (without importing it)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ImageBuildFailed(f"cannot find the source of package {name!r}; is the project installed?")
    return Path(next(iter(spec.submodule_search_locations)))


def source_files(package: str) -> Iterator[tuple[str, int, bytes]]:
    """Yield ``(path under the source root, mode, content)`` for every file of a package.

    Modes are normalised (0755 when the owner may execute, else 0644), so the
    hash does not depend on the umask of a checkout.
    """
    folder = package_folder(package)
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder.parent).as_posix()
        if path.is_file() and not SKIPPED_FILES.search(relative):
            mode = 0o755 if path.stat().st_mode & 0o100 else 0o644
            yield relative, mode, path.read_bytes()


def imported_components(component: str, known: Iterable[str]) -> list[str]:
    """The components ``component``'s code imports, directly or through each other (it included)."""
    known = set(known)
    found, todo = set(), [component]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        for path in package_folder(name).rglob("*.py"):
            todo.extend(_top_level_imports(path.read_text()) & known)
    return sorted(found)


def _top_level_imports(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.partition(".")[0])
    return names


def debian_packages(component: str) -> list[str]:
    """The Debian packages a component's image installs: the catalogue's, less :data:`HOST_ONLY`."""
    return [p for p in catalogue.get(component).packages if p not in HOST_ONLY]


def pinned_requirements(distribution: str = DISTRIBUTION) -> list[str]:
    """``name==version`` for every run-time dependency of the project, as installed beside deisctl."""
    pins, todo = {}, [distribution]
    while todo:
        name = canonicalize_name(todo.pop())
        if name in pins:
            continue
        dist = importlib.metadata.distribution(name)
        pins[name] = dist.version
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    del pins[canonicalize_name(distribution)]
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


def _add_sources(image: Image, packages: Iterable[str]) -> None:
    for package in packages:
        for path, mode, content in source_files(package):
            image.files[f"source/{path}"] = (mode, content)


def base_image(parent_id: str) -> Image:
    """deis/python-base on the image ``parent_id``: pinned dependencies and ``deis/``."""
    dockerfile = _TEMPLATES.get_template("python-base.Dockerfile.j2").render(
        parent=parent_id, source_root=SOURCE_ROOT)
    image = Image(BASE, dockerfile)
    image.files["requirements.txt"] = (0o644, "".join(f"{pin}\n" for pin in pinned_requirements()).encode())
    _add_sources(image, ["deis"])
    return image


def component_image(component: str, base_id: str) -> Image:
    """deis/<component> on python-base ``base_id``."""
    dockerfile = _TEMPLATES.get_template("component.Dockerfile.j2").render(
        parent=base_id, component=component, packages=debian_packages(component), source_root=SOURCE_ROOT)
    image = Image(component, dockerfile)
    image.files[f"deis-{component}"] = (0o755, console_script(component).encode())
    _add_sources(image, imported_components(component, component_names()))
    return image


# -- the engine side ----------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    """What became of one image in a build run."""

    tag: str
    image_id: str
    seconds: float
    #: False when the image was up to date and nothing was built.
    built: bool


class Images:
    """Builds and lists the platform's images on one Docker engine."""

    def __init__(self, client: docker.DockerClient | None = None, report: Report = print,
                 paths: Paths | None = None):
        try:
            self.client = client or docker.from_env(timeout=600)
            self.client.ping()
        except docker.errors.DockerException as exc:
            raise ImageBuildFailed(f"cannot reach the Docker engine ({exc}); is it running? "
                                   "'deisctl start docker' starts one") from exc
        self.report = report
        self.paths = paths or Paths.from_env()

    def build(self, components: Iterable[str] = ()) -> list[Built]:
        """Build python-base and the images of ``components`` (default: all) unless up to date."""
        names = self._chosen(components)
        self._replaced: list[str] = []
        base = self._ensure(base_image(self._stack_id()), self._write_wheels)
        results = [base]
        for name in names:
            results.append(self._ensure(component_image(name, base.image_id)))
        self._remove_replaced()
        return results

    def status(self) -> list[tuple[str, str, dict | None]]:
        """``(tag, state, engine attributes or None)`` for python-base and every component image.

        The state is ``up to date``, ``out of date`` (its inputs changed: run
        ``deisctl images build``) or ``missing``.
        """
        stack_image = self._find(self._stack_tag())
        base_id = stack_image.id if stack_image else "missing"
        rows, base, built_base = [], base_image(base_id), self._base_id()
        for image in [base, *(component_image(name, built_base) for name in component_names())]:
            found = self._find(image.tag)
            state = "missing" if found is None else (
                "up to date" if found.labels.get(INPUTS_LABEL) == image.inputs() else "out of date")
            rows.append((image.tag, state, found.attrs if found else None))
        return rows

    def _chosen(self, components: Iterable[str]) -> list[str]:
        known = component_names()
        chosen = list(components) or known
        unknown = [name for name in chosen if name not in known]
        if unknown:
            raise ImageBuildFailed(f"no image for {', '.join(map(repr, unknown))}; images exist for: "
                                   f"{', '.join(known)}")
        return chosen

    def _stack_tag(self) -> str:
        return BUILDER_SETTINGS.get("stackImage")

    def _stack_id(self) -> str:
        tag = self._stack_tag()
        stack.ensure(self.client.api, tag, self.paths.data("builder") / "tmp", Output())
        return self.client.images.get(tag).id

    def _base_id(self) -> str:
        found = self._find(f"{REPOSITORY}/{BASE}:{TAG}")
        return found.id if found else "missing"

    def _find(self, tag: str):
        try:
            return self.client.images.get(tag)
        except docker.errors.ImageNotFound:
            return None

    def _ensure(self, image: Image, prepare: Callable[[Image, Path], None] | None = None) -> Built:
        inputs = image.inputs()
        found = self._find(image.tag)
        if found is not None and found.labels.get(INPUTS_LABEL) == inputs:
            self.report(f"{image.tag}: up to date")
            return Built(image.tag, found.id, 0.0, built=False)
        if found is not None:
            self._replaced.append(found.id)
        started = time.monotonic()
        image_id = self._build(image, inputs, prepare)
        seconds = time.monotonic() - started
        size = self.client.images.get(image_id).attrs["Size"] / 1e6
        self.report(f"{image.tag}: built in {seconds:.1f} s ({size:.0f} MB)")
        return Built(image.tag, image_id, seconds, built=True)

    def _build(self, image: Image, inputs: str, prepare: Callable[[Image, Path], None] | None) -> str:
        work = self.paths.data("builder") / "tmp"
        work.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="image-", dir=work) as folder:
            root = Path(folder)
            root.chmod(0o755)
            image.write_context(root)
            if prepare:
                prepare(image, root)
            try:
                built, _ = self.client.images.build(
                    path=str(root), tag=image.tag, labels={INPUTS_LABEL: inputs},
                    rm=True, forcerm=True, pull=False)
            except docker.errors.BuildError as exc:
                tail = "\n".join(str(line.get("stream", line.get("error", ""))).rstrip()
                                 for line in list(exc.build_log)[-12:])
                raise ImageBuildFailed(f"building {image.tag} failed: {exc.msg}\n{tail}") from exc
            except docker.errors.APIError as exc:
                raise ImageBuildFailed(f"building {image.tag} failed: {exc.explanation or exc}") from exc
        return built.id

    def _remove_replaced(self) -> None:
        """Remove the images this run replaced, newest first, unless still tagged or in use.

        A replaced python-base is refused while an image built on it remains
        (another component's, not rebuilt in this run); it goes in a later run.
        """
        for image_id in reversed(self._replaced):
            try:
                if not self.client.images.get(image_id).tags:
                    self.client.images.remove(image_id, noprune=False)
            except docker.errors.APIError:  # in use by a container, or a child image remains
                continue

    def _write_wheels(self, image: Image, root: Path) -> None:
        """Fetch the pinned wheels into the context with pip, from this host's package index."""
        wheels = root / "wheels"
        argv = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(wheels),
                "-r", str(root / "requirements.txt")]
        result = subprocess.run(argv, capture_output=True, text=True)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-10:])
            raise ImageBuildFailed(f"pip could not fetch the wheels for {image.tag}:\n{tail}")
        for wheel in wheels.iterdir():
            wheel.chmod(0o644)
        wheels.chmod(0o755)


def size_mb(attrs: dict | None) -> str:
    """An image's size for a listing (``-`` when missing)."""
    return f"{attrs['Size'] / 1e6:.0f} MB" if attrs else "-"


__all__ = ["BASE", "INPUTS_LABEL", "TAG", "Built", "Image", "ImageBuildFailed", "Images", "component_names"]

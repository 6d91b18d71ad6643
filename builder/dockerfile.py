"""Dockerfile builds: the pushed tree is the build context, built by the engine.

The tree goes to the engine as the tar ``git archive`` writes (no checkout).
The app's config values reach the build as build args, but only those the
Dockerfile declares with ``ARG``: others would only draw a warning, and a
value the build never asked for has no business near an image.

Before the engine sees it, every image the Dockerfile builds from (each
``FROM`` and ``COPY --from``, after ``ARG`` substitution) must pass
:func:`deis.images.check_source`: no other app's image from the platform
registry, no registry on this machine or a platform address.
"""

from __future__ import annotations

import re
import tempfile

import docker

from builder.limits import KILLED, Limits
from builder.output import Output
from builder.tree import Tree
from deis.errors import PermanentError
from deis.images import ImageRefused, check_source

_ARG = re.compile(r"^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE | re.MULTILINE)
_ARG_DEFAULT = re.compile(r"^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)=(\S*)", re.IGNORECASE | re.MULTILINE)
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")
_COPY_FROM = re.compile(r"^--from=(\S+)\Z", re.IGNORECASE)


class BuildFailed(PermanentError):
    """``docker build`` failed; the message is the engine's error."""


def declared_args(dockerfile: str) -> set[str]:
    """Return the names the Dockerfile declares with ``ARG``."""
    return set(_ARG.findall(dockerfile))


def build_args(dockerfile: str, config: dict[str, str]) -> dict[str, str]:
    """Return the config values the Dockerfile asks for as build args."""
    wanted = declared_args(dockerfile)
    return {name: value for name, value in config.items() if name in wanted}


def base_images(dockerfile: str, args: dict[str, str]) -> list[str]:
    """Return the images ``dockerfile`` builds from: each ``FROM`` and ``COPY --from`` that is no stage."""
    values = {**dict(_ARG_DEFAULT.findall(dockerfile)), **args}
    stages: set[str] = set()
    found = []
    for line in _instructions(dockerfile):
        words = [_substituted(word, values) for word in line.split()]
        keyword, operands = words[0].upper(), [w for w in words[1:] if w]
        if keyword == "FROM":
            names = [w for w in operands if not w.startswith("--")]
            if names and names[0].lower() not in stages:
                found.append(names[0])
            if len(names) >= 3 and names[1].lower() == "as":
                stages.add(names[2].lower())
        elif keyword in ("COPY", "ADD"):
            for word in operands:
                match = _COPY_FROM.match(word)
                if match and match[1].lower() not in stages and not match[1].isdigit():
                    found.append(match[1])
    return found


def check_bases(dockerfile: str, args: dict[str, str], app: str, registry: str | None,
                platform_hosts: set[str]) -> None:
    """Raise :class:`BuildFailed` (one line) when the Dockerfile builds from an image ``app`` may not use."""
    for reference in base_images(dockerfile, args):
        try:
            check_source(reference, app, registry, platform_hosts)
        except ImageRefused as exc:
            raise BuildFailed(f"Dockerfile refused: {exc}") from None


def _instructions(dockerfile: str) -> list[str]:
    """Return the Dockerfile's instructions, continuation lines joined and comments dropped."""
    found, current = [], ""
    for raw in dockerfile.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        current += " " + line[:-1] if line.endswith("\\") else " " + line
        if not line.endswith("\\"):
            found.append(current.strip())
            current = ""
    return found + ([current.strip()] if current.strip() else [])


def _substituted(word: str, values: dict[str, str]) -> str:
    """Expand ``$NAME``, ``${NAME}``, ``${NAME:-default}`` and ``${NAME:+value}`` as the engine does."""
    def expand(match: re.Match) -> str:
        name = match[1] or match[4]
        value = values.get(name, "")
        if match[2] == "-":
            return value or match[3]
        if match[2] == "+":
            return match[3] if value else ""
        return value
    return _VARIABLE.sub(expand, word)


def build(api: docker.APIClient, tree: Tree, image: str, args: dict[str, str], out: Output,
          limits: Limits = Limits()) -> None:
    """Build ``image`` from the tree, each ``RUN`` step within ``limits``, streaming the engine's output."""
    with tempfile.TemporaryFile() as context:
        tree.archive(context)
        context.seek(0)
        try:
            stream = api.build(fileobj=context, custom_context=True, tag=image, buildargs=args,
                               rm=True, forcerm=True, decode=True, container_limits=limits.container_limits())
            for chunk in stream:
                _show(chunk, out, limits)
        except docker.errors.APIError as exc:
            raise BuildFailed(f"docker build failed: {exc.explanation or exc}") from exc


def _show(chunk: dict, out: Output, limits: Limits) -> None:
    """Print one chunk of the engine's build stream; raise on its error."""
    if "error" in chunk:
        error = chunk["error"].strip()
        # A RUN step past the memory limit is SIGKILLed by the OOM killer: say which limit.
        if error.endswith(f"non-zero code: {KILLED}"):
            error = f"{error}: killed, most likely {limits.out_of_memory()}"
        raise BuildFailed(error)
    text = chunk.get("stream") or ""
    if text.strip():
        out.detail(text.rstrip("\n"))

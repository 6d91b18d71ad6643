"""Dockerfile builds: the pushed tree is the build context, built by the engine.

The tree goes to the engine as the tar ``git archive`` writes (no checkout).
The app's config values reach the build as build args, but only those the
Dockerfile declares with ``ARG``: others would only draw a warning, and a
value the build never asked for has no business near an image.
"""

from __future__ import annotations

import re
import tempfile

import docker

from builder.limits import KILLED, Limits
from builder.output import Output
from builder.tree import Tree
from deis.errors import PermanentError

_ARG = re.compile(r"^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE | re.MULTILINE)


class BuildFailed(PermanentError):
    """``docker build`` failed; the message is the engine's error."""


def declared_args(dockerfile: str) -> set[str]:
    """Return the names the Dockerfile declares with ``ARG``."""
    return set(_ARG.findall(dockerfile))


def build_args(dockerfile: str, config: dict[str, str]) -> dict[str, str]:
    """Return the config values the Dockerfile asks for as build args."""
    wanted = declared_args(dockerfile)
    return {name: value for name, value in config.items() if name in wanted}


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

"""Garbage collection: ``docker-registry garbage-collect`` frees blobs no manifest uses.

It is only safe while the registry does not accept writes (a blob uploaded
during a collection may be deleted before its manifest arrives), so the
daemon runs it before the registry serves: at start and, when image hygiene
asks for it, once the registry has been idle for a while.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass

from deis.errors import TemporaryError

#: What the collector says when no image was ever pushed: nothing to collect, not a failure.
_EMPTY = re.compile(r"Path not found: \S*/docker/registry/v2/repositories")
_SUMMARY = re.compile(r"(\d+) blobs marked, (\d+) blobs and (\d+) manifests eligible for deletion")


class CollectionFailed(TemporaryError):
    """``docker-registry garbage-collect`` exited with an error."""


@dataclass(frozen=True)
class Collection:
    """What a garbage collection did."""

    marked: int
    blobs_deleted: int
    manifests_deleted: int
    seconds: float


def summary(output: str) -> tuple[int, int, int]:
    """Return ``(blobs marked, blobs deleted, manifests deleted)`` from the collector's output."""
    found = _SUMMARY.search(output)
    return tuple(int(n) for n in found.groups()) if found else (0, 0, 0)


def collect_argv(binary: str, config_path: str, delete_untagged: bool) -> list[str]:
    """Return the command line of a garbage collection."""
    return [binary, "garbage-collect", *(["--delete-untagged"] if delete_untagged else []), config_path]


def garbage_collect(binary: str, config_path: str, environ: Mapping[str, str], delete_untagged: bool = True,
                    timeout: float = 1800.0) -> Collection:
    """Run a garbage collection (the registry must be stopped) and return what it did."""
    started = time.monotonic()
    result = subprocess.run(collect_argv(binary, config_path, delete_untagged), env=dict(environ),
                            capture_output=True, text=True, errors="replace", timeout=timeout, check=False)
    if result.returncode != 0 and _EMPTY.search(result.stdout + result.stderr):
        return Collection(0, 0, 0, seconds=time.monotonic() - started)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-5:])
        raise CollectionFailed(f"garbage collection failed (exit {result.returncode}): {tail}")
    return Collection(*summary(result.stdout + result.stderr), seconds=time.monotonic() - started)

"""Bare repositories, one per app, and the lock that allows one push per app at a time.

Layout under the builder's data directory::

    repos/<app>.git     the bare repository (created on the first push)
    repos/<app>.lock    held (flock) while a push to <app> runs
    cache/<app>/        the buildpack cache, kept between pushes

The ``pre-receive`` hook is rewritten on every push, so a builder upgrade
(or a new virtualenv path) takes effect without touching old repositories.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from deis.errors import TemporaryError

HOOK = """#!{python}
# Installed by deis-builder: builds the pushed commit before git accepts it,
# so a failed build rejects the push and leaves the branch where it was.
from builder.prereceive import main

main()
"""


class PushInProgress(TemporaryError):
    """Another push to the same app holds its lock."""


class Repos:
    """The builder's repositories and build caches under ``data_dir``."""

    def __init__(self, data_dir: str | Path):
        self.data_dir = Path(data_dir)
        self.root = self.data_dir / "repos"

    def path(self, app: str) -> Path:
        """Return the bare repository of ``app`` (which may not exist yet)."""
        return self.root / f"{app}.git"

    def cache(self, app: str) -> Path:
        """Return ``app``'s buildpack cache folder, created if missing."""
        folder = self.data_dir / "cache" / app
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def apps(self) -> list[str]:
        """Names of the apps that have a repository here."""
        return sorted(path.name.removesuffix(".git") for path in self.root.glob("*.git")) if self.root.is_dir() else []

    def remove(self, app: str) -> None:
        """Delete ``app``'s repository and build cache (its app was destroyed)."""
        shutil.rmtree(self.path(app), ignore_errors=True)
        shutil.rmtree(self.data_dir / "cache" / app, ignore_errors=True)

    def exists(self, app: str) -> bool:
        """True when ``app`` has been pushed to this builder."""
        return (self.path(app) / "HEAD").is_file()

    def ensure(self, app: str, max_push_size: int | None = None) -> Path:
        """Return ``app``'s bare repository, created on first use, with our hook and push size cap."""
        path = self.path(app)
        if not self.exists(app):
            self.root.mkdir(parents=True, exist_ok=True)
            subprocess.run(["git", "init", "--bare", "--quiet", str(path)], check=True, capture_output=True)
        install_hook(path)
        if max_push_size is not None:
            limit_pushes(path, max_push_size)
        return path

    @contextlib.contextmanager
    def push_lock(self, app: str) -> Iterator[None]:
        """Hold ``app``'s push lock, or raise :class:`PushInProgress` at once.

        ``flock`` locks belong to an open file, so two pushes in one builder
        process exclude each other as two processes would, and a crashed
        builder's lock goes away with it.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / f"{app}.lock", "a") as lock_file:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise PushInProgress("Another git push is ongoing. Aborting...") from None
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)


def limit_pushes(repo: Path, max_bytes: int) -> None:
    """Make ``git receive-pack`` refuse packs over ``max_bytes`` (git's ``receive.maxInputSize``).

    git checks the size while it receives the pack, before anything is
    unpacked or the ``pre-receive`` hook runs, and says
    ``fatal: pack exceeds maximum allowed size``; written on every push like
    the hook, so a changed ``maxPushSize`` applies to old repositories too.
    """
    subprocess.run(["git", "config", "--file", str(repo / "config"), "receive.maxInputSize", str(max_bytes)],
                   check=True, capture_output=True)


def install_hook(repo: Path, python: str = sys.executable) -> None:
    """Write the ``pre-receive`` hook of ``repo`` (calling back into this Python)."""
    hook = repo / "hooks" / "pre-receive"
    hook.parent.mkdir(exist_ok=True)
    text = HOOK.format(python=python)
    if not hook.is_file() or hook.read_text() != text:
        temporary = hook.with_suffix(".new")
        temporary.write_text(text)
        os.chmod(temporary, 0o700)  # git runs it as root; nobody else needs to read it
        temporary.replace(hook)

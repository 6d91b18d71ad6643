"""The pushed commit's tree, read straight from the bare repository.

Inside ``pre-receive`` the pushed objects sit in git's quarantine; git sets
``GIT_OBJECT_DIRECTORY`` and friends for the hook, and the commands here
inherit them, so they see the commit before any ref points at it.

Files of a pushed tree are read without following symbolic links, both here
(a link is a blob of mode ``120000``) and in a build folder on disk
(:func:`read_inside`): the builder runs as root, and a pushed ``Procfile``
linked to ``/etc/shadow`` must never be read, let alone echoed in an error.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import subprocess
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from deis.errors import PermanentError


class TreeError(PermanentError):
    """git could not read the pushed commit."""


class LinkRefused(PermanentError):
    """A file the builder reads from a pushed tree or a build folder is a symbolic link."""

    def __init__(self, name: str):
        super().__init__(f"{name} is a symbolic link; the builder never reads a file through a link "
                         "(commit the file itself, not a link to it)")


#: A git tree entry of this mode is a symbolic link (its blob is the link's target).
LINK_MODE = "120000"


def read_inside(folder: Path, name: str) -> bytes | None:
    """Return the file ``name`` (relative, ``/``-separated) of ``folder``, or ``None`` if missing.

    Every component is opened relative to the previous one with ``O_NOFOLLOW``,
    so a symbolic link anywhere on the way (absolute, ``..``, or a chain) raises
    :class:`LinkRefused` naming ``name``. This was chosen over ``resolve()`` and
    ``is_relative_to``, which would let links inside the folder through: the
    check and the open are one system call each, so nothing can swap a folder
    for a link in between, and no link target is ever looked at.
    """
    with contextlib.ExitStack() as stack:
        fd = _open(str(folder), os.O_DIRECTORY, None, name)
        if fd is None:
            return None
        stack.callback(os.close, fd)
        *parents, last = _parts(name)
        for part in parents:
            fd = _open(part, os.O_DIRECTORY | os.O_NOFOLLOW, fd, name)
            if fd is None:
                return None
            stack.callback(os.close, fd)
        # O_NONBLOCK: a FIFO a build left behind must not hang the builder (it is then skipped).
        fd = _open(last, os.O_NOFOLLOW | os.O_NONBLOCK, fd, name)
        if fd is None:
            return None
        stack.callback(os.close, fd)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read()


def text_inside(folder: Path, name: str) -> str | None:
    """Return :func:`read_inside` as text (invalid UTF-8 replaced), or ``None``."""
    data = read_inside(folder, name)
    return None if data is None else data.decode("utf-8", "replace")


def _parts(name: str) -> list[str]:
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if not parts or PurePosixPath(name).is_absolute() or ".." in parts:
        raise ValueError(f"{name!r} is not a relative path inside the folder")
    return parts


def _open(part: str, flags: int, dir_fd: int | None, name: str) -> int | None:
    """Open one component; ``None`` when it is missing, :class:`LinkRefused` when it is a link."""
    try:
        return os.open(part, os.O_RDONLY | os.O_CLOEXEC | flags, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        # O_NOFOLLOW on a link: ELOOP; O_DIRECTORY|O_NOFOLLOW on a link: ENOTDIR as well.
        if exc.errno in (errno.ELOOP, errno.ENOTDIR) and dir_fd is not None:
            if _is_link(part, dir_fd):
                raise LinkRefused(name) from None
            return None
        raise


def _is_link(part: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(part, dir_fd=dir_fd).st_mode)
    except OSError:
        return False


class Tree:
    """The files of commit ``sha`` in the repository at ``repo`` (default: the hook's cwd)."""

    def __init__(self, sha: str, repo: str | Path = "."):
        self.sha = sha
        self.repo = str(repo)

    def read(self, path: str) -> bytes | None:
        """Return the file at ``path`` in the tree, or ``None``; a link raises :class:`LinkRefused`."""
        if self._mode(path) == LINK_MODE:
            raise LinkRefused(path)
        result = subprocess.run(["git", "cat-file", "blob", f"{self.sha}:{path}"],
                                cwd=self.repo, capture_output=True)
        return result.stdout if result.returncode == 0 else None

    def _mode(self, path: str) -> str | None:
        """Return the git mode of the entry at ``path`` (``100644``, ``120000``…), or ``None``."""
        result = subprocess.run(["git", "ls-tree", "-z", self.sha, "--", path], cwd=self.repo, capture_output=True)
        entry = result.stdout.split(b"\0", 1)[0]
        return entry.split(b" ", 1)[0].decode() if result.returncode == 0 and entry else None

    def text(self, path: str) -> str | None:
        """Return the file at ``path`` as text (invalid UTF-8 replaced), or ``None``."""
        data = self.read(path)
        return None if data is None else data.decode("utf-8", "replace")

    def archive(self, sink: BinaryIO) -> None:
        """Write the tree as a tar stream to ``sink`` (a real file: git writes to it directly)."""
        result = subprocess.run(["git", "archive", "--format=tar", self.sha], cwd=self.repo,
                                stdout=sink, stderr=subprocess.PIPE)
        if result.returncode != 0:
            raise TreeError(f"git archive {self.sha} failed: {result.stderr.decode(errors='replace').strip()}")
        sink.flush()

    def extract(self, folder: Path) -> None:
        """Write the tree's files into ``folder`` (git archive piped into tar, no shell)."""
        folder.mkdir(parents=True, exist_ok=True)
        archive = subprocess.Popen(["git", "archive", "--format=tar", self.sha], cwd=self.repo,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        untar = subprocess.run(["tar", "-x", "-C", str(folder)], stdin=archive.stdout, capture_output=True)
        archive.stdout.close()
        errors = archive.stderr.read()
        if archive.wait() != 0 or untar.returncode != 0:
            raise TreeError(f"could not export {self.sha}: {(errors or untar.stderr).decode(errors='replace').strip()}")

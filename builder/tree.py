"""The pushed commit's tree, read straight from the bare repository.

Inside ``pre-receive`` the pushed objects sit in git's quarantine; git sets
``GIT_OBJECT_DIRECTORY`` and friends for the hook, and the commands here
inherit them, so they see the commit before any ref points at it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import BinaryIO

from deis.errors import PermanentError


class TreeError(PermanentError):
    """git could not read the pushed commit."""


class Tree:
    """The files of commit ``sha`` in the repository at ``repo`` (default: the hook's cwd)."""

    def __init__(self, sha: str, repo: str | Path = "."):
        self.sha = sha
        self.repo = str(repo)

    def read(self, path: str) -> bytes | None:
        """Return the file at ``path`` in the tree root, or ``None`` if there is none."""
        result = subprocess.run(["git", "cat-file", "blob", f"{self.sha}:{path}"],
                                cwd=self.repo, capture_output=True)
        return result.stdout if result.returncode == 0 else None

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

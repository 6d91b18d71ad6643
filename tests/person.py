"""Someone at their own terminal, as the e2e journey and the platform benchmarks drive the platform.

A :class:`Person` has a home directory, an SSH key and the ``deis`` CLI and
``git`` with that home; :func:`make_repo` gives them a committed git repo.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.platform import Platform

DEIS = str(Path(sys.executable).with_name("deis"))


class Person:
    """Someone at their own terminal: a home directory, an SSH key, the deis CLI."""

    def __init__(self, name: str, home: Path, platform: Platform | None = None):
        self.name, self.home, self.platform = name, home, platform
        home.mkdir(parents=True)
        self.key = home / "id_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@e2e", "-f", str(self.key)],
                       check=True)

    @property
    def environ(self) -> dict[str, str]:
        ssh = (f"ssh -i {self.key} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no "
               f"-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR")
        return {"HOME": str(self.home), "PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "GIT_SSH_COMMAND": ssh,
                "GIT_AUTHOR_NAME": self.name, "GIT_AUTHOR_EMAIL": f"{self.name}@e2e",
                "GIT_COMMITTER_NAME": self.name, "GIT_COMMITTER_EMAIL": f"{self.name}@e2e"}

    def deis(self, *args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([DEIS, *args], env=self.environ, cwd=cwd, capture_output=True, text=True,
                                timeout=600)
        if check:
            assert result.returncode == 0, f"deis {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result

    def git(self, *args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(["git", *args], env=self.environ, cwd=cwd, capture_output=True, text=True,
                                timeout=900)
        if check:
            assert result.returncode == 0, f"git {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result


def make_repo(person: Person, folder: Path, files: dict[str, str] | Path) -> Path:
    """Make ``folder`` a git repo of ``files`` (names to texts, or a folder to copy), committed by ``person``."""
    if isinstance(files, Path):
        shutil.copytree(files, folder)
    else:
        folder.mkdir(parents=True)
        for name, text in files.items():
            (folder / name).write_text(text)
    person.git("init", "-q", "-b", "master", cwd=folder)
    person.git("add", "-A", cwd=folder)
    person.git("commit", "-q", "-m", "first", cwd=folder)
    return folder

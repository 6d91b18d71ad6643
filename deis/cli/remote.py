"""The git remote an app is pushed to: its URL, and finding the app from the current repository.

v1's rule: the remote URL is ``ssh://git@<controller host without port>:2222/<app>.git``
(the router forwards port 2222 to the builder), and a command run without
``-a`` acts on the app of the remote whose URL holds the controller's host
(the one named ``deis`` first), else on the current directory's name.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from deis.client import ClientError

#: The remote name ``deis create`` adds unless ``-r`` names another.
DEFAULT_REMOTE = "deis"
GIT_PORT = 2222


class GitError(ClientError):
    """A git command failed; the message carries git's own words."""


def remote_url(host: str, app: str) -> str:
    """Return the URL ``git push`` uses for ``app`` on the controller at ``host``."""
    return f"ssh://git@{host}:{GIT_PORT}/{app}.git"


def parse_remotes(text: str) -> dict[str, str]:
    """Return ``{name: url}`` from ``git remote -v`` output (fetch URLs)."""
    remotes: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and (len(parts) < 3 or parts[2] == "(fetch)"):
            remotes.setdefault(parts[0], parts[1])
    return remotes


def app_of_url(url: str) -> str:
    """Return the app id at the end of a remote URL (``.../<app>.git``)."""
    return re.sub(r"\.git$", "", url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1])


def find_remote(remotes: dict[str, str], host: str) -> str | None:
    """Return the name of the remote pointing at ``host`` (``deis`` preferred), if any."""
    matching = [name for name, url in remotes.items() if host and host in url]
    if DEFAULT_REMOTE in matching:
        return DEFAULT_REMOTE
    return sorted(matching)[0] if matching else None


def git(*args: str, cwd: Path | None = None) -> str:
    """Run ``git <args>`` and return its output, or raise :class:`GitError`."""
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed; install it or pass -a <app>.") from None
    if result.returncode != 0:
        raise GitError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def current_remotes(cwd: Path | None = None) -> dict[str, str]:
    """Return the remotes of the repository at ``cwd``; none outside a repository."""
    try:
        return parse_remotes(git("remote", "-v", cwd=cwd))
    except GitError:
        return {}


def detect_app(host: str, cwd: Path | None = None) -> tuple[str, str | None]:
    """Return the app of the current directory and the remote it came from (``None``: the dir name)."""
    remotes = current_remotes(cwd)
    name = find_remote(remotes, host)
    if name is not None:
        return app_of_url(remotes[name]), name
    return (cwd or Path.cwd()).resolve().name, None


def add_remote(name: str, url: str) -> None:
    """Add the git remote ``name``; explain how to replace one that exists."""
    if name in current_remotes():
        raise GitError(f"A git remote named {name!r} already exists. To replace it, run:\n"
                       f"  git remote rename {name} {name}.old && deis git:remote -a {app_of_url(url)}")
    git("remote", "add", name, url)


def remove_remote(name: str) -> None:
    """Remove the git remote ``name``."""
    git("remote", "remove", name)

"""Files the platform writes are private to it: the umask and the few explicit modes.

Every platform process runs with umask 077 (supervisord sets it for what it
starts; every console script sets it again first thing, for what it is
started by otherwise), so base backups, app logs, builder repositories,
registry blobs, etcd's data and every config file are 0600/0700 and owned by
root. Children (PostgreSQL, docker-registry, nginx, git, Ceph) inherit it.

Only the PostgreSQL server runs as another user (``postgres``). It must reach
its cluster, ``<data>/database``, and a ``file://`` store's WAL folder, so
the data root and the store's root are 0711: ``postgres`` may pass through
them to the folders it owns (0700), but neither it nor anyone else may list
them, and everything else under them is 0700/0600.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: The umask of every platform process: nothing is readable or writable by group or others.
UMASK = 0o077
#: Folders another system user (``postgres``) must pass through, but not list.
TRAVERSABLE = 0o711
#: The mode bits :func:`tighten` removes: read and write for group and others.
GROUP_OTHER_RW = 0o066


def private_umask() -> None:
    """Make every file and folder this process (and its children) creates private to root."""
    os.umask(UMASK)


def private_folder(path: Path) -> None:
    """Create ``path`` (mode 0700) or take group and other read/write away from it."""
    if not path.exists():
        path.mkdir(parents=True, mode=0o700)
    tighten_one(path)


def make_traversable(path: Path) -> None:
    """Set ``path`` to 0711: a folder another system user passes through to its own (see module doc)."""
    path.chmod(TRAVERSABLE)


def tighten_one(path: Path) -> bool:
    """Take group and other read/write from ``path`` (not following links); keep its x bits.

    Returns whether the mode changed. Sockets keep theirs: a socket's mode is who may connect.
    """
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode) or stat.S_ISSOCK(mode) or not mode & GROUP_OTHER_RW:
        return False
    path.chmod(stat.S_IMODE(mode) & ~GROUP_OTHER_RW)
    return True


def tighten(root: Path, skip: frozenset[str] = frozenset()) -> int:
    """Take group and other read/write from everything under ``root``; return how many changed.

    Brings a data directory written before umask 077 into line, in place.
    ``skip`` names top-level folders left alone (dockerd's data root, whose
    image layers must keep their modes). Links are not followed.
    """
    changed = 0
    for folder, subfolders, files in os.walk(root):
        if Path(folder) == root:
            subfolders[:] = [name for name in subfolders if name not in skip]
        for name in subfolders + files:
            try:
                changed += tighten_one(Path(folder) / name)
            except FileNotFoundError:  # removed by a running component meanwhile
                continue
    return changed

"""``.slugignore``: paths removed from the source before the buildpack runs (Heroku's rule).

One pattern a line, ``#`` comments. A pattern without ``/`` matches a file or
folder name anywhere (``*.psd``); one with ``/`` matches a path from the root
(``/docs``, ``tests/fixtures``). Patterns that climb out (``..``) are
ignored, and symlinks are removed as links, never followed, so nothing outside
the build folder is ever touched.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
from pathlib import Path, PurePosixPath

from builder.tree import text_inside


def patterns(text: str) -> list[str]:
    """Return the usable patterns of a ``.slugignore`` text."""
    found = []
    for line in text.splitlines():
        pattern = line.strip().rstrip("/")
        if pattern and not pattern.startswith("#") and ".." not in PurePosixPath(pattern).parts:
            found.append(pattern)
    return found


def matches(relative: str, pattern: str) -> bool:
    """True when the path ``relative`` (to the build root) is ignored by ``pattern``."""
    if "/" in pattern:
        return fnmatch.fnmatchcase(relative, pattern.lstrip("/"))
    return fnmatch.fnmatchcase(PurePosixPath(relative).name, pattern)


def ignored(paths: list[str], rules: list[str]) -> list[str]:
    """Return the paths (relative, ``/``-separated) that some rule ignores."""
    return [path for path in paths if any(matches(path, rule) for rule in rules)]


def apply(root: Path) -> list[str]:
    """Remove what ``root/.slugignore`` ignores; return the removed paths."""
    text = text_inside(root, ".slugignore")
    if text is None:
        return []
    rules = patterns(text)
    removed = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        base = Path(folder).relative_to(root)
        for name in ignored([(base / n).as_posix() for n in dirs + files], rules):
            _remove(root / name)
            removed.append(name)
        dirs[:] = [d for d in dirs if (root / base / d).exists()]
    return removed


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)

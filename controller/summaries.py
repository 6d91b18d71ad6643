"""Release summaries in Deis v1's words (reference §2.4); pure.

A release's summary says what changed since the previous one, e.g.
``alice deployed 1a2b3c4``, ``alice added FOO, changed BAR``,
``alice changed limits for memory`` or ``alice rolled back to v3``. Clauses
are joined with ``" and "`` (v1 glued the limits clause on without one, a bug
not kept).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Diff:
    """The keys added, changed and deleted between two dicts."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.deleted)


def dict_diff(new: Mapping[str, Any], old: Mapping[str, Any]) -> Diff:
    """Return what changed from ``old`` to ``new``."""
    return Diff(
        added=[k for k in new if k not in old],
        changed=[k for k in new if k in old and new[k] != old[k]],
        deleted=[k for k in old if k not in new],
    )


def _phrase(diff: Diff, noun: str = "") -> str:
    parts = [(verb, keys) for verb, keys in (("added", diff.added), ("changed", diff.changed),
                                             ("deleted", diff.deleted)) if keys]
    return ", ".join(f"{verb} {noun}{', '.join(keys)}" for verb, keys in parts)


def deployed(sha: str, image: str) -> str:
    """Return what a build deployed: the short git sha, else the image."""
    return sha[:7] if sha else image


def release_summary(user: str, old: Mapping[str, Mapping], new: Mapping[str, Mapping],
                    deployed_what: str | None = None) -> str:
    """Return the summary of a release.

    :param old: the previous config's ``values``, ``memory``, ``cpu`` and ``tags``.
    :param new: the new config's, likewise.
    :param deployed_what: what a new build deployed (see :func:`deployed`), if any.
    """
    clauses = [f"{user} deployed {deployed_what}"] if deployed_what else []
    if values := _phrase(dict_diff(new.get("values", {}), old.get("values", {}))):
        clauses.append(f"{user} {values}")
    limits = [name for name in ("memory", "cpu") if dict_diff(new.get(name, {}), old.get(name, {}))]
    if limits:
        clauses.append(f"{user} changed limits for {', '.join(limits)}")
    if tags := _phrase(dict_diff(new.get("tags", {}), old.get("tags", {})), "tag "):
        clauses.append(f"{user} {tags}")
    return " and ".join(clauses) or f"{user} changed nothing"


def rollback_summary(user: str, version: int) -> str:
    """Return the summary of a rollback release."""
    return f"{user} rolled back to v{version}"


def scale_event(user: str, structure: Mapping[str, int]) -> str:
    """Return the app-log line of a scale (``alice scaled containers web=2 worker=1``)."""
    counts = " ".join(f"{kind}={count}" for kind, count in structure.items())
    return f"{user} scaled containers {counts}"

"""``<data dir>/cluster.json``: the file that puts ``deisctl`` in cluster mode.

``deisctl cluster bootstrap`` writes it; every later command reads it. It
holds the managers' Docker API URLs (any one that answers will do) and the
:class:`~deisctl.swarm.specs.Settings` the platform's services are made
with. Without it, ``deisctl`` runs the platform as processes on this host.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from deis.errors import ConfigurationError
from deis.paths import Paths
from deisctl.swarm.specs import Settings

FILENAME = "cluster.json"


def path(paths: Paths | None = None) -> Path:
    """Where the cluster file of this data dir lives."""
    return (paths or Paths.from_env()).root / FILENAME


@dataclass(frozen=True)
class ClusterState:
    """The managers to talk to and the settings to make services with."""

    managers: tuple[str, ...]
    settings: Settings = field(default_factory=Settings)

    def to_json(self) -> str:
        """The file's text."""
        return json.dumps({"managers": list(self.managers), "settings": self.settings.to_dict()}, indent=2) + "\n"


def load(file: Path | None = None) -> ClusterState | None:
    """Return the recorded cluster, or None in single-host mode (no file)."""
    file = file or path()
    try:
        data = json.loads(file.read_text())
        return ClusterState(tuple(data["managers"]), Settings.from_dict(data.get("settings") or {}))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(f"{file} is not a cluster file deisctl can read ({exc}); "
                                 "run 'deisctl cluster bootstrap ENGINE...' again to rewrite it") from exc


def save(state: ClusterState, file: Path | None = None) -> Path:
    """Write the cluster file atomically; return its path."""
    file = file or path()
    file.parent.mkdir(parents=True, exist_ok=True)
    partial = file.with_suffix(".json.new")
    partial.write_text(state.to_json())
    os.replace(partial, file)
    return file

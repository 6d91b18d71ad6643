"""The ``pre-receive`` hook: build each pushed branch before git accepts it.

git runs this (through the script :mod:`builder.repos` installs) with the
pushed ref updates on stdin, one ``<old> <new> <ref>`` line each, and the
pushed objects in quarantine. A non-zero exit rejects the whole push: the
client prints ``! [remote rejected] master -> master (pre-receive hook declined)``
and no ref moves. The environment names the pusher (``RECEIVE_USER``), the
app (``RECEIVE_REPO``) and the key (``RECEIVE_FINGERPRINT``), set by
:mod:`builder.session`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass

import docker

from builder import build
from builder.controller_client import Hooks, controller_url
from builder.limits import Limits
from builder.output import Output
from builder.repos import Repos
from builder.settings import SETTINGS
from deis.errors import DeisError
from deis.etcd import Etcd

ZERO = "0" * 40


@dataclass(frozen=True)
class Update:
    """One ref update git is about to make."""

    old: str
    new: str
    ref: str


def updates(text: str) -> list[Update]:
    """Parse the hook's stdin."""
    return [Update(*line.split()) for line in text.splitlines() if len(line.split()) == 3]


def to_build(pending: list[Update]) -> list[Update]:
    """Return the updates that build: branches that are created or moved, not deleted."""
    return [u for u in pending if u.new != ZERO and u.ref.startswith("refs/heads/")]


def main(environ: Mapping[str, str] = os.environ) -> None:
    """Build every pushed branch; exit 1 (rejecting the push) when one fails."""
    out = Output()
    try:
        pending = to_build(updates(sys.stdin.read()))
        if pending:
            tools = _tools()
            for update in pending:
                build.run(_push(update, environ), tools, out)
    except DeisError as exc:
        _fail(out, str(exc))
    except Exception as exc:  # the engine or the network broke: still reject cleanly, with a reason
        _fail(out, f"ERROR: the build failed unexpectedly: {exc}")


def _fail(out: Output, message: str) -> None:
    out.line()
    out.error(message)
    sys.exit(1)


def _push(update: Update, environ: Mapping[str, str]) -> build.Push:
    return build.Push(user=environ["RECEIVE_USER"], app=environ["RECEIVE_REPO"], sha=update.new,
                      fingerprint=environ.get("RECEIVE_FINGERPRINT", ""),
                      ssh_connection=environ.get("SSH_CONNECTION", ""))


def _tools() -> build.Tools:
    etcd = Etcd()
    settings = SETTINGS.bind(etcd)
    hooks = Hooks(controller_url(etcd), settings.get("builderKey") or "")
    api = docker.APIClient(base_url=settings.get("dockerHost"), timeout=600)
    limits = Limits(memory=settings.get("buildMemory"), timeout=settings.get("buildTimeout"))
    return build.Tools(hooks, api, etcd, Repos(settings.get("dataDir")), settings.get("stackImage"), limits,
                       require_registry=settings.get("requireRegistry"))


if __name__ == "__main__":
    main()

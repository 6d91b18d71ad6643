"""One SSH session: check the command and the user's access, then run git on the channel.

The order matters: parse the command, ask the controller whether the user may
use the app, take the app's push lock, and only then create the repository
and start ``git-receive-pack`` (whose ``pre-receive`` hook builds). A refusal
at any step is one line on the client's stderr and exit status 1, with
nothing written to disk before the access check passed.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path

import paramiko

from builder import commands
from builder.commands import Command
from builder.controller_client import AccessDenied, Hooks, NotFound
from builder.repos import Repos
from builder.settings import human_size
from deis.errors import DeisError

log = logging.getLogger(__name__)

CHUNK = 32768
#: What git says when a pack is over ``receive.maxInputSize`` (in its sideband output, on stdout).
TOO_LARGE = b"pack exceeds maximum allowed size"


class Session:
    """The command of one authenticated SSH channel, run to its exit status."""

    def __init__(self, channel: paramiko.Channel, user: str, fingerprint: str,
                 hooks: Hooks, repos: Repos, environ: Mapping[str, str], peer: str = "",
                 max_push_size: int | None = None):
        self.channel = channel
        self.user = user
        self.fingerprint = fingerprint
        self.hooks = hooks
        self.repos = repos
        self.environ = environ
        self.peer = peer
        self.max_push_size = max_push_size

    def run(self, raw_command: bytes | None) -> int:
        """Run ``raw_command`` (``None``: a shell request); return its exit status."""
        try:
            command = commands.parse(raw_command)
            if command.service == commands.PING:
                self.channel.sendall(b"pong\n")
                return 0
            self._authorize(command.app)
            return self._push(command) if command.is_push else self._fetch(command)
        except DeisError as exc:
            log.info("refused %s (%s): %s", self.user, self.peer, exc)
            self.channel.sendall_stderr(f"{exc}\n".encode())
            return 1

    def _authorize(self, app: str) -> None:
        """Raise a refusal unless the controller lets the user use ``app``."""
        try:
            self.hooks.config(self.user, app)
        except AccessDenied:
            raise commands.Refused(f"You don't have access to app {app}") from None
        except NotFound:
            raise commands.Refused(f"App {app} does not exist; create it with 'deis create {app}'") from None

    def _push(self, command: Command) -> int:
        with self.repos.push_lock(command.app):
            return self._git(command, self.repos.ensure(command.app, self.max_push_size))

    def _fetch(self, command: Command) -> int:
        if not self.repos.exists(command.app):
            raise commands.Refused(f"App {command.app} has not been pushed to yet; 'git push' it first")
        return self._git(command, self.repos.path(command.app))

    def _git(self, command: Command, repo: Path) -> int:
        """Run the git service on ``repo`` with its stdio plumbed to the channel."""
        env = {**self.environ, "RECEIVE_USER": self.user, "RECEIVE_REPO": command.app,
               "RECEIVE_FINGERPRINT": self.fingerprint, "SSH_CONNECTION": self.peer,
               "SSH_ORIGINAL_COMMAND": f"{command.service} '{command.app}.git'"}
        process = subprocess.Popen([command.service, str(repo)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=env, cwd=repo)
        feeder = threading.Thread(target=_feed, args=(self.channel, process.stdin), daemon=True)
        errors = threading.Thread(target=_drain, args=(process.stderr, self.channel.sendall_stderr), daemon=True)
        feeder.start()
        errors.start()
        output = _Watched(self.channel.sendall)
        _drain(process.stdout, output)
        errors.join()
        status = process.wait()
        if output.too_large and self.max_push_size:
            self.channel.sendall_stderr(_too_large(self.max_push_size).encode())
        log.info("%s by %s on %s exited %d", command.service, self.user, command.app, status)
        return status


class _Watched:
    """Sends git's output on, noting whether git refused the pack as too large."""

    def __init__(self, send):
        self.send = send
        self.too_large = False
        self._tail = b""

    def __call__(self, data: bytes) -> None:
        # The tail of the previous chunk, so a message split between two reads is still seen.
        self.too_large = self.too_large or TOO_LARGE in self._tail + data
        self._tail = data[-len(TOO_LARGE):]
        self.send(data)


def _too_large(max_push_size: int) -> str:
    return (f"The push is larger than the builder accepts (maxPushSize is {human_size(max_push_size)}); "
            "push less at a time, or raise it with 'deisctl config builder set maxPushSize=1g'\n")


def _feed(channel: paramiko.Channel, sink) -> None:
    """Copy the client's data to git's stdin until the client sends EOF."""
    try:
        while data := channel.recv(CHUNK):
            sink.write(data)
            sink.flush()
    except (OSError, EOFError):
        pass  # git exited or the client went away; git sees EOF either way
    finally:
        try:
            sink.close()
        except OSError:
            pass


def _drain(source, send) -> None:
    """Copy a git pipe to the channel; keep reading after the client left so git never blocks."""
    connected = True
    while data := os.read(source.fileno(), CHUNK):
        if connected:
            try:
                send(data)
            except (OSError, EOFError):
                connected = False
    source.close()

"""What an SSH client may ask the builder to run, parsed without touching anything.

Git runs ``git-receive-pack '<app>.git'`` (push) or ``git-upload-pack
'<app>.git'`` (fetch) on the remote side; ``ping`` answers ``pong``. Anything
else is refused here, before a repository, lock or process exists, with one
line that says what is allowed. Deis v1 *stripped* dangerous characters and
went on; we refuse instead, so a name never reaches the disk half-cleaned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from deis.errors import ValidationError
from deis.naming import validate_app_id

#: The git services a client may run, by the name git sends.
GIT_SERVICES = frozenset({"git-receive-pack", "git-upload-pack"})
PING = "ping"
#: ``<service> '<repo>'``: git quotes the path with single quotes; some clients omit them.
_GIT_COMMAND = re.compile(r"^(?P<service>git-[a-z-]+) (?P<quote>'?)(?P<path>[^']*)(?P=quote)\Z")
#: Longest command worth reading (git's are ~100 bytes).
MAX_COMMAND = 512
USAGE = "Only 'git push' and 'git fetch' of <app>.git are allowed here"


class Refused(ValidationError):
    """The client asked for something the builder does not do; the message says what."""


@dataclass(frozen=True)
class Command:
    """A command the builder runs: ``ping`` or a git service on one app's repository."""

    service: str
    app: str = ""

    @property
    def is_push(self) -> bool:
        """True for ``git-receive-pack`` (a push, which builds)."""
        return self.service == "git-receive-pack"


def parse(raw: bytes | str | None) -> Command:
    """Return the :class:`Command` in ``raw`` or raise :class:`Refused`.

    ``None`` stands for a shell request (``ssh git@host`` with no command).
    """
    if raw is None:
        raise Refused(f"Shell access is not available. {USAGE}.")
    text = _text(raw)
    if text.strip() == PING:
        return Command(PING)
    match = _GIT_COMMAND.match(text)
    if not match or match["service"] not in GIT_SERVICES:
        raise Refused(f"Command {_shown(text)} is not allowed. {USAGE}.")
    return Command(match["service"], app_of(match["path"]))


def app_of(path: str) -> str:
    """Return the app id of a repository path: ``[/]<app>[.git]``, nothing else."""
    name = path[1:] if path.startswith("/") else path
    name = name[:-4] if name.endswith(".git") else name
    try:
        return validate_app_id(name)
    except ValidationError as exc:
        raise Refused(f"Repository {_shown(path)} is not an app: use <app>.git ({exc})") from None


def _text(raw: bytes | str) -> str:
    if isinstance(raw, bytes):
        if len(raw) > MAX_COMMAND:
            raise Refused(f"Command is too long. {USAGE}.")
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(f"Command is not UTF-8 text. {USAGE}.") from None
    if len(raw) > MAX_COMMAND or any(ch in raw for ch in "\r\n\0"):
        raise Refused(f"Command must be one short line. {USAGE}.")
    return raw


def _shown(text: str) -> str:
    """Quote user text for a one-line message (repr escapes control characters)."""
    return repr(text[:80])

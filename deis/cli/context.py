"""What every command shares, passed with click's ``make_pass_decorator``: session, client, app.

Commands stay thin: they read options, call ``state.client.<verb>(...)`` and
render. Tests hand in a :class:`State` with a ``requests`` adapter to render
from canned answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click
import requests

from deis.cli import remote
from deis.client import Client, Session, load_session, save_session, session_path


@dataclass
class State:
    """The session file in use, the API client made from it, and how the app is found."""

    home: Path | None = None
    profile: str | None = None
    adapter: requests.adapters.BaseAdapter | None = None
    _client: Client | None = field(default=None, init=False, repr=False)

    @property
    def path(self) -> Path:
        """Return the session file (``~/.deis/client.json`` or the profile's)."""
        return session_path(self.profile, self.home)

    def session(self) -> Session:
        """Return the saved session, or raise ``NotLoggedIn``."""
        return load_session(self.path)

    def save(self, session: Session) -> None:
        """Save ``session`` and forget the client made from the old one."""
        save_session(self.path, session)
        self._client = None

    @property
    def client(self) -> Client:
        """Return the API client of the logged-in user."""
        if self._client is None:
            self._client = Client.from_session(self.session(), adapter=self.adapter)
        return self._client

    def anonymous(self, controller: str, verify: bool = True) -> Client:
        """Return a client of ``controller`` without a token (register, login)."""
        return Client(controller, verify=verify, adapter=self.adapter)

    def app(self, given: str | None) -> str:
        """Return the app a command acts on: ``-a``, else the git remote, else the directory."""
        return given or remote.detect_app(self.client.host)[0]

    def app_and_remote(self, given: str | None) -> tuple[str, str | None]:
        """Return the app and, when it came from a git remote, that remote's name."""
        return (given, None) if given else remote.detect_app(self.client.host)


pass_state = click.make_pass_decorator(State, ensure=True)

app_option = click.option("-a", "--app", "app", metavar="<app>",
                          help="The app to act on (default: from the 'deis' git remote, else this directory's name).")
limit_option = click.option("-l", "--limit", type=click.IntRange(min=1), metavar="<num>",
                            help="How many items to show (default: response_limit of the session, 100).")

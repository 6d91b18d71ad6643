"""The controller's REST API as one ``requests`` session, and the CLI's session file.

Every call goes through :meth:`Client.request`, which owns the policy the
``deis`` commands share: the base URL, ``Authorization: token <t>``, JSON in
and out, timeouts, v1's API-version warning, and the translation of failures
into one exception tree (library errors never leave this module)::

    ClientError                  deis.errors.PermanentError
    ├── NotLoggedIn              no session file: log in or register first
    ├── ConnectionFailed         the controller did not answer (refused, timeout, TLS)
    └── ControllerError          the controller answered 4xx/5xx: status line + body

The session file is v1's ``~/.deis/client.json`` (``~/.deis/<DEIS_PROFILE>.json``
when that variable is set): directory 0700, file 0600, the fields of
:class:`Session`.
"""

from __future__ import annotations

import http
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from deis import API_VERSION, PLATFORM_VERSION
from deis.errors import PermanentError

#: v1's ``response_limit``: list commands ask for this many items unless ``-l`` says otherwise.
DEFAULT_LIMIT = 100
#: (connect, read) seconds; the read allowance matches v1's 1200 s gunicorn timeout,
#: since deploys, scales and ``deis run`` answer only when they are done.
DEFAULT_TIMEOUT = (10.0, 1200.0)
USER_AGENT = f"Deis Client v{PLATFORM_VERSION}"
VERSION_WARNING = ("!    WARNING: Client and server API versions do not match. Please consider upgrading.\n"
                   "!    Client version: {client}\n"
                   "!    Server version: {server}")


class ClientError(PermanentError):
    """Base class of every error the API client raises."""


class NotLoggedIn(ClientError):
    """No session file exists for the profile in use."""

    def __init__(self, message: str = "Not logged in. Use 'deis login' or 'deis register' to get started."):
        super().__init__(message)


class ConnectionFailed(ClientError):
    """The controller could not be reached, or the TLS handshake failed."""


class ControllerError(ClientError):
    """The controller answered with an error status.

    ``str()`` is v1's rendering: a blank line, the status line, then one
    ``key: message`` line per message of the body.
    """

    def __init__(self, status: int, reason: str, body: Any):
        self.status = status
        self.reason = reason or _reason_phrase(status)
        self.body = body
        super().__init__(self.render())

    @property
    def status_line(self) -> str:
        """Return the status line as the controller sent it, e.g. ``404 NOT FOUND``."""
        return f"{self.status} {self.reason}"

    def messages(self) -> list[str]:
        """Return the body as ``key: message`` lines (field errors in key order)."""
        if not isinstance(self.body, Mapping):
            return [str(self.body)] if self.body not in (None, "") else []
        lines = []
        for key in sorted(self.body):
            value = self.body[key]
            for message in value if isinstance(value, list) else [value]:
                lines.append(f"{key}: {message}")
        return lines

    def render(self) -> str:
        """Return the v1 error text: ``\\n<STATUS LINE>\\n<key>: <msg>...``."""
        return "\n".join(["", self.status_line, *self.messages()])


def _reason_phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase.upper()
    except ValueError:
        return ""


def segment(value: Any) -> str:
    """Quote one path segment of an API URL (key labels hold ``@`` and dots)."""
    return quote(str(value), safe="@")


def app_path(app: str, *rest: str) -> str:
    """Return the API path of ``app`` or of a collection under it: ``/v1/apps/<app>/<rest>/``."""
    return "/".join(["/v1/apps", segment(app), *rest]) + "/"


def normalize_controller(url: str) -> str:
    """Return a controller URL with a scheme and without a trailing slash (v1 added ``http://``)."""
    url = url.strip().rstrip("/")
    return url if "://" in url else f"http://{url}"


@dataclass
class Listing:
    """Some items of a paginated list, and how many the whole list holds."""

    results: list[Any]
    count: int

    @property
    def truncated(self) -> bool:
        """Return whether fewer items came than the list holds."""
        return len(self.results) < self.count


@dataclass
class Session:
    """What ``deis login`` remembers (v1's client.json fields)."""

    controller: str
    token: str
    username: str
    ssl_verify: bool = True
    response_limit: int = DEFAULT_LIMIT

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Session:
        """Build a session from the file's JSON, ignoring unknown fields."""
        return cls(controller=str(data.get("controller") or ""), token=str(data.get("token") or ""),
                   username=str(data.get("username") or ""),
                   ssl_verify=bool(data.get("ssl_verify", True)),
                   response_limit=int(data.get("response_limit") or DEFAULT_LIMIT))


def session_path(profile: str | None = None, home: Path | None = None) -> Path:
    """Return the session file of ``profile`` (``DEIS_PROFILE``, default ``client``)."""
    name = profile or os.environ.get("DEIS_PROFILE") or "client"
    return (home or Path.home()) / ".deis" / f"{name}.json"


def load_session(path: Path) -> Session:
    """Read the session file, or raise :class:`NotLoggedIn`."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise NotLoggedIn() from None
    except (OSError, ValueError) as exc:
        raise NotLoggedIn(f"Could not read {str(path)!r} ({exc}). Log in again with 'deis login'.") from None
    return Session.from_json(data)


def save_session(path: Path, session: Session) -> None:
    """Write the session file: directory 0700, file 0600 (it holds a token)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as stream:
        json.dump(asdict(session), stream, indent=2)
    os.chmod(path, 0o600)


def delete_session(path: Path) -> None:
    """Remove the session file if there is one."""
    path.unlink(missing_ok=True)


def _stderr_warning(message: str) -> None:
    print(message, file=sys.stderr)


def _body(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


@dataclass
class Client:
    """A caller of one controller's API, as one user (or anonymously without ``token``)."""

    controller: str
    token: str | None = None
    verify: bool = True
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    limit: int = DEFAULT_LIMIT
    warn: Callable[[str], None] = _stderr_warning
    adapter: requests.adapters.BaseAdapter | None = None
    http: requests.Session = field(init=False, repr=False)
    _warned: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        self.controller = normalize_controller(self.controller)
        self.http = requests.Session()
        self.http.headers.update({"Content-Type": "application/json", "User-Agent": USER_AGENT})
        if self.adapter is not None:
            self.http.mount("http://", self.adapter)
            self.http.mount("https://", self.adapter)

    @classmethod
    def from_session(cls, session: Session, **options: Any) -> Client:
        """Return a client acting as the logged-in user of ``session``."""
        return cls(session.controller, session.token, verify=session.ssl_verify,
                   limit=session.response_limit, **options)

    @property
    def host(self) -> str:
        """Return the controller's host name, without port (v1's git-remote rule)."""
        return urlsplit(self.controller).hostname or ""

    def url(self, path: str) -> str:
        """Return the absolute URL of ``path`` (already absolute URLs pass through)."""
        return path if "://" in path else f"{self.controller}/{path.lstrip('/')}"

    def request(self, method: str, path: str, *, json: Any = None,
                params: Mapping[str, Any] | None = None) -> requests.Response:
        """Send one request; return the response, or raise a :class:`ClientError`."""
        response = self._send(method, self.url(path), json, params)
        self._check_version(response)
        if response.status_code >= 400:
            raise ControllerError(response.status_code, response.reason, _body(response))
        return response

    def stream_lines(self, path: str, **params: Any) -> Iterator[str]:
        """GET ``path`` as a stream and yield its lines as they arrive (``deis logs -f``)."""
        response = self._send("GET", self.url(path), None, params or None, stream=True)
        self._check_version(response)
        if response.status_code >= 400:
            raise ControllerError(response.status_code, response.reason, _body(response))
        with response:
            yield from response.iter_lines(decode_unicode=True)

    def _send(self, method: str, url: str, body: Any, params: Any, stream: bool = False) -> requests.Response:
        headers = {"Authorization": f"token {self.token}"} if self.token else {}
        data = None if body is None else json.dumps(body)
        # A stream waits for new lines as long as it takes; only connecting is bounded.
        timeout = (self.timeout[0] if isinstance(self.timeout, tuple) else self.timeout, None) if stream \
            else self.timeout
        try:
            return self.http.request(method, url, data=data, params=params, headers=headers,
                                     timeout=timeout, verify=self.verify, stream=stream)
        except requests.exceptions.SSLError as exc:
            raise ConnectionFailed(f"TLS handshake with {self.controller!r} failed ({exc}). "
                                   "For a self-signed certificate, log in with --ssl-verify=false.") from None
        except requests.exceptions.RequestException as exc:
            raise ConnectionFailed(f"Could not reach the controller at {self.controller!r} "
                                   f"({type(exc).__name__}). Is the URL right and the platform up? "
                                   "Check it with 'deis login <controller>'.") from None

    def _check_version(self, response: requests.Response) -> None:
        server = response.headers.get("DEIS_API_VERSION")
        if server is None or self._warned or _same_version(server, API_VERSION):
            return
        self._warned = True
        self.warn(VERSION_WARNING.format(client=API_VERSION, server=server))

    def get(self, path: str, **params: Any) -> Any:
        """GET ``path`` and return its JSON body (``None`` when empty)."""
        return _body(self.request("GET", path, params=params or None))

    def text(self, path: str, **params: Any) -> str:
        """GET ``path`` and return its body as text (``""`` for 204)."""
        return self.request("GET", path, params=params or None).text

    def post(self, path: str, data: Any = None) -> Any:
        """POST ``data`` as JSON to ``path`` and return the JSON answer."""
        return _body(self.request("POST", path, json={} if data is None else data))

    def post_response(self, path: str, data: Any = None) -> requests.Response:
        """POST ``data`` and return the whole response (for its headers)."""
        return self.request("POST", path, json={} if data is None else data)

    def delete(self, path: str, data: Any = None) -> None:
        """DELETE ``path`` (with an optional JSON body)."""
        self.request("DELETE", path, json=data)

    def list(self, path: str, limit: int | None = None) -> Listing:
        """Return up to ``limit`` items of a paginated list, asking v1's ``?page_size=<limit>``."""
        limit = limit or self.limit
        page = self.get(path, page_size=limit)
        results, count = list(page["results"]), int(page["count"])
        while page.get("next") and len(results) < limit:
            page = self.get(page["next"])
            results.extend(page["results"])
        return Listing(results[:limit], count)

    def check_connection(self) -> None:
        """Raise :class:`ConnectionFailed` unless a Deis controller answers (v1: ``GET /v1/`` is 401)."""
        try:
            self.request("GET", "/v1/")
        except ControllerError as exc:
            if exc.status == 401:
                return
        else:
            if self.token:
                return
        raise ConnectionFailed(f"{self.controller!r} does not appear to be a valid Deis controller. "
                               "Make sure that the controller URL is correct and the server is running.")


def _same_version(server: str, client: str) -> bool:
    return server.split(".")[:2] == client.split(".")[:2]

"""etcd authentication: where the platform's root password lives, and the token each request carries.

etcd holds the platform's secrets (the builder key, the controller's secret
key, the database password, TLS private keys, the store's keys), so deisctl
enables etcd's own authentication with a ``root`` user (see
:meth:`deis.etcd.Etcd.enable_auth`). We chose that over moving the secrets
out of etcd: etcd is already the one place every component, on any host,
reads its settings from, and on a cluster it is replicated; a secret in a
file on one host's disk would not survive that host.

The password is read from ``DEIS_ETCD_PASSWORD``, else from the file
``DEIS_ETCD_PASSWORD_FILE`` (a Swarm secret on a cluster), else from
``<DEIS_DATA_DIR>/secrets/etcd-root-password`` (mode 0600, written by deisctl).

A client authenticates only when etcd refuses it (``user name is empty``, or
``invalid auth token`` once a token has expired), then retries once with the
token; tokens are shared by every client of the same etcd in the process, so
a readiness probe run five times a second costs one password check, not
five. An etcd without authentication (a test's own) is never sent a token.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Mapping
from pathlib import Path

import requests

from deis import filemodes
from deis.errors import EtcdUnavailable
from deis.paths import Paths

#: The etcd user the platform's components act as.
ROOT_USER = "root"
#: What etcd answers, in the message of a refused request, when it wants a (new) token.
REFUSALS = ("user name is empty", "invalid auth token")

_tokens: dict[str, str] = {}
_tokens_lock = threading.Lock()


def password_file(environ: Mapping[str, str] = os.environ) -> Path:
    """Return the file holding the root password (``DEIS_ETCD_PASSWORD_FILE`` or under the data dir)."""
    override = environ.get("DEIS_ETCD_PASSWORD_FILE")
    return Path(override) if override else Paths.from_env(environ).etcd_password


def root_password(environ: Mapping[str, str] = os.environ) -> str | None:
    """Return the root password, or None when this process has none (etcd without auth)."""
    if environ.get("DEIS_ETCD_PASSWORD"):
        return environ["DEIS_ETCD_PASSWORD"]
    try:
        return password_file(environ).read_text().strip() or None
    except (FileNotFoundError, PermissionError, NotADirectoryError):
        return None


def ensure_password(environ: Mapping[str, str] = os.environ) -> str:
    """Return the root password; the first time, generate one into :func:`password_file` (root's alone)."""
    found = root_password(environ)
    if found:
        return found
    path = password_file(environ)
    filemodes.private_folder(path.parent)
    password = secrets.token_urlsafe(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(password + "\n")
    return password


def forget_tokens() -> None:
    """Drop every cached token (an etcd whose authentication was turned off refuses them)."""
    with _tokens_lock:
        _tokens.clear()


def refused(response: requests.Response) -> bool:
    """True when etcd refused ``response``'s request for want of a valid token."""
    if response.status_code not in (400, 401):
        return False
    return any(reason in response.text for reason in REFUSALS)


def authenticate(base_url: str, password: str, timeout: float, environ: Mapping[str, str] = os.environ) -> str:
    """Return a fresh token for ``root``; raise ``EtcdUnavailable`` when etcd refuses the password."""
    try:
        answer = requests.post(f"{base_url}/v3/auth/authenticate",
                               json={"name": ROOT_USER, "password": password}, timeout=timeout)
    except requests.RequestException as exc:
        raise EtcdUnavailable(f"etcd did not answer while authenticating: {exc}") from exc
    if answer.status_code != 200:
        raise EtcdUnavailable(
            f"etcd at {base_url} refused the platform's root password ({answer.json().get('message', answer.text)}); "
            f"check {password_file(environ)} or DEIS_ETCD_PASSWORD")
    return answer.json()["token"]


class TokenAuth(requests.auth.AuthBase):
    """A ``requests`` auth that sends etcd's token and renews it once when etcd refuses it."""

    def __init__(self, base_url: str, timeout: float, environ: Mapping[str, str] = os.environ):
        self.base_url = base_url
        self.timeout = timeout
        self.environ = environ

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        token = _tokens.get(self.base_url)
        if token:
            request.headers["Authorization"] = token
        request.register_hook("response", self._retry_if_refused)
        return request

    def renew(self, used: str | None = None) -> str | None:
        """Return a token newer than ``used`` (fetched now unless another thread did); None without a password."""
        with _tokens_lock:
            current = _tokens.get(self.base_url)
            if current and current != used:
                return current
            password = root_password(self.environ)
            if password is None:
                return None
            _tokens[self.base_url] = authenticate(self.base_url, password, self.timeout, self.environ)
            return _tokens[self.base_url]

    def forget(self) -> None:
        """Drop the cached token (a watch was cancelled for it); the next refusal fetches another."""
        with _tokens_lock:
            _tokens.pop(self.base_url, None)

    def _retry_if_refused(self, response: requests.Response, **send_options) -> requests.Response:
        if not refused(response):
            return response
        token = self.renew(response.request.headers.get("Authorization"))
        if token is None:
            return response
        response.content  # noqa: B018 - read the body so the connection can be reused
        response.close()
        retry = response.request.copy()
        retry.hooks = {"response": []}  # once: a second refusal is reported, not retried forever
        retry.headers["Authorization"] = token
        sent = response.connection.send(retry, **send_options)
        sent.history.append(response)
        sent.request = retry
        return sent

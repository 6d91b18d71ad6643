"""The builder's client of the controller's ``/v1/hooks/`` API.

Every call carries the shared builder key (``X-Deis-Builder-Auth``); the
controller is found where its instances announce themselves
(``/deis/controller/hosts/*``; :func:`controller_url` picks one that accepts a connection).
HTTP errors are translated here, once::

    DeisError
    ├── ControllerUnavailable (TemporaryError)   no answer, or a 5xx
    └── HookRefused (PermanentError)             a 4xx; ``detail`` says why
        ├── AccessDenied                         403: the user may not use the app
        └── UnknownKey / UnknownApp              404
"""

from __future__ import annotations

import random
import socket
from typing import Any
from urllib.parse import quote

import requests

from deis.errors import PermanentError, TemporaryError
from deis.etcd import Etcd, discover_all

HEADER = "X-Deis-Builder-Auth"
#: Seconds to wait for a quick hook; a build hook deploys and may take minutes.
TIMEOUT = 15.0
BUILD_TIMEOUT = 1200.0


class ControllerUnavailable(TemporaryError):
    """The controller did not answer (or failed); try again later."""


class HookRefused(PermanentError):
    """The controller refused the request; the message is its ``detail``."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status


class AccessDenied(HookRefused):
    """The user may not push to (or fetch) the app."""


class NotFound(HookRefused):
    """The key or app the builder asked about does not exist."""


#: Seconds a controller instance has to accept a connection before the next is tried.
CONNECT_PROBE = 2.0


def controller_url(etcd: Etcd) -> str:
    """Return the base URL of a controller instance that accepts connections, in random order.

    Random spreads builds over the instances; the probe passes over one whose
    host was lost while its announcement waits out its lease (up to 20 s).
    When none accepts, the first is returned and the hook call says so.
    """
    found = discover_all(etcd, "controller")
    if not found:
        raise ControllerUnavailable("the controller is not announced in etcd; is deis-controller running?")
    random.shuffle(found)
    host, port = next((address for address in found if _accepts(address)), found[0])
    return f"http://{host}:{port}"


def _accepts(address: tuple[str, int]) -> bool:
    try:
        socket.create_connection(address, timeout=CONNECT_PROBE).close()
    except OSError:
        return False
    return True


class Hooks:
    """``Hooks(url, builder_key)``: the controller's builder hooks as methods."""

    def __init__(self, url: str, builder_key: str, session: requests.Session | None = None):
        self.url = url.rstrip("/")
        self.session = session or requests.Session()
        self.session.headers[HEADER] = builder_key

    def key_owner(self, fingerprint: str) -> str:
        """Return the username owning the SSH key with ``fingerprint``."""
        return self._call("GET", f"/v1/hooks/key/{quote(fingerprint, safe=':/')}")["username"]

    def config(self, user: str, app: str) -> dict[str, str]:
        """Return the app's config values; raises :class:`AccessDenied` for a stranger."""
        body = self._call("POST", "/v1/hooks/config/", {"receive_user": user, "receive_repo": app})
        return {str(k): str(v) for k, v in (body.get("values") or {}).items()}

    def push(self, user: str, app: str, sha: str, **details: str) -> None:
        """Record a push of ``sha`` (authorizing it: owner, collaborator or admin)."""
        self._call("POST", "/v1/hooks/push/", {"receive_user": user, "receive_repo": app, "sha": sha, **details})

    def build(self, user: str, app: str, image: str, sha: str,
              procfile: dict[str, str], dockerfile: bool) -> dict[str, Any]:
        """Release and deploy ``image``; return ``{"release": {"version": N}, "domains": [...]}``."""
        payload = {"receive_user": user, "receive_repo": app, "image": image, "sha": sha,
                   "procfile": procfile, "dockerfile": "true" if dockerfile else ""}
        return self._call("POST", "/v1/hooks/build/", payload, timeout=BUILD_TIMEOUT)

    def _call(self, method: str, path: str, payload: dict | None = None, timeout: float = TIMEOUT) -> dict:
        try:
            response = self.session.request(method, self.url + path, json=payload, timeout=timeout)
        except requests.RequestException as exc:
            raise ControllerUnavailable(f"the controller at {self.url} did not answer: {exc}") from exc
        if response.status_code >= 500:
            raise ControllerUnavailable(_failure(response))
        if response.status_code >= 400:
            kind = {403: AccessDenied, 404: NotFound}.get(response.status_code, HookRefused)
            raise kind(response.status_code, _detail(response))
        return response.json() if response.content else {}


def _failure(response: requests.Response) -> str:
    """Say why a 5xx happened: a 503's own sentence, else that the controller failed and how.

    A 503 with a ``detail`` is the controller telling the user what could not be
    done (a release that failed its health check and was undone, etcd away);
    prefixing it with "the controller failed" would send them looking for a
    broken platform instead of at their app.
    """
    sentence = _sentence(response)
    if response.status_code == 503 and sentence is not None:
        return sentence
    return f"the controller failed ({response.status_code}): {_detail(response)}"


def _sentence(response: requests.Response) -> str | None:
    """Return the controller's sentence (``detail``), if the body is one."""
    try:
        body = response.json()
    except ValueError:
        return None
    return str(body["detail"]) if isinstance(body, dict) and "detail" in body else None


def _detail(response: requests.Response) -> str:
    """Return the controller's sentence (``detail``) or the body's start."""
    sentence = _sentence(response)
    if sentence is not None:
        return sentence
    try:
        return str(response.json())[:300]
    except ValueError:
        return response.text[:300]

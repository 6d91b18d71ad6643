"""The controller's settings: environment first, then etcd, then default.

``databaseUrl`` is read from ``DEIS_DATABASE_URL``, else built from what the
database component announces (``/deis/database/host``, ``port``, ``user``,
``password``, ``name``; at ``databaseHost`` when set; see :func:`database_url`); ``builderKey`` from
``DEIS_BUILDER_KEY``; ``platformDomain`` from ``/deis/platform/domain``. Every
other setting ``x`` comes from ``DEIS_CONTROLLER_X`` or ``/deis/controller/x``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from sqlalchemy import URL

from controller import validators
from deis import isolation, keys
from deis.settings import KeyReader, Setting, Settings
from registry import retention

REGISTRATION_MODES = ("enabled", "disabled", "admin_only")
#: What the database component announces under ``/deis/database/``.
DATABASE_PARTS = ("host", "port", "user", "password", "name")


def _registration_mode(text: str) -> str:
    mode = text.strip()
    if mode not in REGISTRATION_MODES:
        raise ValueError(f"{text!r} is not one of {', '.join(REGISTRATION_MODES)}")
    return mode


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(f"{text!r} is not a positive integer")
    return value


def _days(text: str) -> int:
    value = _positive_int(text)
    if value > 36500:
        raise ValueError(f"{text!r} is more than 100 years of days")
    return value


#: Bounds of ``reconcileInterval`` in seconds: often enough to matter, rarely enough to be cheap.
RECONCILE_INTERVAL_BOUNDS = (1.0, 300.0)


def _reconcile_interval(text: str) -> float:
    value = float(text)
    low, high = RECONCILE_INTERVAL_BOUNDS
    if not low <= value <= high:
        raise ValueError(f"{text!r} is not between {low:g} and {high:g} seconds")
    return value


SETTINGS = Settings("controller", [
    Setting("port", default=8000, parse=int, help="HTTP port of the API"),
    Setting("host", default="127.0.0.1",
            help=f"address announced at {keys.host('controller')}, where routers and the builder reach the API"),
    Setting("bind", default="",
            help="address gunicorn listens on; empty: the announced host (loopback on one host; "
                 "0.0.0.0 or the node's address on a cluster)"),
    Setting("workers", default=(os.cpu_count() or 1) * 2 + 1, parse=_positive_int,
            help="gunicorn worker processes (v1: 2 * CPUs + 1)"),
    Setting("databaseUrl", env="DEIS_DATABASE_URL",
            default="postgresql://deis:deis@127.0.0.1:5432/deis",
            help="SQLAlchemy URL of the PostgreSQL database"),
    Setting("databaseHost", default="",
            help="name the controller connects to instead of the database's announced host: on a cluster "
                 "the database service's name, which the platform overlay's DNS resolves to wherever its "
                 "task runs now; empty: the announced host"),
    Setting("registrationMode", default="enabled", parse=_registration_mode,
            help="who may register: enabled, disabled or admin_only"),
    Setting("minPasswordLength", default=validators.MIN_PASSWORD_LENGTH, parse=_positive_int,
            help="fewest characters a new password may have (register, passwd)"),
    Setting("builderKey", env="DEIS_BUILDER_KEY",
            help="shared secret the builder sends in X-Deis-Builder-Auth"),
    Setting("secretKey", env="DEIS_SECRET_KEY", help="secret for signing (Flask SECRET_KEY)"),
    Setting("platformDomain", key=keys.platform("domain"), env="DEIS_PLATFORM_DOMAIN",
            default="", help="domain apps are served under: <app>.<domain>"),
    Setting("subdomain", default="deis",
            help="name reserved for the platform's own routes; no app may take it"),
    Setting("pageSize", default=100, parse=_positive_int, help="default page size of lists"),
    Setting("maxBodyBytes", default=4 * 1024 * 1024, parse=_positive_int,
            help="largest request body accepted (larger answers 413)"),
    Setting("schedulerModule", default="docker",
            help="scheduler backend: docker (one engine), swarm (a Docker Swarm, through swarmManager), "
                 "or fake, for tests"),
    Setting("dockerHost", env="DOCKER_HOST", default="unix:///var/run/docker.sock",
            help="Docker engine the docker scheduler drives"),
    Setting("swarmManager", default="",
            help="Docker API of a Swarm manager the swarm scheduler drives (unix:// or tcp://); "
                 "empty: dockerHost"),
    Setting("swarmProbeImage", default="",
            help="image of the container on the Swarm manager that health probes run in (python3 and the "
                 "deis package); empty: the publisher's image"),
    Setting("appNetwork", key=keys.platform("appNetwork"), env="DEIS_APP_NETWORK", default=isolation.NETWORK,
            help="Docker network app containers join (a bridge with inter-container traffic off, "
                 "made if missing); routers reach apps on it, no port is published on the host"),
    Setting("pidsLimit", default=1024, parse=_positive_int, help="most processes in one app container"),
    Setting("stopGracePeriod", default=30.0, parse=float,
            help="seconds between SIGTERM and SIGKILL when an old container stops"),
    Setting("startTimeout", default=60.0, parse=float,
            help="seconds a new container has to answer before its deploy is aborted"),
    Setting("routerWaitTimeout", default=30.0, parse=float,
            help="seconds a deploy waits for every router to apply a route change"),
    Setting("reconcileInterval", default=10.0, parse=_reconcile_interval,
            help="seconds between two full passes of the scheduler's reconcile loop, which brings back "
                 "app containers the engine lost (1 to 300); a container's death or removal wakes it sooner"),
    Setting("runTimeout", default=1200.0, parse=float, help="seconds a 'deis run' command may take"),
    Setting("maxContainersPerType", default=100, parse=_positive_int,
            help="most containers 'deis scale' may ask for of one process type"),
    Setting("maxContainersPerApp", default=500, parse=_positive_int,
            help="most containers 'deis scale' may ask for of one app, all types together"),
    Setting("threads", default=16, parse=_positive_int,
            help="threads per gunicorn worker: each request, stream or run holds one thread, not a worker"),
    Setting("maxFollowsPerUser", default=4, parse=_positive_int,
            help="'deis logs -f' streams one user may have open at once (past it: 429)"),
    Setting("maxRunsPerUser", default=4, parse=_positive_int,
            help="'deis run' commands one user may have running at once (past it: 429)"),
    Setting("tokenLifetimeDays", default=30, parse=_days,
            help="days an API token works after 'deis login'; then 401 until the user logs in again"),
    Setting("loginFailureLimit", default=10, parse=_positive_int,
            help="failed logins per username, and per client address, that close logins for a while (429)"),
    Setting("loginFailureWindow", default=300, parse=_positive_int,
            help="seconds failed logins are counted for, and at most how long a throttled login waits"),
    Setting("imageRetention", default=retention.DEFAULT_KEEP, parse=_positive_int,
            help="images kept per app (those of its newest releases); older ones are deleted"),
])


#: PostgreSQL's port when a database named by ``databaseHost`` is not announced right now (moving).
DATABASE_PORT = "5432"


def announced_database_url(etcd: KeyReader, host: str = "") -> str | None:
    """Return the URL of the database the database component announces, if it does.

    With ``host``, that name replaces the announced address, and the URL
    needs only the credentials (kept in etcd without a lease): a process that
    starts while the database moves still gets a URL that reaches it once it
    is back.
    """
    found = {part: etcd.get(keys.component("database", part)) for part in DATABASE_PARTS}
    if host:
        found.update(host=host, port=found["port"] or DATABASE_PORT)
    if not all(found[part] for part in ("host", "port", "user", "name")):
        return None
    url = URL.create("postgresql", username=found["user"], password=found["password"] or None,
                     host=found["host"], port=int(found["port"]), database=found["name"])
    return url.render_as_string(hide_password=False)


def database_url(resolved: Settings) -> str:
    """Return the URL of the controller's database.

    ``DEIS_DATABASE_URL`` (or ``/deis/controller/databaseUrl``) wins; else the
    database component's announcement, at ``databaseHost`` when set; else the
    default (local ``deis:deis``).

    The URL is read once per process, so on a cluster it names the database
    by ``databaseHost`` rather than by its task's address: a task Swarm
    restarts on another node gets a new overlay address, and the name follows
    it, each new connection resolving it again (:func:`controller.db.make_engine`
    drops dead pooled connections).
    """
    value, source = resolved.resolve("databaseUrl")
    if source != "default" or resolved.etcd is None:
        return value
    return announced_database_url(resolved.etcd, resolved.get("databaseHost")) or value


def load(overrides: Mapping[str, Any] | None = None, etcd: KeyReader | None = None) -> Settings:
    """Return the controller settings, with ``overrides`` (by setting name) winning.

    Overrides are applied as environment variables, so they win over etcd just
    as a real environment does.
    """
    environ = dict(os.environ)
    for name, value in (overrides or {}).items():
        environ[SETTINGS.env_name(name)] = str(value)
    return SETTINGS.bind(etcd=etcd, environ=environ)

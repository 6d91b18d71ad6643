"""What the router serves, derived from a snapshot of etcd (pure).

:func:`build` turns ``{key: value}`` under ``/deis/`` into a validated
:class:`RoutingTable`. Every value that does not parse (a bad ``host:port``, a
domain with illegal characters, a certificate that does not load, a setting
out of range) is skipped and recorded in ``errors`` with its key and reason:
one bad key never takes down the routes of other apps.

A custom domain never shadows a platform hostname it does not hold: nginx
prefers an exact ``server_name`` to the ``deis.*`` and ``<app>.*`` regexes,
so ``/deis/domains/deis.<platform domain>`` would hand the controller's
traffic (logins, tokens) to an app. Such a domain is skipped, whatever the
controller or anyone else wrote to etcd.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from deis import keys, naming

SIZE = re.compile(r"^[0-9]+[kKmMgG]?\Z")
#: An nginx time: ``500ms``, ``10s``, ``20m``, ``1h`` (seconds without a unit).
NGINX_TIME = re.compile(r"^[1-9][0-9]{0,6}(ms|s|m|h)?\Z")

#: ``/deis/router/<name>`` settings: default and a validator.
ROUTER_SETTINGS: dict[str, tuple[str, Callable[[str], bool]]] = {
    "bodySize": ("1m", SIZE.match),
    "gzip": ("on", lambda v: v in {"on", "off"}),
    "defaultTimeout": ("1300", str.isdigit),
    "maxWorkerConnections": ("768", str.isdigit),
    "workerProcesses": ("auto", lambda v: v == "auto" or v.isdigit()),
    "serverTokens": ("off", lambda v: v in {"on", "off"}),
    "hsts/enabled": ("false", lambda v: v in {"true", "false"}),
    "hsts/maxAge": ("10886400", str.isdigit),
    "hsts/includeSubDomains": ("false", lambda v: v in {"true", "false"}),
    "hsts/preload": ("false", lambda v: v in {"true", "false"}),
    "enforceHTTPS": ("", lambda v: v in {"", "true", "false"}),
    "affinityArg": ("", lambda v: re.match(r"^[A-Za-z0-9_]*$", v) is not None),
    "proxyProtocol": ("false", lambda v: v in {"true", "false"}),
    "controller/whitelist": ("", lambda v: True),
    "enforceWhitelist": ("false", lambda v: v in {"true", "false"}),
    # v1's keys and send/read defaults; connect is 1.5 s, not v1's 10 s: a write sent to a cut-off host's
    # controller waited that long before nginx tried the next instance (measured on the bed: 10.3 s).
    "controller/timeout/connect": ("1500ms", NGINX_TIME.match),
    "controller/timeout/send": ("20m", NGINX_TIME.match),
    "controller/timeout/read": ("20m", NGINX_TIME.match),
    "builder/timeout/connect": ("10000", str.isdigit),
    "builder/timeout/tcp": ("1200000", str.isdigit),
    # Not in v1 (its apps waited 30 s): milliseconds an app backend has to accept a connection
    # before the request goes to the next one. On a LAN a connect takes well under 1 ms; one that
    # takes longer is a cut-off host (or a dropped SYN: 1.5 s covers Linux's first 1 s resend), and
    # until the host's routes are withdrawn every request nginx sends there waits this long.
    "app/timeout/connect": ("1500", lambda v: v.isdigit() and 0 < int(v) <= 600000),
}


@dataclass(frozen=True)
class Certificate:
    """A certificate and key pair the router serves for one name."""

    name: str
    cert: str
    key: str


@dataclass
class App:
    """One app: its backends, custom domains and whitelist."""

    id: str
    backends: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    whitelist: list[str] = field(default_factory=list)

    @property
    def upstream(self) -> str:
        """The nginx upstream name of this app."""
        return f"app-{self.id}"


@dataclass
class RoutingTable:
    """Everything the nginx configuration is rendered from."""

    apps: dict[str, App] = field(default_factory=dict)
    certs: dict[str, Certificate] = field(default_factory=dict)
    #: ``host:port`` of every announced instance: one upstream server each.
    controller: list[str] = field(default_factory=list)
    builder: list[str] = field(default_factory=list)
    platform_cert: Certificate | None = None
    settings: dict[str, str] = field(default_factory=dict)
    controller_whitelist: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def setting(self, name: str) -> str:
        """Return a router setting (validated, or its default)."""
        return self.settings.get(name, ROUTER_SETTINGS[name][0])

    def flag(self, name: str) -> bool:
        """Return a boolean router setting."""
        return self.setting(name) == "true"

    @property
    def enforce_https(self) -> bool:
        """Redirect plain HTTP to HTTPS (defaults to the HSTS setting, as in v1)."""
        value = self.setting("enforceHTTPS")
        return self.flag("hsts/enabled") if value == "" else value == "true"


def valid_address(value: str) -> bool:
    """True for ``host:port`` with an IP or hostname and a port 1-65535."""
    host, _, port = value.strip().rpartition(":")
    # len() first: int() of a 200 kB run of digits raises, and one bad value stopped every sync (T7).
    if not port.isdigit() or len(port) > 5 or not 0 < int(port) < 65536 or not host:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return bool(naming.is_hostname(host))


def shown(value: str, limit: int = 80) -> str:
    """Return ``repr(value)``, cut to ``limit`` characters when longer: a 200 kB value makes no 200 kB line."""
    return repr(value) if len(value) <= limit else f"{value[:limit]!r}... ({len(value)} characters)"


def parse_whitelist(value: str) -> tuple[list[str], list[str]]:
    """Split ``ip-or-cidr[:label],…`` into valid networks and invalid entries."""
    good, bad = [], []
    for entry in filter(None, (part.strip() for part in value.split(","))):
        address = entry.split(":", 1)[0] if entry.count(":") == 1 else entry
        try:
            good.append(str(ipaddress.ip_network(address, strict=False)))
        except ValueError:
            bad.append(entry)
    return good, bad


def build(
    snapshot: Mapping[str, str], cert_check: Callable[[str, str], str | None] = lambda cert, key: None
) -> RoutingTable:
    """Return the routing table for an etcd snapshot.

    ``cert_check(cert, key)`` returns a reason when a PEM pair is unusable
    (see :func:`router.certs.problem`); the default accepts everything.
    """
    table = RoutingTable()
    _router_settings(snapshot, table)
    _apps(snapshot, table)
    _domains(snapshot, table)
    _certs(snapshot, table, cert_check)
    _upstreams(snapshot, table)
    return table


def _under(snapshot: Mapping[str, str], prefix: str) -> dict[str, str]:
    return {keys.relative(k, prefix): v for k, v in snapshot.items() if k.startswith(prefix)}


def _router_settings(snapshot: Mapping[str, str], table: RoutingTable) -> None:
    for name, value in _under(snapshot, keys.component("router")).items():
        if name not in ROUTER_SETTINGS:
            continue
        if ROUTER_SETTINGS[name][1](value.strip()):
            table.settings[name] = value.strip()
        else:
            table.errors.append(f"{keys.component('router', name)}: invalid value {shown(value)}; using the default")
    networks, bad = parse_whitelist(table.setting("controller/whitelist"))
    table.controller_whitelist = networks
    table.errors.extend(f"{keys.component('router', 'controller/whitelist')}: invalid entry {b!r}" for b in bad)


def _apps(snapshot: Mapping[str, str], table: RoutingTable) -> None:
    for relative, value in sorted(_under(snapshot, keys.services()).items()):
        app_id, _, container = relative.partition("/")
        if not naming.is_app_id(app_id):
            table.errors.append(f"{keys.services()}{relative}: {app_id!r} is not an app id")
            continue
        app = table.apps.setdefault(app_id, App(app_id))
        if not container:
            continue
        if valid_address(value):
            app.backends.append(value.strip())
        else:
            table.errors.append(f"{keys.service(app_id, container)}: {shown(value)} is not host:port")
    for app in table.apps.values():
        whitelist = snapshot.get(keys.app_config(app.id, "DEIS_WHITELIST"), "")
        app.whitelist, bad = parse_whitelist(whitelist)
        table.errors.extend(f"{keys.app_config(app.id, 'DEIS_WHITELIST')}: invalid entry {b!r}" for b in bad)


def shadowed_holder(domain: str, app_id: str, platform_domain: str, apps: Mapping[str, App]) -> str | None:
    """Return whose platform hostname ``domain`` would take from them if routed to ``app_id``.

    Without a platform domain the nginx regexes serve ``deis.<anything>`` and
    ``<app>.<anything>``, so the domain's own parent is taken as the platform domain.
    """
    platform = platform_domain or domain.partition(".")[2]
    holder = naming.platform_hostname_holder(domain, platform, apps.__contains__)
    return holder if holder != app_id else None


def _domains(snapshot: Mapping[str, str], table: RoutingTable) -> None:
    platform_domain = snapshot.get(keys.platform("domain"), "").strip().lower()
    for name, app_id in sorted(_under(snapshot, keys.domains()).items()):
        domain = name.lower()
        if not naming.is_hostname(domain):
            table.errors.append(f"{keys.domain(name)}: {name!r} is not a valid domain name")
        elif app_id not in table.apps:
            table.errors.append(f"{keys.domain(name)}: app {app_id!r} does not exist")
        elif holder := shadowed_holder(domain, app_id, platform_domain, table.apps):
            whose = "the controller" if holder == naming.CONTROLLER_LABEL else f"the app {holder!r}"
            table.errors.append(f"{keys.domain(name)}: {domain} is the hostname of {whose}, "
                                f"not a custom domain of {app_id!r}; not routed")
        else:
            table.apps[app_id].domains.append(domain)


def _certs(snapshot: Mapping[str, str], table: RoutingTable, cert_check) -> None:
    pairs: dict[str, dict[str, str]] = {}
    for relative, value in _under(snapshot, keys.certs()).items():
        name, _, part = relative.rpartition("/")
        pairs.setdefault(name, {})[part] = value
    for name, pair in sorted(pairs.items()):
        problem = "certificate or key missing" if set(pair) < {"cert", "key"} else cert_check(pair["cert"], pair["key"])
        if not naming.is_hostname(name):
            problem = f"{name!r} is not a valid domain name"
        if problem:
            table.errors.append(f"{keys.certs()}{name}: {problem}; served without TLS")
        else:
            table.certs[name] = Certificate(name, pair["cert"], pair["key"])
    cert, key = snapshot.get(keys.component("router", "sslCert")), snapshot.get(keys.component("router", "sslKey"))
    if cert and key:
        problem = cert_check(cert, key)
        if problem:
            table.errors.append(f"{keys.component('router', 'sslCert')}: {problem}; platform HTTPS off")
        else:
            table.platform_cert = Certificate("platform", cert, key)


def _upstreams(snapshot: Mapping[str, str], table: RoutingTable) -> None:
    """Every announced instance of the controller and the builder, each once (:func:`deis.keys.addresses`)."""
    for component in ("controller", "builder"):
        servers = []
        for host, port in keys.addresses(snapshot, component):
            if valid_address(f"{host}:{port}"):
                servers.append(f"{host}:{port}")
            else:
                table.errors.append(f"{keys.component(component)}: {host}:{port!r} is not host:port")
        setattr(table, component, servers)

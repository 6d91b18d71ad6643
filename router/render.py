"""Rendering the nginx configuration from a routing table (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from router.model import RoutingTable

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("router", "templates"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so"


@dataclass(frozen=True)
class Ports:
    """The ports this router listens on."""

    http: int = 80
    https: int = 443
    builder: int = 2222
    health: int = 9090


@dataclass(frozen=True)
class NginxPaths:
    """Where nginx's files live under the router's data folder."""

    root: Path

    @property
    def conf(self) -> Path:
        return self.root / "nginx.conf"

    @property
    def pid(self) -> Path:
        return self.root / "nginx.pid"

    @property
    def error_log(self) -> Path:
        return self.root / "error.log"

    @property
    def ssl(self) -> Path:
        return self.root / "ssl"


def render(table: RoutingTable, ports: Ports, paths: NginxPaths, stream_module: str | None = STREAM_MODULE) -> str:
    """Return nginx.conf for ``table``."""
    proxy = " proxy_protocol" if table.flag("proxyProtocol") else ""
    return _TEMPLATES.get_template("nginx.conf.j2").render(
        table=table, ports=ports, paths=paths, proxy=proxy, stream_module=stream_module,
    )


def certificate_files(table: RoutingTable) -> dict[str, str]:
    """Return ``{file name: content}`` of every certificate and key the config names."""
    files = {}
    pairs = list(table.certs.values()) + ([table.platform_cert] if table.platform_cert else [])
    for pair in pairs:
        files[f"{pair.name}.crt"] = pair.cert
        files[f"{pair.name}.key"] = pair.key
    return files

"""The controller's runtime: its scheduler backend and deployer, made from settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from controller import scheduler as backends
from controller.scheduler import Scheduler
from controller.services.deploy import Deployer
from controller.services.health import HealthCheck
from controller.services.routes import EtcdRoutes, NoRoutes
from deis.etcd import Etcd
from deis.settings import Settings

#: Seconds a draining marker outlives a controller that died mid-deploy.
MARKER_TTL = 60


@dataclass
class Runtime:
    """The scheduler and the deployer that orders its calls."""

    scheduler: Scheduler
    deployer: Deployer
    run_timeout: float = 1200.0


def _backend_options(settings: Settings, name: str) -> dict[str, Any]:
    if name == "docker":
        return {"host": settings.get("dockerHost"), "pids_limit": settings.get("pidsLimit"),
                "network": settings.get("appNetwork")}
    if name == "swarm":
        return {"manager": settings.get("swarmManager") or settings.get("dockerHost"),
                "pids_limit": settings.get("pidsLimit"), "network": settings.get("appNetwork"),
                "grace": settings.get("stopGracePeriod"), "probe_image": settings.get("swarmProbeImage")}
    return {}


def from_settings(settings: Settings) -> Runtime:
    """Return the runtime the controller settings describe."""
    name = settings.get("schedulerModule")
    scheduler = backends.load(name, **_backend_options(settings, name))
    etcd = settings.etcd if isinstance(settings.etcd, Etcd) else None
    routes = EtcdRoutes(etcd, router_timeout=settings.get("routerWaitTimeout"),
                        marker_ttl=MARKER_TTL) if etcd else NoRoutes()
    health = HealthCheck(scheduler, timeout=settings.get("startTimeout"))
    deployer = Deployer(scheduler, health, routes, grace=settings.get("stopGracePeriod"))
    return Runtime(scheduler, deployer, run_timeout=settings.get("runTimeout"))

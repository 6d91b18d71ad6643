"""The HTTP layer: one blueprint per resource, thin views over ``controller.services``."""

from flask import Flask

from controller.api import (
    apps,
    auth,
    builds,
    certs,
    config,
    containers,
    domains,
    health,
    hooks,
    keys,
    logs,
    openapi,
    perms,
    releases,
    users,
)

BLUEPRINTS = (health.blueprint, auth.blueprint, users.blueprint, keys.blueprint,
              apps.blueprint, perms.blueprint, domains.blueprint, certs.blueprint, hooks.blueprint,
              logs.blueprint, openapi.blueprint)
# Config, builds (and the build hook), releases, containers/scale/restart/run: the scheduler slice.
BLUEPRINTS += (config.blueprint, builds.blueprint, releases.blueprint, containers.blueprint)


def register_blueprints(app: Flask) -> None:
    """Mount every resource's blueprint on ``app``."""
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)

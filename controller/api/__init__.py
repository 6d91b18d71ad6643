"""The HTTP layer: one blueprint per resource, thin views over ``controller.services``."""

from flask import Flask

from controller.api import apps, auth, health, keys, perms, users

BLUEPRINTS = (health.blueprint, auth.blueprint, users.blueprint, keys.blueprint,
              apps.blueprint, perms.blueprint)


def register_blueprints(app: Flask) -> None:
    """Mount every resource's blueprint on ``app``."""
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)

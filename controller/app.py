"""The Flask application factory of the controller.

``create_app()`` reads the controller settings (environment, then etcd),
migrates the database to the newest revision and mounts one blueprint per
resource. Tests pass ``test_config``: Flask config keys, plus

* ``DEIS_SETTINGS``: setting overrides by name (``{"databaseUrl": …}``),
* ``DEIS_ETCD``: an etcd endpoint to read settings from, or ``None`` for none,
* ``DEIS_MIGRATE``: ``False`` to skip the migration on start.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask

from controller import api, applog, db, settings
from controller.api import context, errors, inputs, responses, versions
from deis.etcd import Etcd, endpoint_from_env

_DEFAULT = object()


def _settings(config: Mapping[str, Any]):
    endpoint = config.get("DEIS_ETCD", _DEFAULT)
    if endpoint is _DEFAULT:
        endpoint = endpoint_from_env()
    etcd = Etcd(endpoint) if isinstance(endpoint, str) else endpoint
    return settings.load(config.get("DEIS_SETTINGS"), etcd)


def _configure(app: Flask, config: Mapping[str, Any]) -> None:
    controller_settings = _settings(config)
    app.config.update(
        SECRET_KEY=controller_settings.get("secretKey") or secrets.token_hex(32),
        MAX_CONTENT_LENGTH=controller_settings.get("maxBodyBytes"),
    )
    app.config.update({k: v for k, v in config.items() if not k.startswith("DEIS_")})
    app.extensions["deis.settings"] = controller_settings


def _connect(app: Flask, config: Mapping[str, Any]) -> None:
    url = settings.database_url(app.extensions["deis.settings"])
    if config.get("DEIS_MIGRATE", True):
        db.migrate(url)
    app.extensions["deis.db"] = db.Database(url)
    app.teardown_appcontext(context.close_session)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Return the controller's WSGI application."""
    config = dict(test_config or {})
    app = Flask(__name__, static_folder=None)
    app.url_map.strict_slashes = False
    _configure(app, config)
    _connect(app, config)
    app.before_request(versions.check_client_version)
    app.before_request(inputs.refuse_nul_in_url)
    app.after_request(responses.finish)
    errors.register(app)
    api.register_blueprints(app)
    applog.install(app.extensions["deis.settings"].etcd)
    return app

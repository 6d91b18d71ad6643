"""The controller's scheduler runtime, made once per application from its settings."""

from flask import current_app

from controller.api import context
from controller.services import runtime as runtimes
from controller.services.runtime import Runtime

_KEY = "deis.runtime"


def runtime() -> Runtime:
    """Return the app's :class:`Runtime` (tests may put their own in ``app.extensions``)."""
    extensions = current_app.extensions
    if _KEY not in extensions:
        extensions[_KEY] = runtimes.from_settings(context.settings())
    return extensions[_KEY]

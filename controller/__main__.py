"""Entry point of ``deis-controller``."""

import logging
import sys

from deis import daemon
from deis.errors import DeisError


def main() -> None:
    """Serve the API (see :mod:`controller.server`); exit 1 with a sentence on failure."""
    daemon.prepare("controller")  # gunicorn's arbiter installs its own signal handlers
    # Alembic announces each of its plugins at import; that is not news to anyone.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    from controller import server  # after logging is set up: imports log

    try:
        server.run()
    except DeisError as exc:
        sys.exit(f"deis-controller: {exc}")


if __name__ == "__main__":
    main()

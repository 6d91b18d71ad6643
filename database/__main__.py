"""Entry point of ``deis-database``."""

import sys

from deis import daemon
from deis.errors import DeisError


def main() -> None:
    """Run PostgreSQL for the controller (see :mod:`database.server`)."""
    stop = daemon.begin("database")
    from database import server  # after logging is set up: imports log

    try:
        sys.exit(server.run(stop))
    except DeisError as exc:
        sys.exit(f"deis-database: {exc}")


if __name__ == "__main__":
    main()

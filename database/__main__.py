"""Entry point of ``deis-database``."""

import sys

from deis import filemodes, logconfig
from deis.errors import DeisError


def main() -> None:
    """Run PostgreSQL for the controller (see :mod:`database.server`)."""
    filemodes.private_umask()
    logconfig.configure("database")
    from database import server

    try:
        sys.exit(server.run())
    except DeisError as exc:
        sys.exit(f"deis-database: {exc}")


if __name__ == "__main__":
    main()

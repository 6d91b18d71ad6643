"""Entry point of ``deis-publisher``."""

import sys

#: The issue that builds this component.
ISSUE = 5


def main() -> None:
    """Refuse to run: this component is not built yet."""
    sys.exit(f"deis-publisher is not built yet (issue #{ISSUE}); nothing was started")


if __name__ == "__main__":
    main()

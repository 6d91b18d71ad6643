"""Entry point of ``deis-logspout``."""

import sys

#: The issue that builds this component.
ISSUE = 6


def main() -> None:
    """Refuse to run: this component is not built yet."""
    sys.exit(f"deis-logspout is not built yet (issue #{ISSUE}); nothing was started")


if __name__ == "__main__":
    main()

"""Entry point of ``deis-controller``."""

import sys

#: The issue that builds this component.
ISSUE = 3


def main() -> None:
    """Refuse to run: this component is not built yet."""
    sys.exit(f"deis-controller is not built yet (issue #{ISSUE}); nothing was started")


if __name__ == "__main__":
    main()

"""Entry point of ``deis-registry``."""

import sys

#: The issue that builds this component.
ISSUE = 4


def main() -> None:
    """Refuse to run: this component is not built yet."""
    sys.exit(f"deis-registry is not built yet (issue #{ISSUE}); nothing was started")


if __name__ == "__main__":
    main()

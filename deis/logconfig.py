"""Logging setup shared by every component.

Components log to standard error, one line per record, prefixed with the
component name; the supervisor (deisctl locally, systemd/fleet on a cluster)
keeps that stream as the component's journal (``deisctl journal <component>``).
"""

from __future__ import annotations

import logging
import os
import sys

FORMAT = "%(asctime)s %(levelname)s deis-{component} %(name)s: %(message)s"


def configure(component: str, level: str | None = None) -> None:
    """Send log records to standard error at ``DEIS_LOG_LEVEL`` (default INFO)."""
    level_name = (level or os.environ.get("DEIS_LOG_LEVEL", "INFO")).upper()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT.format(component=component)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level_name, logging.INFO))
    # requests/urllib3 chatter about every connection drowns the useful lines.
    logging.getLogger("urllib3").setLevel(logging.WARNING)

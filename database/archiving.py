"""PostgreSQL's side of continuous archiving: server settings, the archiver's environment, status.

The commands are the only shell strings PostgreSQL gets from us, and they
hold no user data: the interpreter's path (quoted) and PostgreSQL's own
``%p``/``%f`` placeholders, which it fills with WAL file names.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

#: Variables the archiver may need to reach the store; copied from our environment when set.
PASSED_ON = ("DEIS_ETCD", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "DEIS_DATA_DIR")


def command(*args: str) -> str:
    """Return ``<python> -m database.wal <args>`` as a shell string (pure)."""
    return " ".join([shlex.quote(sys.executable), "-m", "database.wal", *args])


def server_options(archive_timeout: int, restoring: bool) -> tuple[tuple[str, str], ...]:
    """Return the ``-c`` settings for archiving; while restoring, no connections before replay ends."""
    options = [
        ("archive_mode", "on"),
        ("archive_command", command("push", "%p", "%f")),
        ("archive_timeout", str(archive_timeout)),
        ("restore_command", command("fetch", "%f", "%p")),
    ]
    if restoring:
        options.append(("hot_standby", "off"))
    return tuple(options)


def archiver_environment(store_url: str, environ=os.environ) -> dict[str, str]:
    """Return what the archive and restore commands need: the store URL (and its credentials)."""
    passed = {name: environ[name] for name in PASSED_ON if environ.get(name)}
    package_root = str(Path(__file__).resolve().parent.parent)
    return {**passed, "DEIS_DATABASE_STOREURL": store_url, "PYTHONPATH": package_root}


STATUS_SQL = ("SELECT json_build_object('archived', archived_count, 'failed', failed_count, "
              "'lastArchived', last_archived_wal, 'lastFailed', last_failed_wal, "
              "'lastFailedTime', last_failed_time) FROM pg_stat_archiver")


def status(cluster) -> dict:
    """Return archiving counters and how many segments wait (``.ready`` files)."""
    counters = json.loads(cluster.query(STATUS_SQL))
    ready = cluster.data / "pg_wal" / "archive_status"
    counters["waiting"] = sum(1 for path in ready.glob("*.ready"))
    return counters

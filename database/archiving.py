"""PostgreSQL's side of continuous archiving: server settings, the archiver's environment, status.

The commands are the only shell strings PostgreSQL gets from us, and they
hold no user data: the interpreter's path (quoted) and PostgreSQL's own
``%p``/``%f`` placeholders, which it fills with WAL file names.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import sys
from pathlib import Path
from urllib.parse import urlsplit

from database import segments
from database.postgres import PostgresError

log = logging.getLogger(__name__)

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
    return {**passed, **gateway_keys(store_url, passed), "DEIS_DATABASE_STOREURL": store_url,
            "PYTHONPATH": package_root}


def gateway_keys(store_url: str, passed: dict[str, str]) -> dict[str, str]:
    """Return the S3 keys of an ``s3://`` store as ``AWS_*`` variables, when etcd holds them.

    The archiver runs as ``postgres``, which has no etcd password (etcd holds
    every platform secret; see :mod:`deis.etcdauth`), so it gets the one
    secret it needs, the store's keys, from us.
    """
    if urlsplit(store_url).scheme != "s3" or ("AWS_ACCESS_KEY_ID" in passed and "AWS_SECRET_ACCESS_KEY" in passed):
        return {}
    from store.s3 import gateway_from_etcd

    found = gateway_from_etcd()
    if not ("access" in found and "secret" in found):
        return {}
    return {"AWS_ACCESS_KEY_ID": found["access"], "AWS_SECRET_ACCESS_KEY": found["secret"]}


STATUS_SQL = ("SELECT json_build_object('archived', archived_count, 'failed', failed_count, "
              "'lastArchived', last_archived_wal, 'lastFailed', last_failed_wal, "
              "'lastFailedTime', last_failed_time) FROM pg_stat_archiver")


def status(cluster) -> dict:
    """Return archiving counters and how many segments wait (``.ready`` files)."""
    counters = json.loads(cluster.query(STATUS_SQL))
    counters["waiting"] = len(waiting_files(cluster))
    return counters


def waiting_files(cluster) -> list[str]:
    """Return the WAL files PostgreSQL has finished and not yet archived (its ``.ready`` markers)."""
    ready = cluster.data / "pg_wal" / "archive_status"
    return sorted(path.name.removesuffix(".ready") for path in ready.glob("*.ready"))


def waiting_segments(cluster) -> list[str]:
    """Return :func:`waiting_files` that are WAL segments (not history or backup labels)."""
    return [name for name in waiting_files(cluster) if segments.is_segment(name)]


def insert_lsn(cluster) -> int:
    """Return the LSN the server writes next."""
    return segments.parse_lsn(cluster.query("SELECT pg_current_wal_insert_lsn()"))


def commit_count(cluster) -> int:
    """Return the commits counted in every database but ``postgres`` (where our own probes run)."""
    return int(cluster.query("SELECT coalesce(sum(xact_commit), 0) FROM pg_stat_database "
                             "WHERE datname <> 'postgres'"))


def segment_size(cluster) -> int:
    """Return the cluster's WAL segment size in bytes."""
    return int(cluster.query("SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'"))


def wake_checkpointer(cluster) -> None:
    """Run a checkpoint, so that ``archive_timeout`` is in force from now on.

    After a start from a clean shutdown, PostgreSQL's checkpointer computed
    its first sleep while the server still counted as recovering, when
    ``archive_timeout`` is ignored: it sleeps a whole ``checkpoint_timeout``
    (5 min) and no segment is switched before then (measured here: a commit
    archived 39 s after it with ``checkpoint_timeout=40``, 4 s once a
    checkpoint had woken it). A checkpoint request wakes it, and on a
    freshly started cluster a checkpoint has almost nothing to write.
    """
    try:
        cluster.query("CHECKPOINT")
    except PostgresError as exc:  # the maintenance thread's watch still bounds the window
        log.warning("could not run a checkpoint after the start: %s", exc)


def switch_segment(cluster) -> str:
    """Close the segment being written so that it is archived now; return its end LSN."""
    return cluster.query("SELECT pg_switch_wal()")

"""The rules of an app's config (reference §2.3), with Deis v1's messages; pure.

A config POST carries any of ``values``, ``memory``, ``cpu`` and ``tags``,
each an object whose ``null`` entries unset a key. Each posted object is
validated, then merged over the previous config's object.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from controller.errors import FieldErrors
from controller.numbers import quoted, whole_number

FIELDS = ("values", "memory", "cpu", "tags")

CONFIG_KEY = re.compile(r"^[a-z_]+[a-z0-9_]*\Z", re.IGNORECASE)  # \Z: "$" lets "KEY\n" in
#: A process type named in limits: the whole key, not a prefix (v1 matched "^[a-z]+" and took "web;rm -rf /").
PROCESS_TYPE = re.compile(r"^[a-z][a-z0-9-]*\Z")
MEMORY_LIMIT = re.compile(r"^([0-9]+)(MB|KB|GB|[BKMG])\Z", re.IGNORECASE)
TAG_KEY = re.compile(r"^[a-z]+\Z", re.IGNORECASE)
TAG_VALUE = re.compile(r"^\w+\Z")
MAX_CPU_SHARES = 1024
#: Most keys one field of an app's config may hold: every key is an environment variable of
#: every container and a line of every 'deis config', and 10,000 in one request made a slow 201.
MAX_KEYS = 1000
_UNITS = {"B": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}
#: Docker refuses a memory limit below 6 MiB; above 1 TiB is a typo, not a plan.
MIN_MEMORY, MAX_MEMORY = 6 * _UNITS["M"], 1024 * _UNITS["G"]
#: Seconds the health check of a deploy may be told to wait: ``(default, most)`` per key.
#: The probe timeout is bounded by the deploy's own start timeout (60 s by default);
#: the initial delay holds the app's lock while it sleeps, so it is bounded too.
HEALTHCHECK_SECONDS = {"HEALTHCHECK_TIMEOUT": (1.0, 60.0), "HEALTHCHECK_INITIAL_DELAY": (0.0, 300.0)}
#: The app's own stop grace: seconds between SIGTERM and SIGKILL when one of its containers
#: stops (deploy, scale-down, restart, destroy). Deis Workflow's name for it, so an app's
#: config carries over; Deis v1 had none (Docker's 10 s, then the platform's 30 s).
STOP_GRACE = "KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS"
#: Whole seconds the stop grace may be: a stop holds the app's lock and the deploy's request.
STOP_GRACE_SECONDS = (1, 300)


def healthcheck_seconds(key: str, text: Any) -> float | None:
    """Return the seconds ``text`` sets for ``HEALTHCHECK_TIMEOUT``/``_INITIAL_DELAY``, ``None`` when invalid.

    Empty means the default. Valid is a finite number from 0 to the key's most.
    """
    default, most = HEALTHCHECK_SECONDS[key]
    if text is None or str(text).strip() == "":
        return default
    try:
        seconds = float(str(text))
    except ValueError:
        return None
    return seconds if 0.0 <= seconds <= most else None  # NaN fails both comparisons


def stop_grace(values: Mapping[str, Any], default: float) -> float:
    """Return the seconds of grace ``values`` (an app's config) sets for a stop, else ``default``.

    A value stored before validation bounded it reads as ``default``, never as a week.
    """
    seconds = whole_number(str(values.get(STOP_GRACE, "")).strip())
    least, most = STOP_GRACE_SECONDS
    return float(seconds) if seconds is not None and least <= seconds <= most else default


def _check_value(key: str, value: Any) -> str | None:
    if not CONFIG_KEY.match(key):
        return "Config keys must start with a letter or underscore and only contain [A-z0-9_]"
    if key in HEALTHCHECK_SECONDS and healthcheck_seconds(key, value) is None:
        return f"{key} must be a number of seconds from 0 to {HEALTHCHECK_SECONDS[key][1]:g}"
    if key == STOP_GRACE and stop_grace({key: value}, 0.0) == 0.0:
        least, most = STOP_GRACE_SECONDS
        return (f"{key} must be a whole number of seconds from {least} to {most} (the time a container "
                f"gets between SIGTERM and SIGKILL), not {quoted(value)}")
    return None


def _check_memory(key: str, value: Any) -> str | None:
    if not PROCESS_TYPE.match(key):
        return "Process types can only contain [a-z]"
    match = MEMORY_LIMIT.match(str(value))
    if not match:
        return "Limit format: <number><unit>, where unit = B, K, M or G"
    number = whole_number(match[1])
    if not MIN_MEMORY <= number * _UNITS[match[2][0].upper()] <= MAX_MEMORY:
        return "Memory limits must be between 6M and 1024G"
    return None


def _check_cpu(key: str, value: Any) -> str | None:
    if not PROCESS_TYPE.match(key):
        return "Process types can only contain [a-z]"
    shares = whole_number(value if isinstance(value, int) else str(value))
    if shares is None:
        return "CPU shares must be an integer"
    if shares > MAX_CPU_SHARES:
        return f"CPU shares must be between 0 and {MAX_CPU_SHARES}"
    return None


def _check_tag(key: str, value: Any) -> str | None:
    if not TAG_KEY.match(key):
        return "Tag keys can only contain [a-z]"
    if not TAG_VALUE.match(str(value)):
        return "Invalid tag value"
    return None


_CHECKS = {"values": _check_value, "memory": _check_memory, "cpu": _check_cpu, "tags": _check_tag}


def _clean(value: Any) -> Any:
    # v1 stored every value as a string; null survives to mean "unset".
    return None if value is None else str(value)


def validate(data: Mapping[str, Any]) -> dict[str, dict[str, str | None]]:
    """Return the posted config fields, cleaned, or raise :class:`FieldErrors`."""
    changes: dict[str, dict[str, str | None]] = {}
    errors: dict[str, str] = {}
    for field in FIELDS:
        posted = data.get(field)
        if posted is None:
            continue
        if not isinstance(posted, dict):
            errors[field] = f'{field} must be a JSON object, e.g. {{"KEY": "value"}}'
            continue
        if len(posted) > MAX_KEYS:
            errors[field] = too_many(field, len(posted))
            continue
        problems = [p for p in (_CHECKS[field](str(k), v) for k, v in posted.items() if v is not None) if p]
        if problems:
            errors[field] = problems[0]
        changes[field] = {str(k): _clean(v) for k, v in posted.items()}
    if errors:
        raise FieldErrors(errors)
    return changes


def too_many(field: str, count: int) -> str:
    """Return the message refusing ``count`` keys in ``field``."""
    return (f"{field} may hold at most {MAX_KEYS} keys, not {count}; "
            "unset some first ('deis config:unset <KEY>...')")


def check_sizes(config: Mapping[str, Mapping[str, Any]]) -> None:
    """Raise :class:`FieldErrors` when a merged field holds more than :data:`MAX_KEYS` keys."""
    errors = {field: too_many(field, len(value)) for field, value in config.items() if len(value) > MAX_KEYS}
    if errors:
        raise FieldErrors(errors)


def merge(old: Mapping[str, Any], changes: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return ``old`` updated with ``changes``; a ``None`` change deletes the key."""
    merged = dict(old)
    for key, value in (changes or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def memory_bytes(limit: str) -> int:
    """Return a limit such as ``512M`` or ``1GB`` in bytes."""
    match = MEMORY_LIMIT.match(limit)
    if not match:
        raise ValueError(f"{limit!r} is not a memory limit such as 512M")
    return int(match[1]) * _UNITS[match[2][0].upper()]

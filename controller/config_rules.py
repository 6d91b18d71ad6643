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

FIELDS = ("values", "memory", "cpu", "tags")

CONFIG_KEY = re.compile(r"^[a-z_]+[a-z0-9_]*$", re.IGNORECASE)
PROCESS_TYPE = re.compile(r"^[a-z]+")
MEMORY_LIMIT = re.compile(r"^([0-9]+)(MB|KB|GB|[BKMG])$", re.IGNORECASE)
CPU_SHARES = re.compile(r"^[0-9]+$")
TAG_KEY = re.compile(r"^[a-z]+$", re.IGNORECASE)
TAG_VALUE = re.compile(r"^\w+$")
MAX_CPU_SHARES = 1024
_UNITS = {"B": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}


def _check_value(key: str, value: Any) -> str | None:
    if not CONFIG_KEY.match(key):
        return "Config keys must start with a letter or underscore and only contain [A-z0-9_]"
    return None


def _check_memory(key: str, value: Any) -> str | None:
    if not PROCESS_TYPE.match(key):
        return "Process types can only contain [a-z]"
    if not MEMORY_LIMIT.match(str(value)):
        return "Limit format: <number><unit>, where unit = B, K, M or G"
    return None


def _check_cpu(key: str, value: Any) -> str | None:
    if not PROCESS_TYPE.match(key):
        return "Process types can only contain [a-z]"
    if isinstance(value, bool) or not CPU_SHARES.match(str(value)):
        return "CPU shares must be an integer"
    if int(value) > MAX_CPU_SHARES:
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
        problems = [p for p in (_CHECKS[field](str(k), v) for k, v in posted.items() if v is not None) if p]
        if problems:
            errors[field] = problems[0]
        changes[field] = {str(k): _clean(v) for k, v in posted.items()}
    if errors:
        raise FieldErrors(errors)
    return changes


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

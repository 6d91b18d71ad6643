"""WAL segment names and their arithmetic (pure): which names are segments, what follows one, where it starts.

A segment file is named by 24 hex digits: timeline, log id ``X`` and segment
``Y``; it holds the LSNs from ``X * 2**32 + Y * segment_size``. The read-ahead,
the loss-window watch and the timeline check all reckon with these rules, so
they live here, below every module that uses them.
"""

from __future__ import annotations

#: PostgreSQL's default segment size; backups name their first segment in it.
SEGMENT_SIZE = 16 * 1024 * 1024
#: Segments per log file id with PostgreSQL's default 16 MiB segments.
SEGMENTS_PER_ID = 0x100


def is_segment(name: str) -> bool:
    """True for a WAL segment name (24 hex digits), not a history or backup label file."""
    return len(name) == 24 and all(c in "0123456789ABCDEF" for c in name)


def following(name: str, count: int) -> list[str]:
    """Return the ``count`` segment names after ``name`` on its timeline."""
    timeline, position = name[:8], int(name[8:16], 16) * SEGMENTS_PER_ID + int(name[16:24], 16)
    return [f"{timeline}{n // SEGMENTS_PER_ID:08X}{n % SEGMENTS_PER_ID:08X}"
            for n in range(position + 1, position + 1 + count)]


def parse_lsn(text: str) -> int:
    """Return the LSN ``'0/3000060'`` as a number."""
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) | int(low, 16)


def segment_start(name: str, segment_size: int) -> int:
    """Return the first LSN of WAL segment file ``name`` (24 hex digits)."""
    log, seg = int(name[8:16], 16), int(name[16:24], 16)
    return (log << 32) + seg * segment_size


def start_of_segment_holding(lsn: int, segment_size: int) -> int:
    """Return the first LSN of the segment ``lsn`` falls in."""
    return lsn - lsn % segment_size

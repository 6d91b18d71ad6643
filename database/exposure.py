"""How long written WAL has waited to reach the store: the database's loss window, watched.

The README promises that a commit is in the store at most ``archiveTimeout``
(plus the upload) after it is made. PostgreSQL's ``archive_timeout`` is the
mechanism, but it can be defeated: on a start from a clean shutdown its
checkpointer computes its first sleep while the server still counts as
recovering, ignores ``archive_timeout`` and sleeps a whole
``checkpoint_timeout`` (5 min) — the hole of the database issue. So the
promise is watched, not assumed: every tick the maintenance thread notes, for
each WAL segment not yet archived, when it first saw WAL written into it;
the oldest such moment is the exposure that ``deisctl status`` shows, and if
the segment being written has held WAL for longer than ``archiveTimeout`` plus
a grace, the watcher switches it (``pg_switch_wal()``) itself.

Segment arithmetic is PostgreSQL's: the file ``TTTTTTTTXXXXXXXXYYYYYYYY``
holds the LSNs from ``X * 2**32 + Y * segment_size``. Pure, except
:meth:`ExposureWatch.tick`'s caller, which reads the server.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from database.segments import segment_start, start_of_segment_holding

#: Seconds past ``archiveTimeout`` before the watcher switches the segment itself.
GRACE = 5.0


@dataclass
class ExposureWatch:
    """First-seen times of the WAL segments that hold unarchived WAL (one per cluster)."""

    segment_size: int
    first_seen: dict[int, float] = field(default_factory=dict)

    def tick(self, now: float, insert_lsn: int, waiting: list[str], committed: bool = True) -> float:
        """Record what is unarchived now; return the age in seconds of the oldest unarchived write.

        ``insert_lsn`` is where the server writes next, ``waiting`` the
        segment files PostgreSQL has finished but not yet archived (its
        ``.ready`` files). WAL before the oldest of those, or before the
        current segment when none waits, is archived. ``committed`` says
        whether any commit happened since the previous look.
        """
        current = start_of_segment_holding(insert_lsn, self.segment_size)
        pending = {segment_start(name, self.segment_size) for name in waiting}
        if insert_lsn > current and (committed or current in self.first_seen):
            # The open segment counts from the first look after a commit: PostgreSQL's own
            # snapshots and checkpoints are no commits, and archive_timeout does not switch for them.
            pending.add(current)
        self.first_seen = {start: self.first_seen.get(start, now) for start in pending}
        return now - min(self.first_seen.values()) if self.first_seen else 0.0

    def overdue(self, now: float, insert_lsn: int, waiting: list[str], archive_timeout: float) -> bool:
        """True when only the segment being written is unarchived and it is past ``archive_timeout``.

        Switching it then closes the window; when finished segments are still
        waiting, the store is the problem and a switch would not help.
        """
        current = start_of_segment_holding(insert_lsn, self.segment_size)
        if waiting or current not in self.first_seen:
            return False
        return now - self.first_seen[current] > archive_timeout + GRACE

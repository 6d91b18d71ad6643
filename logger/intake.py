"""From received frames to stored lines: decode, attribute, quarantine, store, drain."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from deis import syslog
from logger.logbook import PLATFORM, Logbook
from store import StoreError

log = logging.getLogger(__name__)

#: How much of an unreadable frame is kept in the platform log.
QUARANTINE_BYTES = 4096


class Intake:
    """Turns frames from any listener into stored lines."""

    def __init__(self, logbook: Logbook, drain=None):
        self.logbook = logbook
        self.drain = drain

    def receive(self, frames: list[bytes], peer: str) -> None:
        """Decode and store ``frames``; unreadable ones go to the platform log."""
        messages = [self._decode(frame, peer) for frame in frames]
        self.logbook.stats["received"] += len(frames)
        try:
            self.logbook.record(messages)
        except StoreError as exc:
            log.error("could not store %d lines from %s: %s; they are not acknowledged, so the sender "
                      "sends them again", len(messages), peer, exc)
            self.logbook.stats["failed"] += len(messages)
            raise
        except Exception:
            # One failing log must not stop the listener that feeds all apps.
            log.exception("could not store %d lines from %s", len(messages), peer)
            self.logbook.stats["failed"] += len(messages)
            raise
        if self.drain is not None:
            self.drain.send(messages)

    def reject(self, peer: str, reason: str) -> None:
        """Record in the platform log that a sender broke the protocol."""
        log.warning("%s: %s", peer, reason)
        self.logbook.stats["rejected"] += 1
        self.logbook.record([notice(f"{peer}: {reason}")])

    def _decode(self, frame: bytes, peer: str) -> syslog.Message:
        try:
            return syslog.decode(frame)
        except syslog.SyslogError as exc:
            self.logbook.stats["unattributed"] += 1
            raw = frame[:QUARANTINE_BYTES].decode("utf-8", syslog.ERRORS)
            return notice(f"unattributed line from {peer} ({exc}): {raw}")


def notice(text: str) -> syslog.Message:
    """Return a line of the logger's own for the platform log."""
    return syslog.Message(PLATFORM, "logger", text, datetime.now(UTC))

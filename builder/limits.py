"""What one build may use: memory, processes and time (issue 12, item 10).

Build containers run code a tenant pushed, so they are hardened like app
containers (:func:`deis.hardening.hardening`: no capabilities,
``no-new-privileges``, a PID limit) and get a memory limit (``buildMemory``,
swap included) and a time limit (``buildTimeout``) on top. The time limit
covers the whole image build of a push: when it passes, ``SIGALRM`` interrupts
whatever the hook is waiting for (the compile container's output, the engine's
build stream), the compile container is removed on the way out, and the
engine cancels a ``docker build`` whose client went away.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from dataclasses import dataclass

from builder.settings import human_size
from deis.errors import PermanentError
from deis.hardening import DEFAULT_PIDS_LIMIT, hardening

#: Exit status of a process killed by SIGKILL, which is how the kernel's OOM killer ends one.
KILLED = 137


class BuildTimeout(PermanentError):
    """The build ran past ``buildTimeout``."""


class _Expired(BaseException):  # noqa: N818 - private, never leaves deadline()
    """Raised by the alarm; a BaseException so no library's ``except Exception`` swallows it."""


@dataclass(frozen=True)
class Limits:
    """The memory (bytes), time (seconds) and process limits of one build."""

    memory: int = 2 << 30
    timeout: int = 1800
    pids: int = DEFAULT_PIDS_LIMIT

    def host_config(self) -> dict:
        """Return the ``create_host_config`` options of a build container."""
        return {**hardening(self.pids), "mem_limit": self.memory, "memswap_limit": self.memory}

    def container_limits(self) -> dict:
        """Return ``docker build``'s ``container_limits`` (applied to each ``RUN`` step)."""
        return {"memory": self.memory, "memswap": self.memory}

    def out_of_memory(self) -> str:
        """Return the one line that says a build hit ``buildMemory`` and how to raise it."""
        return (f"the build ran out of memory (buildMemory is {human_size(self.memory)}); raise it with "
                "'deisctl config builder set buildMemory=4g'")

    def too_long(self) -> str:
        """Return the one line that says a build hit ``buildTimeout`` and how to raise it."""
        return (f"the build took longer than {self.timeout} s (buildTimeout) and was stopped; "
                "raise it with 'deisctl config builder set buildTimeout=<seconds>'")

    @contextlib.contextmanager
    def deadline(self) -> Iterator[None]:
        """Raise :class:`BuildTimeout` when the body runs past ``timeout`` (main thread only)."""
        def expire(signum, frame):
            raise _Expired()

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, self.timeout)
        try:
            yield
        except _Expired:
            raise BuildTimeout(self.too_long()) from None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

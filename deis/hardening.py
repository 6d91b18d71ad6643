"""How every container that runs tenant code is hardened (reliability plan T18).

App containers (the controller's docker scheduler) and build containers (the
builder's buildpack compile) run code a tenant pushed, so both get the same
options: every capability dropped, ``no-new-privileges`` (setuid binaries
cannot regain what was dropped), a PID limit so a fork bomb cannot starve the
host, and never privileged. The keys are those of the Docker SDK's
``containers.create`` and ``APIClient.create_host_config`` alike.
"""

from __future__ import annotations

#: Processes per container; a fork bomb in one app must not starve the host.
DEFAULT_PIDS_LIMIT = 1024


def hardening(pids_limit: int = DEFAULT_PIDS_LIMIT) -> dict:
    """Return the Docker options every tenant container is created with."""
    return {
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "pids_limit": pids_limit,
        "privileged": False,
    }

"""Losing a host of the platform's cluster under load (issue 18, T22): what fails, for how long, what is kept.

From no Swarm the real ``deisctl`` bootstraps the bed's 3 hosts (3 managers;
h1 out of the router mesh; default Swarm heartbeat, 5 s) and starts the
platform; a person pushes an app and scales it to 3. Then, under ~50 rps to
the app through one router and a loop of authenticated writes against the API
(``POST /v1/keys/``, each acknowledged write's time recorded), the host
running a controller replica and a router — the database's, when it runs on
one of those — is cut off (:meth:`Testbed.partition`). Measured and printed:

* the app's failed requests through the other router, and the window they fell in;
* how long the API took to acknowledge a write again (a database on the cut
  host: Swarm moving it + its restore from the store);
* whether every write acknowledged more than ``archiveTimeout`` before the cut
  is still there (set to 10 s here; v1's 60 s is the default);
* whether every line ``deis logs`` showed just before the cut is still there;
* how long ``git push`` takes afterwards, through the surviving router;
* that a rollback to the image built before the cut, its name removed from
  the survivors' engines first, runs 3 tasks: each node pulls it from its own
  registry (an image named after the cut node's registry could not be pulled);
* after the heal, how long until the host's global tasks run on it again,
  with no hand work.

Only bed addresses are contacted, each after ``require_bed_route``.
"""

from __future__ import annotations

import time

import pytest
import requests

from deis import keys
from tests.cluster import scenario
from tests.cluster.load import (
    Load,
    Writes,
    log_lines,
    push_until_it_works,
    seconds,
    token,
    wait,
    wait_until_clean,
    window,
)
from tests.cluster.platform import journals

# Setup, the cut, a push, a rollback and the heal take over the 300 s pytest-timeout gives by default.
pytestmark = [pytest.mark.multihost, pytest.mark.timeout(900)]

#: The database's archiveTimeout for this test: a crash loses at most this much of acknowledged writes.
ARCHIVE_TIMEOUT = 10


@pytest.mark.parametrize("target", ["controller", "database"])
def test_the_host_of_a_controller_or_of_the_database_is_cut_off_under_load(bare, tmp_path, target):
    bed, data = bare, tmp_path / "deis"
    scenario.start_platform(bed, data, {keys.component("database", "archiveTimeout"): str(ARCHIVE_TIMEOUT)})
    placed = scenario.placement(bed)
    victim = bed.host(scenario.victim(placed, target))
    survivor = bed.host(scenario.survivor(placed, victim.name))
    scenario.wait_for_api(data, survivor)
    deployed = scenario.app_of_three(bed, tmp_path, survivor)
    alice, app = deployed.person, deployed.app

    load, writes = Load(survivor.ip, app), Writes(survivor.ip, token(survivor.ip, deployed.user))
    threads = [*load.run(), writes.run()]
    time.sleep(ARCHIVE_TIMEOUT + 10)  # writes old enough to be archived when the host goes
    logged_before = log_lines(alice, app)
    built_before = scenario.app_image(bed, app)
    cut = time.monotonic()
    bed.partition(victim)
    try:
        api_back = wait(lambda: writes.first_after(cut + 1), 300)
        app_clean = wait_until_clean(load, cut, 120)
        scenario.commit(deployed, "after the cut")
        pushed, push_back, push_tries = push_until_it_works(alice, deployed.repo, survivor.ip, app, cut + 180)
        rolled_back = scenario.rollback_pulls(bed, victim, deployed, built_before) if pushed.returncode == 0 else None
        try:
            stored = writes.stored()  # before the heal: the cut-off database serves until Swarm stops it
            logged_after = log_lines(alice, app, retry_for=120)  # the logger may be moving
        except (requests.RequestException, AssertionError):
            stored, logged_after = set(), []  # the API is not back: every old write and line counts as lost
    finally:
        load.stop.set()
        writes.stop.set()
        for thread in threads:
            thread.join(20)
        healed = time.monotonic()
        bed.heal(victim)

    failures = load.failures(cut)
    before = [at for at, _ in load.outcomes if at < cut]
    old_writes = {name for name, at in writes.acknowledged.items() if at < cut - ARCHIVE_TIMEOUT}
    recent = {name for name, at in writes.acknowledged.items() if cut - ARCHIVE_TIMEOUT <= at < cut}
    lost_lines = sorted(set(logged_before) - set(logged_after))
    ran = ", ".join(c for c, hosts in placed.items() if victim.name in hosts)
    print(f"\nfailover ({target}): cut {victim.name} (ran {ran}); "
          f"load through {survivor.name}'s router: {len(load.outcomes)} requests, {len(failures)} failed after the "
          f"cut ({len(before)} before it), failures {window(failures, cut)}; app 100 % again "
          f"{seconds(app_clean, cut)} after the cut; API acknowledged a write again {seconds(api_back, cut)} after "
          f"the cut ({writes.refused} writes refused or unanswered); writes acknowledged > {ARCHIVE_TIMEOUT} s before "
          f"the cut: {len(old_writes & stored)}/{len(old_writes)} kept, in the last {ARCHIVE_TIMEOUT} s: "
          f"{len(recent & stored)}/{len(recent)} kept; log lines from before the cut kept: "
          f"{len(logged_before) - len(lost_lines)}/{len(logged_before)}; git push works again "
          f"{seconds(push_back, cut)} after the cut ({push_tries} tries); a rollback to the image built before the "
          f"cut ({built_before}), untagged on the survivors, ran 3 tasks {seconds(rolled_back, cut)} after the cut; "
          f"placement before {placed}")
    rejoined = wait(lambda: scenario.rejoined(bed, victim.name, placed, survivor.name), 180)
    print(f"failover ({target}): {victim.name} Ready with its global tasks {seconds(rejoined, healed)} after the "
          f"heal; placement after {scenario.placement_or_error(bed, survivor.name)}")

    assert api_back is not None, f"the API never acknowledged a write after the cut\n{journals(data)}"
    assert old_writes, f"no API write was acknowledged before the cut ({writes.refused} refused)"
    assert old_writes <= stored, f"lost acknowledged writes: {sorted(old_writes - stored)}"
    assert logged_before and not lost_lines, f"log lines lost: {lost_lines[:5]}"
    assert pushed.returncode == 0, f"{pushed.stderr}\n{journals(data)}"
    assert app_clean is not None, f"the app still failed 120 s after the cut: {window(failures, cut)}"
    assert built_before.startswith("127.0.0.1:5000/"), "an image named after a node dies with it (issue 18)"
    assert rolled_back is not None, f"the survivors could not pull {built_before} again\n{journals(data)}"
    assert rejoined is not None, f"{victim.name} did not rejoin: {scenario.placement_or_error(bed, survivor.name)}"

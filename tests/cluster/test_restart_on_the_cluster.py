"""An etcd member killed, then the whole cluster's power cut, under a running platform (issue 18).

From no Swarm the real ``deisctl`` bootstraps the bed's 3 hosts (3 managers,
h1 out of the router mesh, the store a shared folder) and starts the
platform; a person pushes an app and scales it to 3. Then:

1. **One etcd member killed** (h3's: a router host's, so its router and
   publisher lose their own member) under ~50 requests/s to the app through
   h2's router and a loop of authenticated API writes. While it is down the
   person changes the app's config, which makes a release and a deploy. No
   app request and no write may fail; the new release must answer.
2. **Every host's power cut** at once (engines, containers and etcd members
   killed), then every host booted again: nothing but the hosts' own daemons
   is started by hand. Measured and printed: when the API answers again, when
   the app answers from 3 containers through both routers, when ``git push``
   works. Every write acknowledged more than ``archiveTimeout`` before the
   cut must still be there, and the app's log lines from before it too
   (Deis v1 #2410: after a reboot units did not come back).

Only bed addresses are contacted, each after ``require_bed_route``.
"""

from __future__ import annotations

import time

import pytest

from deis import keys
from tests.cluster import scenario
from tests.cluster.load import Load, Writes, log_lines, push_until_it_works, seconds, token, wait, window
from tests.cluster.platform import api_answers, app_bodies, app_nodes, deisctl, journals

pytestmark = [pytest.mark.multihost, pytest.mark.timeout(900)]  # two faults after one bootstrap

#: The database's archiveTimeout here: a power cut loses at most this much of acknowledged writes.
ARCHIVE_TIMEOUT = 10
#: How long h3's etcd member stays down.
ETCD_DOWN = 20


def test_an_etcd_member_killed_then_every_hosts_power_cut_under_a_running_platform(bare, tmp_path):
    bed, data = bare, tmp_path / "deis"
    h2, h3 = bed.host("h2"), bed.host("h3")
    scenario.start_platform(bed, data, {keys.component("database", "archiveTimeout"): str(ARCHIVE_TIMEOUT)})
    scenario.wait_for_api(data, h2)
    deployed = scenario.app_of_three(bed, tmp_path, h2)
    alice, app = deployed.person, deployed.app

    # 1. h3's etcd member killed under load; a config change meanwhile.
    load, writes = Load(h2.ip, app), Writes(h2.ip, token(h2.ip, deployed.user))
    threads = [*load.run(), writes.run()]
    try:
        time.sleep(3)
        killed = time.monotonic()
        bed.kill_etcd(h3)
        changed = alice.deis("config:set", "DURING=etcd-member-down", "-a", app, check=False)
        release = alice.deis("releases", "-a", app).stdout.split()  # newest first
        newest = next(word for word in release if word.startswith("v") and word[1:].isdigit())
        new_release = wait(lambda: any(body.startswith(f"{newest} ") for body in app_bodies(h2.ip, app, 3, 5)), 60)
        time.sleep(max(0.0, killed + ETCD_DOWN - time.monotonic()))
        bed.power_on(h3)
        assert wait(lambda: bed.etcd_health()["h3"], 60), "h3's etcd member did not come back"
        time.sleep(3)
    finally:
        load.stop.set()
        writes.stop.set()
        for thread in threads:
            thread.join(20)
    failures = load.failures(killed)
    print(f"\netcd member on h3 killed for {ETCD_DOWN} s: {len(load.outcomes)} app requests, {len(failures)} failed "
          f"({window(failures, killed)}); {len(writes.acknowledged)} API writes acknowledged, {writes.refused} "
          f"refused; config:set exit {changed.returncode}, release {newest} answering: {bool(new_release)}")
    assert changed.returncode == 0, f"{changed.stdout}\n{changed.stderr}"
    assert new_release, f"{newest} never answered through h2\n{journals(data)}"
    assert not failures, f"app requests failed while an etcd member was down: {window(failures, killed)}"
    assert writes.refused == 0, f"{writes.refused} API writes failed while an etcd member was down"

    # 2. Every host's power cut, then every host booted.
    writes = Writes(h2.ip, writes.token)
    writes_thread = writes.run()
    time.sleep(ARCHIVE_TIMEOUT + 5)  # writes old enough to be archived by the cut
    logged_before = log_lines(alice, app)
    cut = time.monotonic()
    for host in bed.hosts:
        bed.power_off(host)
    writes.stop.set()
    writes_thread.join(20)
    time.sleep(2)
    booted = time.monotonic()
    bed.power_on(*bed.hosts)

    api_back = wait(lambda: api_answers(h2.ip), 420)
    assert api_back, f"the API did not answer through h2 within 420 s of the boot\n{journals(data)}"
    routed = wait(lambda: all(len(app_bodies(host.ip, app, 3, 5)) == 3 for host in (h2, h3)), 300)
    scenario.commit(deployed, "after the power cut")
    pushed, push_back, tries = push_until_it_works(alice, deployed.repo, h2.ip, app, time.monotonic() + 180)
    stored = writes.stored()
    logged_after = log_lines(alice, app, retry_for=120)
    old_writes = {name for name, at in writes.acknowledged.items() if at < cut - ARCHIVE_TIMEOUT}
    status = deisctl(data, "status", check=False).stdout
    print(f"whole-cluster power cut: booted {booted - cut:.1f} s after the cut; API answered "
          f"{seconds(api_back, booted)} after the boot; app answered from 3 containers through h2 and h3 "
          f"{seconds(routed, booted)} after it; "
          f"git push worked {seconds(push_back, booted)} after it ({tries} tries); writes acknowledged > "
          f"{ARCHIVE_TIMEOUT} s before the cut kept: {len(old_writes & stored)}/{len(old_writes)}; log lines from "
          f"before kept: {len(set(logged_before) & set(logged_after))}/{len(logged_before)}\n{status}")
    assert routed, f"the app was not answering from 3 containers through both routers: {app_nodes(bed, app)}"
    assert pushed.returncode == 0, f"{pushed.stderr}\n{journals(data)}"
    assert old_writes, f"no API write was acknowledged before the cut ({writes.refused} refused)"
    assert old_writes <= stored, f"lost acknowledged writes: {sorted(old_writes - stored)}"
    assert logged_before and set(logged_before) <= set(logged_after), \
        f"log lines lost: {sorted(set(logged_before) - set(logged_after))[:5]}"


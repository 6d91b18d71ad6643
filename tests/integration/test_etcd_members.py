"""deis.etcd against a real 3-member etcd cluster on loopback, losing the member it talks to.

What a component notices when its etcd member dies (SIGKILL): a write and a
linearizable read still succeed, a watch goes on without losing or repeating
an event, a kept-alive lease does not expire, and without quorum calls fail
with ``EtcdUnavailable`` naming the members until one comes back.

The member killed is the cluster's leader, the worst case: the others must
elect a new one before they can serve a write.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from deis.errors import EtcdUnavailable
from deis.etcd import Etcd
from tests.services import free_port, wait_until

pytestmark = pytest.mark.integration

#: The client's timeout for one call, whichever members it tries.
TIMEOUT = 3.0


@dataclass
class Member:
    name: str
    client: int
    peer: int
    data: Path
    log: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.client}"

    def argv(self, cluster: str, token: str) -> list[str]:
        return ["/usr/bin/etcd", "--name", self.name, "--data-dir", str(self.data),
                "--listen-client-urls", self.url, "--advertise-client-urls", self.url,
                "--listen-peer-urls", f"http://127.0.0.1:{self.peer}",
                "--initial-advertise-peer-urls", f"http://127.0.0.1:{self.peer}",
                "--initial-cluster", cluster, "--initial-cluster-token", token,
                "--initial-cluster-state", "new"]


class Cluster:
    """Three etcd members on loopback; ``kill`` and ``start`` one by index."""

    def __init__(self, root: Path):
        self.members = [Member(f"m{n}", free_port(), free_port(), root / f"m{n}", root / f"m{n}.log")
                        for n in range(3)]
        self.initial = ",".join(f"{m.name}=http://127.0.0.1:{m.peer}" for m in self.members)

    def start(self, member: Member) -> None:
        argv = member.argv(self.initial, f"deis-test-{self.members[0].peer}")
        with member.log.open("ab") as log:
            member.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                              env=dict(os.environ, ETCD_UNSUPPORTED_ARCH=os.uname().machine))

    def kill(self, member: Member) -> None:
        if member.process and member.process.poll() is None:
            member.process.send_signal(signal.SIGKILL)
            member.process.wait(10)

    def leader_first(self) -> list[Member]:
        """The members, the current leader first (the one whose loss costs an election)."""
        status = Etcd(self.members[0].url, timeout=TIMEOUT)._post("maintenance/status", {}, "reading status")
        by_id = {int(Etcd(m.url, timeout=TIMEOUT)._post("maintenance/status", {}, "reading status")
                     ["header"]["member_id"]): m for m in self.members}
        leader = by_id[int(status["leader"])]
        return [leader] + [m for m in self.members if m is not leader]


@pytest.fixture
def cluster(tmp_path):
    bed = Cluster(tmp_path)
    try:
        for member in bed.members:
            bed.start(member)
        for member in bed.members:
            wait_until(lambda m=member: _writable(m.url), 30, what=f"etcd member {member.name} serving writes")
        yield bed
    finally:
        for member in bed.members:
            bed.kill(member)


def _writable(url: str) -> bool:
    try:
        Etcd(url, timeout=1).put("/deis/test/ready", "1")
    except EtcdUnavailable:
        return False
    return True


def _client(members: list[Member]) -> Etcd:
    return Etcd(",".join(m.url for m in members), timeout=TIMEOUT)


def test_a_put_and_a_linearizable_get_succeed_after_the_member_in_use_is_killed(cluster):
    members = cluster.leader_first()
    etcd = _client(members)
    etcd.put("/deis/test/before", "1")
    assert etcd.members.current == members[0].url
    cluster.kill(members[0])
    started, failures = time.monotonic(), 0
    while True:
        try:
            revision = etcd.put("/deis/test/after", "2")
            assert etcd.get("/deis/test/after") == "2"
            break
        except EtcdUnavailable as exc:
            failures += 1
            print(f"call failed during failover: {exc}")
            assert time.monotonic() - started < 4 * TIMEOUT
    elapsed = time.monotonic() - started
    print(f"put + linearizable get after killing the leader member: {elapsed:.2f} s, "
          f"{failures} failed calls, now on {etcd.members.current}")
    assert etcd.members.current != members[0].url
    assert elapsed < 2 * TIMEOUT
    assert etcd.mod_revisions("/deis/test/after") == {"/deis/test/after": revision}


def test_a_watch_resumes_on_another_member_without_losing_or_repeating_events(cluster):
    members = cluster.leader_first()
    watcher, writer = _client(members), _client(members)
    start = writer.revision() + 1
    events, stop = [], threading.Event()

    def watch():
        for event in watcher.watch_prefix("/deis/test/w/", start, stop):
            events.append((event, time.monotonic()))

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        written = [writer.put(f"/deis/test/w/{n}", str(n)) for n in range(3)]
        wait_until(lambda: len(events) == 3, 5, what="the events written before the kill")
        cluster.kill(members[0])
        killed = time.monotonic()
        written.append(_put_retrying(writer, "/deis/test/w/3", "3"))
        put = time.monotonic()
        written += [_put_retrying(writer, f"/deis/test/w/{n}", str(n)) for n in range(4, 6)]
        wait_until(lambda: len(events) == 6, 3 * TIMEOUT, what="the events written after the kill")
        print(f"watch: the first put after the kill took {put - killed:.2f} s; the watch delivered it "
              f"{events[3][1] - killed:.2f} s after the kill, now on {watcher.members.current}")
        time.sleep(0.5)  # anything repeated would arrive now
        delivered = [event for event, _ in events]
        # etcd's own history, replayed by a fresh watch: a put the client sent again after a
        # lost answer is two revisions there, and must be two events here, not one nor three.
        assert delivered == _history(writer, "/deis/test/w/", start, len(delivered))
        assert set(written) <= {event.revision for event in delivered}
        assert [event.key for event in delivered] == [f"/deis/test/w/{n}" for n in range(6)]
        assert watcher.members.current != members[0].url
    finally:
        stop.set()
        thread.join(5)


def _history(etcd: Etcd, prefix: str, start: int, count: int) -> list:
    """Every event under ``prefix`` from ``start`` on, as etcd keeps them (a fresh watch replays them)."""
    stop, replayed = threading.Event(), []
    for event in etcd.watch_prefix(prefix, start, stop):
        replayed.append(event)
        if len(replayed) == count:
            stop.set()
    return replayed


def _put_retrying(etcd: Etcd, key: str, value: str) -> int:
    """Write as a level-triggered component does: again until etcd answers (a leader election may be on)."""
    deadline = time.monotonic() + 4 * TIMEOUT
    while True:
        try:
            return etcd.put(key, value)
        except EtcdUnavailable:
            if time.monotonic() > deadline:
                raise


def test_a_lease_kept_alive_across_the_kill_does_not_expire(cluster):
    members = cluster.leader_first()
    etcd = _client(members)
    ttl = 3
    with etcd.lease(ttl) as lease:
        lease.put("/deis/test/leased", "here")
        granted = lease.id
        cluster.kill(members[0])
        time.sleep(2 * ttl)
        assert etcd.get("/deis/test/leased") == "here"
        assert lease.id == granted, "the lease was lost and granted again"
        assert etcd.lease_alive(granted)
        assert etcd.members.current != members[0].url


def test_without_quorum_calls_fail_naming_the_members_and_recover_when_one_returns(cluster):
    members = cluster.leader_first()
    etcd = _client(members)
    etcd.put("/deis/test/q", "1")
    cluster.kill(members[0])
    cluster.kill(members[1])
    durations = []
    for _ in range(3):  # the survivor may take an election timeout to notice it has no leader
        started = time.monotonic()
        with pytest.raises(EtcdUnavailable) as failure:
            etcd.get("/deis/test/q")
        durations.append(time.monotonic() - started)
    print(f"without quorum: EtcdUnavailable after {', '.join(f'{d:.2f}' for d in durations)} s: {failure.value}")
    assert all(duration < TIMEOUT + 0.5 for duration in durations)
    assert "etcd did not answer while reading /deis/test/q: tried" in str(failure.value)
    assert all(member.url in str(failure.value) for member in members)
    cluster.start(members[1])
    returned = time.monotonic()
    assert wait_until(lambda: _answers(etcd, "/deis/test/q"), 30, what="etcd answering again") == "1"
    print(f"quorum back: first answer {time.monotonic() - returned:.2f} s after a member was started again")
    etcd.put("/deis/test/q", "2")
    assert etcd.get("/deis/test/q") == "2"


def _answers(etcd: Etcd, key: str) -> str | None:
    try:
        return etcd.get(key)
    except EtcdUnavailable:
        return None


def test_with_authentication_each_member_gets_its_own_token_and_failover_needs_no_hand_work(cluster):
    members = cluster.leader_first()
    environ = {"DEIS_ETCD_PASSWORD": "s3cret"}
    assert Etcd(",".join(m.url for m in members), timeout=TIMEOUT, environ={}).enable_auth("s3cret")
    etcd = Etcd(",".join(m.url for m in members), timeout=TIMEOUT, environ=environ)
    etcd.put("/deis/test/secret", "1")
    cluster.kill(members[0])
    assert _put_retrying(etcd, "/deis/test/secret", "2")
    assert etcd.get("/deis/test/secret") == "2"
    assert etcd.members.current != members[0].url
    assert etcd.auth_enabled()  # what a client without the password gets (tokens are shared in a process)


def test_a_client_returns_to_its_first_member_once_that_one_is_back(cluster):
    leader, follower, other = cluster.leader_first()
    members = [follower, leader, other]  # a follower first this time: no election, failover at once
    etcd = _client(members)
    etcd.members.return_after = 1.0
    cluster.kill(members[0])
    started = time.monotonic()
    etcd.put("/deis/test/back", "1")
    print(f"put after killing a follower member: {time.monotonic() - started:.2f} s")
    assert etcd.members.current != members[0].url
    cluster.start(members[0])
    wait_until(lambda: _writable(members[0].url), 30, what="the first member serving again")
    time.sleep(1.0)
    assert etcd.get("/deis/test/back") == "1"
    assert etcd.members.current == members[0].url

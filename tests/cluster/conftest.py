"""The multi-host bed for the tests of this folder: built once per session, reset per test.

``script/test`` runs this folder in a pytest invocation of its own, after the
single-host suite (``tests/conftest.py`` leaves it out of every run that does
not name it). The bed needs root: without root the tests fail rather than
skip, because CI is root and a silent skip would hide the whole suite. They
skip only where network namespaces cannot be made at all.

The session starts from nothing: it takes the bed's lock (waiting for another
session to finish), then removes any bed it finds, including one a person
brought up with ``python -m tests.cluster up``.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.cluster.platform import bare  # noqa: F401  (the platform tests' fixture)
from tests.cluster.testbed import Testbed

TOOLS = ("ip", "iptables", "nsenter", "unshare", "setsid", "dockerd", "etcd", "timeout")


def _require_namespaces() -> None:
    if os.geteuid() != 0:
        pytest.fail("the multihost tests need root (CI runs as root): sudo script/test tests/cluster",
                    pytrace=False)
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"missing {missing}: script/test installs them (docker.io, etcd-server, iproute2)",
                    pytrace=False)
    probe = subprocess.run(["unshare", "--net", "--mount", "--uts", "true"], capture_output=True, text=True,
                           timeout=10, check=False)
    if probe.returncode != 0:
        pytest.skip(f"this machine cannot make network namespaces: {probe.stderr.strip()}")


@pytest.fixture(scope="session")
def testbed(docker_client):
    """Three hosts (one Swarm manager), from nothing; removed, and checked, at the end.

    The root host's engine (``docker_client``, started when none answers, as in
    CI's separate run of this folder) builds the images the bed's hosts load.
    """
    _require_namespaces()
    bed = Testbed(hosts=3)
    with bed.lock.held(timeout=600):
        try:
            bed.down()  # whatever a crashed earlier run left
            print(f"\nmultihost: up in {bed.up():.1f} s")
            yield bed
        finally:
            print(f"\nmultihost: down in {bed.down():.1f} s")


@pytest.fixture
def cluster(testbed):
    """The session's bed, emptied for this test (built again if a test took it down)."""
    if not testbed.is_up:
        testbed.up()
    testbed.reset()
    return testbed

"""The CoreOS files under ``contrib/coreos``: systemd accepts the units, the cloud-config is sound.

``systemd-analyze verify`` checks each unit's syntax, its commands and its
dependencies. The units need CoreOS's ``docker.service`` and
``etcd-member.service``; where this host lacks a unit they name, a stub of it is
put on the search path (``SYSTEMD_UNIT_PATH``) so the check is of our files,
not of the host.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

COREOS = Path(__file__).resolve().parents[2] / "contrib" / "coreos"
UNITS = sorted(COREOS.glob("*.service"))
SYSTEM_UNIT_DIRS = (Path("/etc/systemd/system"), Path("/lib/systemd/system"), Path("/usr/lib/systemd/system"))
DEPENDENCY = re.compile(r"^(?:Requires|Wants|After|Before|BindsTo|PartOf|WantedBy|RequiredBy)=(.*)$", re.M)


def _template(name: str) -> str:
    """``deis-router@1.service`` -> ``deis-router@.service``; other names unchanged."""
    return re.sub(r"@[^.]*\.", "@.", name)


def _missing_dependencies() -> set[str]:
    """Units our units name that are neither ours nor installed on this host."""
    names = {name for unit in UNITS for line in DEPENDENCY.findall(unit.read_text()) for name in line.split()}
    ours = {unit.name for unit in UNITS}
    return {name for name in names
            if _template(name) not in ours and not any((folder / name).exists() for folder in SYSTEM_UNIT_DIRS)}


def test_there_are_units():
    assert len(UNITS) >= 9, [unit.name for unit in UNITS]


def test_systemd_analyze_verifies_every_unit(tmp_path):
    # script/test installs systemd; a missing tool is a broken test machine, not a pass.
    assert shutil.which("systemd-analyze"), "systemd-analyze is not installed (apt-get install systemd)"
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    for name in _missing_dependencies():
        service = "[Service]\nType=oneshot\nExecStart=/bin/true\n" if name.endswith(".service") else ""
        (stubs / name).write_text(f"[Unit]\nDescription=stub of {name} for verification\n{service}")
    environ = dict(os.environ, SYSTEMD_UNIT_PATH=f"{stubs}:", SYSTEMD_LOG_LEVEL="notice")
    failures = []
    for unit in UNITS:
        result = subprocess.run(["systemd-analyze", "verify", "--man=no", f"./{unit.name}"], cwd=COREOS,
                                env=environ, capture_output=True, text=True, timeout=30)
        # verify exits 0 on some warnings (unknown keys, bad values): any line about our file counts too.
        complaints = [line for line in (result.stdout + result.stderr).splitlines() if unit.stem.rstrip("@") in line]
        if result.returncode != 0 or complaints:
            failures.append(f"{unit.name} (exit {result.returncode}):\n{result.stdout}{result.stderr}")
    assert failures == [], "\n".join(failures)


@pytest.fixture(scope="module")
def cloud_config() -> dict:
    text = (COREOS / "user-data.example").read_text()
    assert text.startswith("#cloud-config\n")
    return yaml.safe_load(text)


def test_user_data_has_etcd_and_fleet(cloud_config):
    coreos = cloud_config["coreos"]
    etcd, fleet = coreos["etcd"], coreos["fleet"]
    assert etcd["discovery"].startswith("https://discovery.etcd.io/")
    assert ":2379" in etcd["advertise-client-urls"] and ":2379" in etcd["listen-client-urls"]
    assert ":2380" in etcd["initial-advertise-peer-urls"] and ":2380" in etcd["listen-peer-urls"]
    assert fleet["etcd_servers"] and fleet["public-ip"]
    roles = dict(pair.split("=") for pair in fleet["metadata"].split(","))
    assert roles == {"controlPlane": "true", "dataPlane": "true", "routerMesh": "true"}
    started = {unit["name"] for unit in coreos["units"] if unit.get("command") == "start"}
    assert {"etcd-member.service", "fleet.service"} <= started


def test_user_data_units_are_complete(cloud_config):
    for unit in cloud_config["coreos"]["units"]:
        assert unit["name"].endswith(".service"), unit
        assert {"command", "mask", "drop-ins", "content"} & unit.keys(), unit


def test_every_unit_the_readme_names_exists_and_every_unit_is_named():
    readme = (COREOS / "README.md").read_text()
    named = set(re.findall(r"`(deis-[\w@-]+\.service)`", readme))
    named |= {name for command in re.findall(r"fleetctl (?:start|submit) ([^\n`]+)", readme)
              for name in command.split() if name.startswith("deis-") and "*" not in name}
    assert named, "the README names no unit"
    missing = sorted(name for name in named if not (COREOS / _template(name)).exists())
    assert missing == []
    assert {unit.name for unit in UNITS} <= {_template(name) for name in named}
    for name in re.findall(r"`([\w.-]+\.example)`", readme):
        assert (COREOS / name).exists(), name


def test_every_unit_is_placed_by_fleet_metadata_the_user_data_sets(cloud_config):
    roles = {pair.split("=")[0] for pair in cloud_config["coreos"]["fleet"]["metadata"].split(",")}
    for unit in UNITS:
        placement = re.search(r"^\[X-Fleet\]\n(.*?)(?:^\[|\Z)", unit.read_text(), re.M | re.S)
        assert placement, f"{unit.name} has no [X-Fleet] section"
        wanted = re.findall(r"^MachineMetadata=(\w+)=true$", placement.group(1), re.M)
        assert set(wanted) <= roles, (unit.name, wanted)

"""``deisctl images build`` and ``deisctl images list`` against the real Docker engine.

The images are the platform's own tags (``deis/<component>:v<version>``): the
test builds them as an operator would, and leaves them built. The first build
of every image takes about three and a half minutes here (python-base about
70 s; database and store install PostgreSQL and Ceph), more than CI should
spend, so CI builds python-base and three components that cover the cases (no
Debian packages; a component importing another; Debian packages):
``DEIS_TEST_IMAGES=all`` builds every image.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deis import PLATFORM_VERSION
from deisctl import images

DEISCTL = str(Path(sys.executable).with_name("deisctl"))
COREOS = Path(__file__).resolve().parents[2] / "contrib" / "coreos"
UNIT_IMAGE = re.compile(r"^\s*(deis/[a-z-]+:\S+)\s*$", re.M)
CHOSEN = (images.component_names() if os.environ.get("DEIS_TEST_IMAGES") == "all"
          else ["controller", "logger", "router"])

pytestmark = pytest.mark.timeout(900)


def deisctl(data_dir: Path, *args: str) -> tuple[str, float]:
    """Run ``deisctl --data-dir … ARGS``; return its output and the seconds it took."""
    started = time.monotonic()
    result = subprocess.run([DEISCTL, "--data-dir", str(data_dir), *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout, time.monotonic() - started


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("deisctl-images")


@pytest.fixture(scope="module")
def built(docker_client, data_dir):
    """``deisctl images build`` of the chosen components, once for the module."""
    out, seconds = deisctl(data_dir, "images", "build", *CHOSEN)
    print(f"\ndeisctl images build {' '.join(CHOSEN)}: {seconds:.1f} s\n{out}")
    return out


# deisctl images build


def test_images_build_reports_one_line_per_image(built):
    for name in ["python-base", *CHOSEN]:
        assert re.search(rf"^deis/{name}:v{PLATFORM_VERSION}: (up to date|built in [\d.]+ s \(\d+ MB\))$",
                         built, re.M), built


@pytest.mark.parametrize("component", CHOSEN)
def test_docker_run_image_runs_the_console_script(built, docker_client, component):
    tag = f"deis/{component}:v{PLATFORM_VERSION}"
    out = docker_client.containers.run(tag, ["--version"], remove=True)
    assert out.decode() == f"deis-{component} {PLATFORM_VERSION}\n"
    usage = docker_client.containers.run(tag, ["--help"], remove=True).decode()
    assert usage.startswith(f"usage: deis-{component} ")


@pytest.mark.parametrize("component", [c for c in CHOSEN if images.debian_packages(c)])
def test_image_has_the_components_debian_packages(built, docker_client, component):
    packages = images.debian_packages(component)
    out = docker_client.containers.run(f"deis/{component}:v{PLATFORM_VERSION}", ["-W", *packages],
                                       entrypoint="dpkg-query", remove=True).decode()
    assert sorted(line.split("\t")[0] for line in out.splitlines()) == sorted(packages)


def test_images_build_again_is_a_no_op(built, data_dir):
    out, seconds = deisctl(data_dir, "images", "build", *CHOSEN)
    print(f"\nsecond deisctl images build: {seconds:.2f} s")
    assert out.count(": up to date") == len(CHOSEN) + 1, out
    assert "built in" not in out.replace("images built in", "")
    assert seconds < 5, out


def test_a_source_change_rebuilds_only_that_component(built, docker_client, data_dir, tmp_path, monkeypatch):
    changed, other = "router", "controller"
    copy = tmp_path / "source"
    copy.mkdir(exist_ok=True)
    subprocess.run(["cp", "-r", str(images.package_folder(changed)), str(copy)], check=True)
    (copy / changed / "changed_by_test.py").write_text('"""A source change made by the images test."""\n')
    found = images.package_folder
    monkeypatch.setattr(images, "package_folder", lambda name: copy / name if name == changed else found(name))
    before = {name: docker_client.images.get(f"deis/{name}:{images.TAG}").id for name in (changed, other)}
    lines: list[str] = []
    started = time.monotonic()
    results = images.Images(docker_client, lines.append, None).build([other, changed])
    print(f"\nrebuild after a change to {changed}: {time.monotonic() - started:.1f} s: {lines}")
    assert [r.built for r in results] == [False, False, True], lines
    assert results[2].image_id != before[changed]
    assert results[1].image_id == before[other]
    assert docker_client.containers.run(results[2].tag, ["--version"], remove=True)
    monkeypatch.undo()
    out, _ = deisctl(data_dir, "images", "build", changed)  # back to the tree's source
    assert re.search(rf"^deis/{changed}:\S+: built in", out, re.M), out


# deisctl images list


def test_images_list_shows_every_image_the_coreos_units_run(built, data_dir):
    out, _ = deisctl(data_dir, "images", "list")
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    referenced = {tag for unit in COREOS.glob("*.service") for tag in UNIT_IMAGE.findall(unit.read_text())}
    assert len(referenced) == 9, referenced
    assert referenced <= set(rows), (referenced - set(rows), out)
    for name in CHOSEN:
        assert " up to date " in rows[f"deis/{name}:v{PLATFORM_VERSION}"], out

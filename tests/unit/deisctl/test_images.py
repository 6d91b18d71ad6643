"""What goes into the platform's images (deisctl/images.py) and how their inputs are hashed."""

import pytest

from deis import PLATFORM_VERSION, daemon
from deisctl import images


def test_every_console_script_component_has_an_image():
    assert images.component_names() == ["builder", "controller", "database", "logger", "logspout",
                                        "publisher", "registry", "router", "store"]


def test_tag_is_the_one_the_coreos_units_run():
    assert images.TAG == f"v{PLATFORM_VERSION}"
    assert images.component_image("router", "sha256:base").tag == f"deis/router:v{PLATFORM_VERSION}"


def test_console_script_runs_the_setup_py_entry_point():
    script = images.console_script("router")
    assert script.startswith("#!/usr/bin/python3\n")
    assert "from router.__main__ import main\n" in script
    compile(script, "deis-router", "exec")


def test_an_image_carries_the_components_its_code_imports():
    known = images.component_names()
    assert images.imported_components("database", known) == ["database", "store"]
    assert images.imported_components("controller", known) == ["controller", "registry"]
    assert images.imported_components("router", known) == ["router"]


def test_component_image_has_only_its_own_packages_and_deis_is_in_the_base():
    files = images.component_image("logger", "sha256:base").files
    tops = {path.split("/")[1] for path in files if path.startswith("source/")}
    assert tops == {"logger", "store"}
    assert files["deis-logger"][0] == 0o755
    assert not any("__pycache__" in path or path.endswith(".pyc") for path in files)
    base = images.base_image("sha256:stack").files
    assert {path.split("/")[1] for path in base if path.startswith("source/")} == {"deis"}


def test_host_only_packages_stay_out_of_images():
    assert images.debian_packages("logspout") == []
    assert images.debian_packages("router") == ["nginx", "libnginx-mod-stream"]
    assert images.debian_packages("database") == ["postgresql"]


def test_requirements_are_pinned_and_exclude_the_project():
    pins = images.pinned_requirements()
    assert all("==" in pin for pin in pins)
    names = {pin.partition("==")[0] for pin in pins}
    assert {"click", "docker", "flask", "gunicorn"} <= names
    assert "deis" not in names and "pytest" not in names


def test_inputs_change_with_content_mode_dockerfile_and_parent():
    image = images.component_image("publisher", "sha256:one")
    same = images.component_image("publisher", "sha256:one")
    assert image.inputs() == same.inputs()
    assert images.component_image("publisher", "sha256:two").inputs() != image.inputs()
    path = next(p for p in image.files if p.endswith("__main__.py"))
    mode, content = image.files[path]
    same.files[path] = (mode, content + b"\n")
    assert same.inputs() != image.inputs()
    same.files[path] = (0o755, content)
    assert same.inputs() != image.inputs()


def test_written_context_is_readable_by_every_user(tmp_path):
    image = images.component_image("publisher", "sha256:one")
    image.write_context(tmp_path)
    assert (tmp_path / "Dockerfile").read_text().startswith("# deis/publisher")
    assert (tmp_path / "deis-publisher").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "source" / "publisher" / "__main__.py").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "source" / "publisher").stat().st_mode & 0o777 == 0o755


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_console_script_answers_version_and_help(flag, capsys):
    with pytest.raises(SystemExit) as exit_:
        daemon.answer_flags("router", ["/usr/local/bin/deis-router", flag])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    if flag == "--version":
        assert out == f"deis-router {PLATFORM_VERSION}\n"
    else:
        assert out.startswith("usage: deis-router [--version | --help]\n")


def test_flags_of_other_programs_are_left_alone():
    daemon.answer_flags("database", ["python3 -m database.wal", "--version"])
    daemon.answer_flags("router", ["/usr/local/bin/deis-router"])

import pytest

from builder import buildpack
from builder.buildpack import CompileFailed, process_types
from builder.procfile import ProcfileError


def test_the_procfile_wins_over_the_buildpacks_defaults(tmp_path):
    (tmp_path / "Procfile").write_text("web: ./run\n")
    (tmp_path / ".release").write_text("---\ndefault_process_types:\n  web: ./other\n")
    assert process_types(tmp_path) == {"web": "./run"}


def test_without_a_procfile_the_release_defaults_are_used(tmp_path):
    (tmp_path / ".release").write_text("---\nconfig_vars: {}\ndefault_process_types:\n  web: gunicorn app\n")
    assert process_types(tmp_path) == {"web": "gunicorn app"}


def test_without_either_there_are_no_types(tmp_path):
    (tmp_path / ".release").write_text("--- {}\n")
    assert process_types(tmp_path) == {}


def test_a_bad_procfile_or_release_is_an_error(tmp_path):
    (tmp_path / ".release").write_text("a: [\n")
    with pytest.raises(CompileFailed):
        process_types(tmp_path)
    (tmp_path / "Procfile").write_text("not a mapping\n")
    with pytest.raises(ProcfileError):
        process_types(tmp_path)


def test_a_custom_packs_linked_bin_folder_is_never_chmodded_through(tmp_path, monkeypatch):
    host_bin = tmp_path / "host-bin"
    host_bin.mkdir()
    (host_bin / "tool").write_text("x")
    (host_bin / "tool").chmod(0o600)

    def fetch(url, dest, env):
        dest.mkdir()
        (dest / "bin").symlink_to(host_bin)

    monkeypatch.setattr(buildpack.fetch, "fetch", fetch)
    buildpack._buildpacks(tmp_path / "packs", "https://example.com/pack.git")
    assert (host_bin / "tool").stat().st_mode & 0o777 == 0o600

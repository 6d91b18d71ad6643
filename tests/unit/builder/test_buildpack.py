import pytest

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

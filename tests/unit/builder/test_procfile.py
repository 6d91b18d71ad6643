import pytest

from builder.procfile import ProcfileError, parse


def test_types_and_commands_are_read_line_by_line():
    text = "# processes\nweb: gunicorn app:app --bind 0.0.0.0:$PORT\n\nworker:  python worker.py  \n"
    assert parse(text) == {"web": "gunicorn app:app --bind 0.0.0.0:$PORT", "worker": "python worker.py"}


def test_a_command_may_hold_colons_and_yaml_quotes_are_dropped():
    assert parse('web: "sh -c \'echo a:b\'"\n') == {"web": "sh -c 'echo a:b'"}


def test_an_empty_procfile_has_no_types():
    assert parse("\n# nothing\n") == {}


@pytest.mark.parametrize("text, line", [
    ("web\n", 1), ("web: ./run\njust text\n", 2), ("web:\n", 1), ("- web: x\n", 1), ("Web_1: x\n", 1),
])
def test_a_procfile_that_is_not_a_mapping_names_the_bad_line(text, line):
    with pytest.raises(ProcfileError, match=f"line {line}"):
        parse(text)

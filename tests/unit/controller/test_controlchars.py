"""Control characters: refused NULs, escaped log text (issue 12, item 11)."""

import pytest

from controller import controlchars


@pytest.mark.parametrize("text, shown", [
    ("plain text", "plain text"),
    ("ls\nmyapp[deis-controller]: forged", "ls\\nmyapp[deis-controller]: forged"),
    ("a\r\nb\tc", "a\\r\\nb\\tc"),
    ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
    ("nul\x00del\x7fnel\x85", "nul\\x00del\\x7fnel\\x85"),
    ("line\u2028sep", "line\\u2028sep"),
    ("ünïcode ✓", "ünïcode ✓"),
])
def test_escape_makes_one_line_of_any_text(text, shown):
    escaped = controlchars.escape(text)
    assert escaped == shown
    assert len(escaped.splitlines()) == 1
    assert not controlchars.has_control(escaped)


def test_nul_is_found_in_names_values_and_nested_values():
    assert controlchars.nul_field({"username": "bob", "password": "pa\x00ss"}) == "password"
    assert controlchars.nul_field({"values": {"KEY\x00": "v"}}) == "values"
    assert controlchars.nul_field({"values": {"KEY": ["a", {"b": "c\x00"}]}}) == "values"
    assert controlchars.nul_field({"a\x00": 1}) == "a\x00"
    assert controlchars.nul_field({"domain": "example.org", "n": 3, "x": None}) is None

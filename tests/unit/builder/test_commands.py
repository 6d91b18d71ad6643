import pytest

from builder.commands import Command, Refused, parse


@pytest.mark.parametrize("raw, expected", [
    (b"git-receive-pack 'myapp.git'", Command("git-receive-pack", "myapp")),
    (b"git-upload-pack '/myapp.git'", Command("git-upload-pack", "myapp")),
    (b"git-receive-pack myapp.git", Command("git-receive-pack", "myapp")),
    (b"git-receive-pack 'my-app-2'", Command("git-receive-pack", "my-app-2")),
    (b"ping", Command("ping")),
])
def test_git_services_on_an_app_and_ping_are_allowed(raw, expected):
    assert parse(raw) == expected


def test_only_receive_pack_is_a_push():
    assert parse(b"git-receive-pack 'a.git'").is_push
    assert not parse(b"git-upload-pack 'a.git'").is_push


@pytest.mark.parametrize("raw", [
    b"git-receive-pack '../x.git'", b"git-receive-pack 'a/b.git'", b"git-receive-pack 'a;b.git'",
    b"git-receive-pack '$(id).git'", b"git-receive-pack '`id`.git'", b"git-receive-pack 'a b.git'",
    b"git-receive-pack 'x.git'; touch /tmp/pwn", b"git-receive-pack 'x.git'\nid",
    b"git-receive-pack \"x.git\"", b"git-receive-pack 'x.git", b"git-receive-pack 'deis.git'",
    b"git-receive-pack '\xc3\xa9t\xc3\xa9.git'", b"git-receive-pack '\xff.git'", b"git-receive-pack ''",
    b"git-upload-archive 'x.git'", b"git-shell -c id", b"sh", b"", b"scp -t /tmp",
    b"git-receive-pack '" + b"a" * 600 + b".git'",
])
def test_everything_else_is_refused_with_one_line(raw):
    with pytest.raises(Refused) as refused:
        parse(raw)
    assert "\n" not in str(refused.value)


def test_a_shell_request_is_refused_with_what_is_allowed():
    with pytest.raises(Refused, match="Shell access is not available. Only 'git push'"):
        parse(None)

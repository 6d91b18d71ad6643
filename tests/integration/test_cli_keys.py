"""deis keys:add, keys:list, keys:remove — real controller."""

import subprocess

import pytest

pytest_plugins = ["tests.integration.cli_conftest"]


def make_key(path, comment):
    """Create an ed25519 key pair at ``path`` with ``comment``; return the public key text."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)], check=True)
    return path.with_suffix(".pub").read_text().strip()


@pytest.fixture
def ssh_dir(alice):
    folder = alice.home / ".ssh"
    folder.mkdir()
    return folder


# deis keys:add
def test_keys_add_with_path_uses_the_comment_as_id(alice, ssh_dir):
    make_key(ssh_dir / "id_ed25519", "alice@laptop")
    result = alice("keys:add", str(ssh_dir / "id_ed25519.pub"))
    assert result.exit_code == 0, result.output
    assert result.stdout == "Uploading id_ed25519.pub to deis... done\n"
    assert alice("keys").stdout.splitlines()[1].startswith("alice@laptop ssh-ed25519 AAAA")


def test_keys_add_asks_which_key_when_several(alice, ssh_dir):
    make_key(ssh_dir / "id_a", "first@host")
    make_key(ssh_dir / "id_b", "second@host")
    result = alice("keys:add", input="2\n")
    assert result.exit_code == 0, result.output
    assert "1) id_a.pub first@host\n2) id_b.pub second@host\n" in result.stdout
    assert "Which would you like to use with Deis?" in result.stdout
    assert alice("keys").stdout.splitlines()[1].startswith("second@host ")


def test_keys_add_the_same_key_twice_is_400_unique(alice, ssh_dir):
    make_key(ssh_dir / "id_ed25519", "alice@laptop")
    alice("keys:add", str(ssh_dir / "id_ed25519.pub"))
    result = alice("keys:add", str(ssh_dir / "id_ed25519.pub"))
    assert result.exit_code == 1
    assert "400 BAD REQUEST\npublic: This field must be unique." in result.stderr


def test_keys_add_rejects_a_file_that_is_no_key(alice, tmp_path):
    bogus = tmp_path / "bogus.pub"
    bogus.write_text("hello")
    result = alice("keys:add", str(bogus))
    assert result.exit_code == 1 and "is not a valid SSH public key" in result.stderr


# deis keys:list
def test_keys_list_shows_only_own_keys_abbreviated(alice, bob, ssh_dir):
    public = make_key(ssh_dir / "id_ed25519", "alice@laptop")
    alice("keys:add", str(ssh_dir / "id_ed25519.pub"))
    assert alice("keys:list").stdout == f"=== alice Keys\nalice@laptop {public[:16]}...{public[-10:]}\n"
    assert bob("keys").stdout == "=== bob Keys\n"


# deis keys:remove
def test_keys_remove(alice, ssh_dir):
    make_key(ssh_dir / "id_ed25519", "alice@laptop")
    alice("keys:add", str(ssh_dir / "id_ed25519.pub"))
    assert alice("keys:remove", "alice@laptop").stdout == "Removing alice@laptop SSH Key... done\n"
    assert alice("keys").stdout == "=== alice Keys\n"


def test_keys_remove_unknown_is_404(alice):
    result = alice("keys:remove", "nope@host")
    assert result.exit_code == 1 and "404 NOT FOUND" in result.stderr

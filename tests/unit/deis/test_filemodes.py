"""Files the platform writes are private: the umask, and bringing an old data directory into line."""

import os
import socket
import stat

from deis import filemodes


def mode(path):
    return stat.S_IMODE(path.lstat().st_mode)


def test_private_umask_makes_new_files_and_folders_owner_only(tmp_path):
    before = os.umask(0o022)
    try:
        filemodes.private_umask()
        (tmp_path / "f").write_text("secret")
        (tmp_path / "d").mkdir()
    finally:
        os.umask(before)
    assert mode(tmp_path / "f") == 0o600 and mode(tmp_path / "d") == 0o700


def test_tighten_takes_group_and_other_read_write_and_leaves_skipped_folders_links_and_sockets(tmp_path):
    (tmp_path / "builder" / "repo.git").mkdir(parents=True)
    (tmp_path / "builder" / "repo.git" / "config").write_text("[core]")
    (tmp_path / "builder" / "repo.git" / "config").chmod(0o644)
    (tmp_path / "builder" / "repo.git").chmod(0o755)  # whatever umask an earlier test left the process
    (tmp_path / "builder").chmod(0o755)
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "layer").write_text("x")
    (tmp_path / "docker" / "layer").chmod(0o644)
    (tmp_path / "link").symlink_to("/etc/passwd")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "sock"))
    (tmp_path / "sock").chmod(0o777)

    changed = filemodes.tighten(tmp_path, skip=frozenset({"docker"}))

    assert mode(tmp_path / "builder") == 0o711
    assert mode(tmp_path / "builder" / "repo.git" / "config") == 0o600
    assert mode(tmp_path / "docker" / "layer") == 0o644
    assert mode(tmp_path / "sock") == 0o777
    assert stat.S_IMODE(os.stat("/etc/passwd").st_mode) == 0o644
    assert changed == 3  # builder, repo.git, config
    assert filemodes.tighten(tmp_path, skip=frozenset({"docker"})) == 0
    server.close()

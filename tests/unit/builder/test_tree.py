"""Reading pushed files without following links: ``read_inside`` and ``Tree.read``."""

import os
import subprocess

import pytest

from builder import buildpack, slugignore
from builder.tree import LinkRefused, Tree, read_inside, text_inside

CANARY = "CANARY-host-secret-7f3a"


@pytest.fixture
def outside(tmp_path):
    """A host file outside the build folder, holding the canary line."""
    path = tmp_path / "host" / "secret"
    path.parent.mkdir()
    path.write_text(CANARY + "\n")
    return path


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "build"
    path.mkdir()
    return path


def refused(folder, name) -> str:
    with pytest.raises(LinkRefused) as caught:
        read_inside(folder, name)
    message = str(caught.value)
    assert CANARY not in message
    assert "\n" not in message
    return message


def test_read_inside_reads_files_and_folders_inside(folder):
    (folder / "Procfile").write_text("web: ./run\n")
    (folder / "sub").mkdir()
    (folder / "sub" / "x").write_bytes(b"\xff")
    assert text_inside(folder, "Procfile") == "web: ./run\n"
    assert read_inside(folder, "sub/x") == b"\xff"


def test_read_inside_returns_none_for_missing_files_and_non_files(folder):
    (folder / "dir").mkdir()
    os.mkfifo(folder / "fifo")  # must not block
    assert read_inside(folder, "Procfile") is None
    assert read_inside(folder, "missing/Procfile") is None
    assert read_inside(folder, "dir") is None
    assert read_inside(folder, "fifo") is None


def test_an_absolute_link_out_is_refused_naming_the_file(folder, outside):
    (folder / "Procfile").symlink_to(outside)
    assert refused(folder, "Procfile").startswith("Procfile is a symbolic link")


def test_a_relative_link_climbing_out_is_refused(folder, outside):
    (folder / ".release").symlink_to(os.path.relpath(outside, folder))
    assert refused(folder, ".release").startswith(".release is a symbolic link")


def test_a_chain_of_links_that_ends_outside_is_refused(folder, outside):
    (folder / "hop").symlink_to(outside)
    (folder / "Procfile").symlink_to("hop")
    refused(folder, "Procfile")


def test_a_linked_folder_on_the_way_is_refused(folder, outside):
    (folder / "sub").symlink_to(outside.parent)
    assert refused(folder, "sub/secret").startswith("sub/secret is a symbolic link")


def test_names_outside_the_folder_are_a_programming_error(folder):
    for name in ("/etc/passwd", "../x", ""):
        with pytest.raises(ValueError):
            read_inside(folder, name)


def test_process_types_refuse_a_linked_procfile_or_release(folder, outside):
    (folder / "Procfile").symlink_to(outside)
    with pytest.raises(LinkRefused, match="^Procfile is a symbolic link"):
        buildpack.process_types(folder)
    (folder / "Procfile").unlink()
    (folder / ".release").symlink_to(outside)
    with pytest.raises(LinkRefused, match="^.release is a symbolic link"):
        buildpack.process_types(folder)


def test_slugignore_refuses_a_linked_slugignore(folder, outside):
    (folder / ".slugignore").symlink_to(outside)
    with pytest.raises(LinkRefused, match="^.slugignore is a symbolic link"):
        slugignore.apply(folder)


def commit_tree(repo, outside) -> Tree:
    """A repository whose Dockerfile is a regular file and whose Procfile links to ``outside``."""
    repo.mkdir()
    (repo / "Dockerfile").write_text("FROM scratch\n")
    (repo / "Procfile").symlink_to(outside)
    git = ["git", "-c", "user.name=T", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "x"], cwd=repo, check=True)
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    return Tree(sha, repo)


def test_tree_read_refuses_a_committed_link(tmp_path, outside):
    tree = commit_tree(tmp_path / "repo", outside)
    assert tree.text("Dockerfile") == "FROM scratch\n"
    assert tree.read("missing") is None
    with pytest.raises(LinkRefused, match="^Procfile is a symbolic link"):
        tree.read("Procfile")

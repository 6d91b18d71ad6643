from builder.slugignore import apply, ignored, patterns


def test_patterns_skip_comments_blank_lines_and_climbing_out():
    assert patterns("# art\n*.psd\n\n/docs/\n../etc\nsub/../../x\n") == ["*.psd", "/docs"]


def test_a_name_pattern_matches_anywhere_and_a_path_pattern_from_the_root():
    paths = ["a.psd", "img/b.psd", "docs", "src/docs", "tests/fixtures", "keep.py"]
    assert ignored(paths, ["*.psd"]) == ["a.psd", "img/b.psd"]
    assert ignored(paths, ["/docs", "tests/fixtures"]) == ["docs", "tests/fixtures"]


def test_apply_removes_files_folders_and_links_but_never_follows_a_link(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_text("keep")
    root = tmp_path / "build"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "x.md").write_text("x")
    (root / "art.psd").write_text("x")
    (root / "app.py").write_text("x")
    (root / "link").symlink_to(outside)
    (root / ".slugignore").write_text("/docs\n*.psd\nlink\n")
    assert sorted(apply(root)) == ["art.psd", "docs", "link"]
    assert sorted(p.name for p in root.iterdir()) == [".slugignore", "app.py"]
    assert (outside / "precious").read_text() == "keep"

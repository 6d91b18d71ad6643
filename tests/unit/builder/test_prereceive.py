from builder.prereceive import Update, to_build, updates

SHA = "0123456789abcdef0123456789abcdef01234567"
ZERO = "0" * 40


def test_branches_created_or_moved_build_and_deletions_and_tags_do_not():
    pending = updates(f"{ZERO} {SHA} refs/heads/master\n{SHA} {ZERO} refs/heads/old\n{ZERO} {SHA} refs/tags/v1\n")
    assert to_build(pending) == [Update(ZERO, SHA, "refs/heads/master")]

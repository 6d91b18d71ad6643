"""The retention policy of image hygiene: which tags stay, which manifests and engine tags go."""

import pytest

from registry.retention import (
    ImageName,
    app_tag,
    engine_tags_to_remove,
    kept_tags,
    manifests_to_delete,
    parse,
)

REG = "127.0.0.1:5000"


@pytest.mark.parametrize(("reference", "expected"), [
    ("127.0.0.1:5000/app:v2", ImageName("127.0.0.1:5000", "app", "v2")),
    ("localhost/app", ImageName("localhost", "app")),
    ("registry.example.com/team/app:git-1234abcd", ImageName("registry.example.com", "team/app", "git-1234abcd")),
    ("busybox", ImageName("", "busybox")),
    ("deis/example-go:latest", ImageName("", "deis/example-go", "latest")),
    ("127.0.0.1:5000/app@sha256:ab", ImageName("127.0.0.1:5000", "app", "", "sha256:ab")),
    ("127.0.0.1:5000/app:v1@sha256:ab", ImageName("127.0.0.1:5000", "app", "v1", "sha256:ab")),
])
def test_parse_splits_like_docker(reference, expected):
    assert parse(reference) == expected


def test_app_tag_only_for_the_apps_repository_in_our_registry():
    assert app_tag(f"{REG}/app:v1", REG, "app") == "v1"
    assert app_tag(f"{REG}/other:v1", REG, "app") is None
    assert app_tag("elsewhere:5000/app:v1", REG, "app") is None
    assert app_tag("app:v1", REG, "app") is None
    assert app_tag(f"{REG}/app", REG, "app") is None


def images(*tags):
    return [f"{REG}/app:{tag}" if tag else None for tag in tags]


def test_keeps_the_newest_n_distinct_images():
    assert kept_tags(images("v7", "v6", "v5", "v4"), REG, "app", keep=2) == {"v7", "v6"}


def test_config_releases_sharing_an_image_count_once():
    assert kept_tags(images("v3", "v3", "v3", "v2", "v1"), REG, "app", keep=2) == {"v3", "v2"}


def test_releases_without_build_are_skipped_and_at_least_one_is_kept():
    assert kept_tags(images("v2", None, "v1", None), REG, "app", keep=0) == {"v2"}
    assert kept_tags(images(None), REG, "app") == set()


def test_images_from_elsewhere_take_a_place_but_yield_no_tag():
    releases = ["busybox:latest", f"{REG}/app:v2", f"{REG}/app:v1"]
    assert kept_tags(releases, REG, "app", keep=2) == {"v2"}


def test_manifests_of_old_tags_are_deleted_unless_a_kept_tag_shares_them():
    tag_digests = {"v1": "sha256:a", "v2": "sha256:b", "v3": "sha256:b", "v4": "sha256:c"}
    assert manifests_to_delete(tag_digests, {"v3", "v4"}) == {"sha256:a"}
    assert manifests_to_delete(tag_digests, set()) == {"sha256:a", "sha256:b", "sha256:c"}


def test_engine_removes_only_unkept_tags_of_the_app():
    repo_tags = [f"{REG}/app:v1", f"{REG}/app:v2", f"{REG}/app:v1", f"{REG}/apple:v1", "app:v1", "busybox:latest"]
    assert engine_tags_to_remove(repo_tags, REG, "app", {"v2"}) == [f"{REG}/app:v1"]
    assert engine_tags_to_remove(repo_tags, REG, "app", set()) == [f"{REG}/app:v1", f"{REG}/app:v2"]

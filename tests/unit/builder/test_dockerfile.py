import pytest

from builder.dockerfile import BuildFailed, base_images, build_args, check_bases, declared_args


def test_only_config_values_the_dockerfile_declares_become_build_args():
    text = "FROM x\nARG GREETING\n  arg token=default\nRUN echo\n"
    assert declared_args(text) == {"GREETING", "token"}
    assert build_args(text, {"GREETING": "hi", "SECRET": "s", "token": "t"}) == {"GREETING": "hi", "token": "t"}


MULTI_STAGE = """ARG BASE=busybox
# a comment
FROM --platform=linux/amd64 ${BASE} AS build
RUN echo \\
  hi
FROM build
COPY --from=build /a /b
COPY --from=0 /a /b
COPY --from=reg.example.com:5000/other:v1 /a /b
ARG TAG
FROM reg.example.com:5000/other:${TAG:-latest}
"""


def test_base_images_are_every_from_and_copy_from_that_is_no_stage():
    assert base_images(MULTI_STAGE, {}) == ["busybox", "reg.example.com:5000/other:v1",
                                            "reg.example.com:5000/other:latest"]


def test_base_images_see_build_args_as_the_engine_does():
    found = base_images(MULTI_STAGE, {"BASE": "10.0.0.9:5000/mine", "TAG": "v2"})
    assert found[0] == "10.0.0.9:5000/mine" and found[-1] == "reg.example.com:5000/other:v2"


def test_check_bases_refuses_another_apps_registry_image_in_one_line():
    text = "FROM busybox AS a\nFROM 10.0.0.9:5000/other:git-1234abcd\n"
    with pytest.raises(BuildFailed) as caught:
        check_bases(text, {}, "mine", "10.0.0.9:5000", set())
    assert str(caught.value).startswith("Dockerfile refused: Image '10.0.0.9:5000/other:git-1234abcd' is app "
                                        "'other''s build in the platform registry")
    check_bases("FROM 10.0.0.9:5000/mine:git-1234abcd\n", {}, "mine", "10.0.0.9:5000", set())


def test_check_bases_refuses_a_loopback_registry_also_through_a_build_arg():
    with pytest.raises(BuildFailed, match="is a loopback address"):
        check_bases("ARG BASE\nFROM $BASE\n", {"BASE": "127.0.0.1:8088/x"}, "mine", "10.0.0.9:5000", set())

from builder.dockerfile import build_args, declared_args


def test_only_config_values_the_dockerfile_declares_become_build_args():
    text = "FROM x\nARG GREETING\n  arg token=default\nRUN echo\n"
    assert declared_args(text) == {"GREETING", "token"}
    assert build_args(text, {"GREETING": "hi", "SECRET": "s", "token": "t"}) == {"GREETING": "hi", "token": "t"}

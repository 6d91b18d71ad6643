"""A build that needs a registry (on a cluster) waits for one, then refuses; on one host it goes on without."""

import io

import pytest

from builder import build
from builder.output import Output


class Keys(dict):
    """etcd as the builder reads it: ``get(key)``; the registry appears after ``after`` reads."""

    def __init__(self, after: int | None):
        super().__init__()
        self.after, self.reads = after, 0

    def get(self, key, default=None):
        self.reads += 1
        if self.after is not None and self.reads > 2 * self.after:  # host and port per lookup
            return {"/deis/registry/host": "10.0.0.2", "/deis/registry/port": "5000"}.get(key, default)
        return default


def tools(etcd, required: bool) -> build.Tools:
    return build.Tools(hooks=None, api=None, etcd=etcd, repos=None, stack_image="", require_registry=required)


def test_one_host_builds_without_a_registry_and_says_nothing():
    out = io.BytesIO()
    assert build._registry(tools(Keys(after=None), required=False), Output(out)) is None
    assert out.getvalue() == b""


def test_a_cluster_build_waits_for_the_registry_to_be_announced(monkeypatch):
    monkeypatch.setattr(build.time, "sleep", lambda seconds: None)
    out = io.BytesIO()
    assert build._registry(tools(Keys(after=3), required=True), Output(out)) == "10.0.0.2:5000"
    assert b"Waiting for the registry to be announced" in out.getvalue()


def test_a_cluster_build_refuses_the_push_when_no_registry_comes():
    with pytest.raises(build.NoRegistry, match="push again once 'deisctl status registry'"):
        build._registry(tools(Keys(after=None), required=True), Output(io.BytesIO()), wait=0.01)

"""Small pure parts of the registry daemon: child environment, access-log lines, GC output, RESP."""

from deis import keys
from registry import cache, collector, process


def test_child_environment_hides_aws_ca_bundle():
    environ = {"AWS_CA_BUNDLE": "/etc/ssl/ca.pem", "PATH": "/usr/bin", "DEIS_ETCD": "x"}
    assert process.child_environment(environ) == {"PATH": "/usr/bin", "DEIS_ETCD": "x"}


def test_requests_are_recognised_in_the_access_log():
    assert process.is_request('127.0.0.1 - - [22/Nov/2026:06:59:27 +0000] "PUT /v2/app/manifests/v1 HTTP/1.1" 201 0')
    assert not process.is_request('time="…" level=info msg="listening on 127.0.0.1:5000"')


def test_collector_summary_and_command_line():
    output = "app: marking manifest sha256:1\n3 blobs marked, 4 blobs and 1 manifests eligible for deletion\n"
    assert collector.summary(output) == (3, 4, 1)
    assert collector.summary("nothing") == (0, 0, 0)
    assert collector.collect_argv("docker-registry", "/c.yml", True) == [
        "docker-registry", "garbage-collect", "--delete-untagged", "/c.yml"]
    assert collector.collect_argv("docker-registry", "/c.yml", False) == [
        "docker-registry", "garbage-collect", "/c.yml"]


def test_redis_commands_are_resp_arrays():
    assert cache.command("SELECT", "1") == b"*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n"


def test_registry_keys():
    assert keys.registry_gc_request() == "/deis/registry/gcRequested"
    assert keys.redis("port") == "/deis/redis/port"

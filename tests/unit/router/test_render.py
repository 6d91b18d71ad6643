from pathlib import Path

from router import model
from router.render import NginxPaths, Ports, render

PATHS = NginxPaths(Path("/r"))


def conf(snapshot):
    return render(model.build(snapshot), Ports(), PATHS)


def test_app_with_backends_gets_an_upstream_and_websocket_proxying():
    text = conf({"/deis/services/web1/web1_v1.web.1": "172.17.0.2:5000"})
    assert "upstream app-web1 {\n        server 172.17.0.2:5000" in text
    assert r"server_name ~^web1\.(?<domain>.+)$;" in text
    assert "proxy_set_header Upgrade $http_upgrade;" in text
    assert "proxy_next_upstream error timeout http_502 http_503 http_504;" in text


def test_app_without_backends_answers_503_and_unknown_hosts_404():
    text = conf({"/deis/services/empty": ""})
    assert "upstream app-empty" not in text
    block = text[text.index("# app empty"):]
    assert "return 503;" in block
    assert "listen 80 default_server;" in text


def test_builder_stream_only_when_builder_is_announced():
    assert "stream {" not in conf({})
    text = conf({"/deis/builder/host": "127.0.0.1", "/deis/builder/port": "2223"})
    assert "listen 2222;" in text and "server 127.0.0.1:2223 max_fails=1 fail_timeout=10s;" in text


def test_every_controller_and_builder_instance_is_a_server_that_a_failed_connect_passes_over():
    text = conf({"/deis/controller/hosts/10.0.1.3:8000": "10.0.1.3:8000",
                 "/deis/controller/hosts/10.0.1.4:8000": "10.0.1.4:8000",
                 "/deis/builder/hosts/10.0.1.5:2223": "10.0.1.5:2223",
                 "/deis/builder/hosts/10.0.1.6:2223": "10.0.1.6:2223"})
    controller = text[text.index("upstream deis-controller"):]
    assert "server 10.0.1.3:8000 max_fails=1 fail_timeout=10s;\n        server 10.0.1.4:8000 max_fails=1" in controller
    api = text[text.index("server_name ~^deis"):]
    assert "proxy_next_upstream error timeout http_502 http_504;" in api[:api.index("proxy_pass")]
    assert "non_idempotent" not in text
    stream = text[text.index("stream {"):]
    assert "server 10.0.1.5:2223 max_fails=1" in stream and "server 10.0.1.6:2223 max_fails=1" in stream
    assert "proxy_next_upstream on;" in stream


def test_whitelist_renders_allow_then_deny():
    text = conf({"/deis/services/web1/web1_v1.web.1": "172.17.0.2:5000",
                 "/deis/config/web1/deis_whitelist": "10.0.0.0/8"})
    assert "allow 10.0.0.0/8;\n        deny all;" in text


def test_settings_reach_nginx():
    text = conf({"/deis/router/bodySize": "20m", "/deis/router/gzip": "off", "/deis/router/affinityArg": "sid",
                 "/deis/services/web1/web1_v1.web.1": "172.17.0.2:5000"})
    assert "client_max_body_size 20m;" in text
    assert "gzip on;" not in text
    assert "hash $arg_sid consistent;" in text


def test_an_app_backend_that_does_not_accept_within_the_connect_timeout_is_passed_over():
    """A cut-off host's backend costs each request the app connect timeout (1.5 s), not v1's 30 s."""
    app = {"/deis/services/web1/web1_v1.web.1": "172.17.0.2:5000"}
    block = conf(app)[conf(app).index("# app web1"):]
    assert "proxy_connect_timeout 1500ms;" in block
    assert "proxy_next_upstream error timeout" in block
    text = conf({**app, "/deis/router/app/timeout/connect": "400"})
    assert "proxy_connect_timeout 400ms;" in text[text.index("# app web1"):]
    refused = model.build({**app, "/deis/router/app/timeout/connect": "0; include /etc/passwd"})
    assert "proxy_connect_timeout 1500ms;" in render(refused, Ports(), PATHS)
    assert any("app/timeout/connect" in error for error in refused.errors), refused.errors


def test_the_controllers_timeouts_are_v1s_keys_with_a_short_connect():
    controller = {"/deis/controller/hosts/10.0.1.3:8000": "10.0.1.3:8000"}
    api = conf(controller)[conf(controller).index("server_name ~^deis"):]
    assert "proxy_connect_timeout 1500ms;" in api
    assert "proxy_send_timeout 20m;" in api and "proxy_read_timeout 20m;" in api
    text = conf({**controller, "/deis/router/controller/timeout/connect": "3s",
                 "/deis/router/controller/timeout/read": "1h"})
    api = text[text.index("server_name ~^deis"):]
    assert "proxy_connect_timeout 3s;" in api and "proxy_read_timeout 1h;" in api
    refused = model.build({**controller, "/deis/router/controller/timeout/send": "5s; return 200"})
    assert "proxy_send_timeout 20m;" in render(refused, Ports(), PATHS)

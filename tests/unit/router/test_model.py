from router import model

APP = "/deis/services/web1/web1_v1.web.1"


def test_services_become_backends_and_markers_make_apps_known():
    table = model.build({APP: "172.17.0.2:5000", "/deis/services/empty": ""})
    assert table.apps["web1"].backends == ["172.17.0.2:5000"]
    assert table.apps["empty"].backends == []
    assert table.errors == []


def test_malformed_values_are_skipped_and_reported_without_hurting_others():
    table = model.build({
        APP: "172.17.0.2:5000",
        "/deis/services/web1/web1_v1.web.2": "nope",
        "/deis/services/web1/web1_v1.web.3": "10.0.0.1:99999",
        "/deis/services/Bad_App/x": "1.2.3.4:80",
        "/deis/domains/bad_domain!.com": "web1",
        "/deis/domains/www.example.com": "web1",
        "/deis/domains/orphan.example.com": "ghost",
        "/deis/router/bodySize": "lots",
    })
    assert table.apps["web1"].backends == ["172.17.0.2:5000"]
    assert table.apps["web1"].domains == ["www.example.com"]
    assert "Bad_App" not in table.apps
    assert table.setting("bodySize") == "1m"
    assert len(table.errors) == 6
    assert any("web1_v1.web.2: 'nope' is not host:port" in e for e in table.errors)
    assert any("app 'ghost' does not exist" in e for e in table.errors)


def test_a_huge_or_control_character_value_is_skipped_in_one_short_line():
    table = model.build({APP: "172.17.0.2:5000", "/deis/services/web1/huge": "9" * 200_000,
                         "/deis/services/web1/ctl": "10.0.0.1:80\r\nserver 127.0.0.1:1;\x00"})
    assert table.apps["web1"].backends == ["172.17.0.2:5000"]
    assert len(table.errors) == 2
    assert all(len(error) < 200 and "\n" not in error for error in table.errors), table.errors
    assert any("(200000 characters)" in error for error in table.errors)


def test_whitelist_parses_cidrs_and_labels_and_reports_garbage():
    networks, bad = model.parse_whitelist("10.0.0.0/8:office, 1.2.3.4,not-an-ip")
    assert networks == ["10.0.0.0/8", "1.2.3.4/32"]
    assert bad == ["not-an-ip"]


def test_app_whitelist_comes_from_its_config_key():
    table = model.build({APP: "172.17.0.2:5000", "/deis/config/web1/deis_whitelist": "10.0.0.0/8"})
    assert table.apps["web1"].whitelist == ["10.0.0.0/8"]


def test_certificates_need_both_parts_and_pass_the_check():
    snapshot = {
        "/deis/certs/a.example.com/cert": "C", "/deis/certs/a.example.com/key": "K",
        "/deis/certs/b.example.com/cert": "C",
        "/deis/certs/c.example.com/cert": "BAD", "/deis/certs/c.example.com/key": "K",
    }
    table = model.build(snapshot, cert_check=lambda cert, key: "does not parse" if cert == "BAD" else None)
    assert list(table.certs) == ["a.example.com"]
    assert any("b.example.com: certificate or key missing" in e for e in table.errors)
    assert any("c.example.com: does not parse" in e for e in table.errors)


def test_controller_and_builder_upstreams():
    table = model.build({"/deis/controller/host": "127.0.0.1", "/deis/controller/port": "8000",
                         "/deis/builder/host": "127.0.0.1"})
    assert table.controller == ["127.0.0.1:8000"]
    assert table.builder == []


def test_every_announced_instance_is_an_upstream_server_once():
    table = model.build({"/deis/controller/hosts/10.0.1.3:8000": "10.0.1.3:8000",
                         "/deis/controller/hosts/10.0.1.4:8000": "10.0.1.4:8000",
                         "/deis/controller/host": "10.0.1.3", "/deis/controller/port": "8000",
                         "/deis/builder/hosts/10.0.1.5:2223": "10.0.1.5:2223",
                         "/deis/builder/hosts/junk": "no port"})
    assert table.controller == ["10.0.1.3:8000", "10.0.1.4:8000"]
    assert table.builder == ["10.0.1.5:2223"]


def test_enforce_https_follows_hsts_unless_set():
    assert not model.build({}).enforce_https
    assert model.build({"/deis/router/hsts/enabled": "true"}).enforce_https
    assert not model.build({"/deis/router/hsts/enabled": "true", "/deis/router/enforceHTTPS": "false"}).enforce_https


# custom domains never shadow platform hostnames (issue 12, hostname takeover)

TAKEOVER = {
    APP: "172.17.0.2:5000",
    "/deis/services/victim/victim_v1.web.1": "172.17.0.3:5000",
    "/deis/platform/domain": "example.com",
    "/deis/domains/deis.example.com": "web1",
    "/deis/domains/victim.example.com": "web1",
    "/deis/domains/web1.example.com": "web1",
    "/deis/domains/www.example.org": "web1",
}


def test_a_custom_domain_never_takes_the_controllers_or_another_apps_hostname():
    table = model.build(TAKEOVER)
    assert table.apps["web1"].domains == ["web1.example.com", "www.example.org"]
    assert table.apps["victim"].domains == []
    assert table.apps["web1"].backends == ["172.17.0.2:5000"]
    assert len(table.errors) == 2
    assert any("deis.example.com is the hostname of the controller, not a custom domain of 'web1'" in e
               for e in table.errors)
    assert any("victim.example.com is the hostname of the app 'victim'" in e for e in table.errors)


def test_without_a_platform_domain_any_suffix_counts_as_the_nginx_regexes_do():
    snapshot = {k: v for k, v in TAKEOVER.items() if k != "/deis/platform/domain"}
    snapshot["/deis/domains/deis.example.net"] = "web1"
    table = model.build(snapshot)
    assert table.apps["web1"].domains == ["web1.example.com", "www.example.org"]
    assert len(table.errors) == 3

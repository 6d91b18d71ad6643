"""deis domains, domains:add, domains:remove, certs, certs:add/info/remove — real controller."""

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

pytest_plugins = ["tests.integration.cli_conftest"]


@pytest.fixture
def myapp(alice, controller):
    controller.require("POST", "/v1/apps/myapp/domains/")
    assert alice("create", "myapp", "--no-remote").exit_code == 0
    return "myapp"


def self_signed(folder, common_name):
    """Write a self-signed cert and key for ``common_name``; return their paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "server.crt", folder / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


# deis domains:add, domains:list, domains:remove
def test_domains_add_list_remove(alice, myapp):
    result = alice("domains:add", "www.example.org", "-a", myapp)
    assert result.exit_code == 0, result.output
    assert result.stdout == "Adding www.example.org to myapp... done\n"
    assert alice("domains", "-a", myapp).stdout == "=== myapp Domains\nwww.example.org\n"
    assert alice("domains:remove", "www.example.org", "-a", myapp).stdout == \
        "Removing www.example.org from myapp... done\n"
    assert alice("domains", "-a", myapp).stdout == "=== myapp Domains\n"


def test_domains_add_invalid_is_400(alice, myapp):
    result = alice("domains:add", "not a domain", "-a", myapp)
    assert result.exit_code == 1 and "400 BAD REQUEST" in result.stderr


# deis certs:add, certs:list, certs:info, certs:remove
def test_certs_add_list_info_remove(alice, controller, cli_env, myapp):
    controller.require("POST", "/v1/certs/")
    assert alice("domains:add", "www.example.org", "-a", myapp).exit_code == 0
    cert, key = self_signed(cli_env, "www.example.org")
    result = alice("certs:add", cert, key)
    assert result.exit_code == 0, result.output
    assert result.stdout == "Adding SSL endpoint... done\nwww.example.org\n"
    lines = alice("certs").stdout.splitlines()
    assert lines[0].startswith("Common Name") and lines[2].startswith("www.example.org  ")
    assert alice("certs:info", "www.example.org").stdout.startswith("=== www.example.org Certificate\n")
    assert alice("certs:remove", "www.example.org").stdout == "Removing www.example.org... done\n"
    assert alice("certs").stdout == "No certs\n"


def test_certs_add_wildcard_is_refused(alice, controller, cli_env):
    controller.require("POST", "/v1/certs/")
    cert, key = self_signed(cli_env, "*.example.org")
    result = alice("certs:add", cert, key)
    assert result.exit_code == 1 and "400 BAD REQUEST" in result.stderr

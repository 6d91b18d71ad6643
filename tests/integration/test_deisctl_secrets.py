"""Secrets on disk and in etcd (issue 12, item 9), on the platform as deisctl starts it.

Everything under the data directory is private to the platform, and etcd
answers nobody without the root password deisctl keeps in the data directory.
"""

from __future__ import annotations

import base64
import stat
import subprocess
from pathlib import Path

import pytest
import requests

from deis import etcdauth, keys
from tests.platform import Deisctl, isolated_platform

#: Paths (relative to the data dir) another user may pass through, and why.
TRAVERSABLE = {
    ".": "the postgres user passes through it to <data>/database and the store's WAL folder",
    "store": "the postgres user passes through it to store/database/wal (the WAL archiver)",
}
#: Top-level folders not walked, and why.
NOT_WALKED = {"docker": "dockerd's own data root (image layers keep their modes); empty when the engine is external"}
#: etcd keys holding secrets a process on the host must not read without the password.
SECRET_KEYS = (keys.component("controller", "builderKey"), keys.component("controller", "secretKey"),
               keys.component("database", "password"))


@pytest.fixture
def deisctl():
    with isolated_platform("deis-secrets-") as ctl:
        yield ctl


def anonymous_range(ctl: Deisctl, key: str, prefix: bool = False) -> requests.Response:
    """``curl <etcd>/v3/kv/range`` without credentials, as any process on the host could."""
    body = {"key": base64.b64encode(key.encode()).decode()}
    if prefix:
        body["range_end"] = base64.b64encode(key[:-1].encode() + bytes([ord(key[-1]) + 1])).decode()
    return requests.post(f"{ctl.environ['DEIS_ETCD']}/v3/kv/range", json=body, timeout=5)


def assert_refused(answer: requests.Response) -> None:
    assert answer.status_code == 400 and "user name is empty" in answer.text, answer.text
    assert "kvs" not in answer.json()


def exposed(root: Path) -> list[str]:
    """Return every path under ``root`` that others may read, write or (unlisted) pass through."""
    found = []
    for path in [root, *sorted(root.rglob("*"))]:
        relative = str(path.relative_to(root))
        if relative.split("/")[0] in NOT_WALKED:
            continue
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode) or stat.S_ISSOCK(mode):
            continue
        others = mode & 0o007
        allowed = 0o001 if stat.S_ISDIR(mode) and relative in TRAVERSABLE else 0
        if others & ~allowed:
            found.append(f"{relative} {stat.filemode(mode)}")
    return found


def test_etcd_requires_the_root_password_and_an_open_etcd_is_upgraded_in_place(deisctl):
    deisctl("install", "etcd")
    started = deisctl("start", "etcd")
    assert "etcd: authentication enabled" in started.stdout
    password_file = deisctl.root / "secrets" / "etcd-root-password"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(password_file.parent.stat().st_mode) == 0o700
    deisctl("config", "controller", "set", "builderKey=s3cret")
    assert_refused(anonymous_range(deisctl, keys.component("controller", "builderKey")))
    assert_refused(anonymous_range(deisctl, keys.ROOT, prefix=True))
    assert deisctl.etcd.get(keys.component("controller", "builderKey")) == "s3cret"

    # Idempotent: a second start changes nothing and says nothing about it.
    again = deisctl("start", "etcd")
    assert "authentication enabled" not in again.stdout
    assert deisctl("config", "controller", "get", "builderKey").stdout.strip() == "s3cret"

    # An etcd from before (no auth, no root user, no password file) is secured by the next start.
    _open_up(deisctl, password_file)
    deisctl("stop", "etcd")
    upgraded = deisctl("start", "etcd")
    assert "etcd: authentication enabled" in upgraded.stdout
    assert password_file.is_file()
    assert_refused(anonymous_range(deisctl, keys.component("controller", "builderKey")))
    assert deisctl.etcd.get(keys.component("controller", "builderKey")) == "s3cret"


def _open_up(ctl: Deisctl, password_file: Path) -> None:
    """Turn etcd's authentication off and forget the password: an etcd as earlier versions left it."""
    endpoint = f"{ctl.environ['DEIS_ETCD']}/v3"
    token = etcdauth.authenticate(ctl.environ["DEIS_ETCD"], password_file.read_text().strip(), 5)
    requests.post(f"{endpoint}/auth/disable", json={}, headers={"Authorization": token}, timeout=5).raise_for_status()
    requests.post(f"{endpoint}/auth/user/delete", json={"name": "root"}, timeout=5).raise_for_status()
    password_file.unlink()
    assert anonymous_range(ctl, keys.component("controller", "builderKey")).status_code == 200


def test_platform_files_are_private_and_etcd_secrets_need_the_password(deisctl, base_image, tmp_path):
    deisctl("config", "platform", "set", "domain=deis.localhost")
    deisctl("install", "platform")
    deisctl("start", "platform")
    _use(deisctl, base_image, tmp_path)

    root = deisctl.root
    assert stat.S_IMODE(root.stat().st_mode) == 0o711
    for part in ("store/database/base", "store/database/wal", "store/logs", "registry", "builder", "etcd/member"):
        assert any((root / part).iterdir()), f"{part} is empty: the test did not exercise it"
    assert exposed(root) == []

    for key in SECRET_KEYS:
        assert deisctl.etcd.get(key), key
        assert_refused(anonymous_range(deisctl, key))
    assert_refused(anonymous_range(deisctl, keys.certs(), prefix=True))
    assert_refused(anonymous_range(deisctl, keys.ROOT, prefix=True))


def _use(ctl: Deisctl, image: str, tmp_path: Path) -> None:
    """Register, create an app (its events reach the logs) and git push to it (a repository, a registry blob)."""
    api = f"http://127.0.0.1:{ctl.environ['DEIS_CONTROLLER_PORT']}"
    user = {"username": "walker", "password": "pw pw pw pw", "email": "walker@example.com"}
    assert requests.post(f"{api}/v1/auth/register/", json=user, timeout=30).status_code == 201
    token = requests.post(f"{api}/v1/auth/login/", json=user, timeout=30).json()["token"]
    auth = {"Authorization": f"token {token}"}
    assert requests.post(f"{api}/v1/apps/", json={"id": "walk"}, headers=auth, timeout=30).status_code == 201
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    public = key.with_suffix(".pub").read_text().strip()
    added = requests.post(f"{api}/v1/keys/", json={"id": "walker@test", "public": public}, headers=auth, timeout=30)
    assert added.status_code == 201, added.text
    repo = tmp_path / "walk"
    repo.mkdir()
    (repo / "Dockerfile").write_text(f'FROM {image}\nCMD ["sleep", "600"]\n')
    git = ["git", "-c", "user.name=T", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "master"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "app"], cwd=repo, check=True)
    ssh = (f"ssh -i {key} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
           "-o LogLevel=ERROR -o BatchMode=yes")
    url = f"ssh://git@127.0.0.1:{ctl.environ['DEIS_BUILDER_PORT']}/walk.git"
    pushed = subprocess.run(["git", "push", url, "master"], cwd=repo, capture_output=True, text=True, timeout=300,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GIT_SSH_COMMAND": ssh})
    # Whether the app then answers is not this test's business: the repository and the image exist.
    assert "Pushing image to private registry" in pushed.stderr, pushed.stderr

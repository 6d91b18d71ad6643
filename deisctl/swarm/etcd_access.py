"""How deisctl and the platform's tasks reach the cluster's etcd: which members, and the root password.

**Which members.** deisctl talks to the cluster's etcd at ``DEIS_ETCD`` when
it is set (the members as this machine reaches them), else at the cluster's
``etcd`` setting, else at every node's member, ``http://<node address>:<etcd
port>`` — where the tasks find them too (:mod:`deisctl.swarm.specs`).

**The root password.** etcd requires it, and each platform task reads it from a Docker secret.

On one host deisctl turns on etcd's authentication at the first start
(:meth:`deisctl.platform.Platform.secure_etcd`; :mod:`deis.etcdauth` says
why the secrets stay in etcd). A cluster needs it more: its etcd members
listen on the nodes' addresses, which every task reaches through its node's
``docker_gwbridge`` — app containers too. Without a password any tenant's
process could read the builder key, the controller's secret key, the
database password and the store's keys out of ``/deis/``.

So ``deisctl start`` on a cluster (:func:`ensure`):

* takes the root password from where the single-host platform keeps it
  (``DEIS_ETCD_PASSWORD``, ``DEIS_ETCD_PASSWORD_FILE`` or
  ``<data dir>/secrets/etcd-root-password``), writing a new one there the first time;
* turns on etcd's authentication with it (idempotent: on an etcd that
  already requires it, only checks that the password is accepted);
* keeps it in the Docker secret ``deis-etcd-password-<hash>``: Swarm stores
  secrets encrypted in its raft log and gives them only to the tasks of the
  services that name them, as a root-only file under ``/run/secrets``
  (never in a task's environment, which ``docker inspect`` shows). A secret
  cannot change, so the name carries a hash of the password: a new password
  makes a new secret, every spec changes, and ``start`` rolls the services,
  then removes the old secret (:func:`remove_old`).

:func:`with_password` (pure) mounts it into a service spec and points
``DEIS_ETCD_PASSWORD_FILE`` at it. Apps' services never get it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping

import docker

from deis import etcdauth
from deis.errors import ConfigurationError
from deis.etcd import Etcd
from deisctl.swarm import rows, specs

#: Docker secrets holding the password are named this, then a hash of it.
SECRET_PREFIX = "deis-etcd-password-"
#: Where a task finds the password.
TARGET = "/run/secrets/deis-etcd-password"


def etcd_endpoint(settings: specs.Settings, nodes: Iterable[Mapping], environ: Mapping[str, str]) -> str:
    """The etcd members deisctl talks to on a cluster: ``DEIS_ETCD``, else the setting, else every node's (pure)."""
    if environ.get("DEIS_ETCD"):
        return environ["DEIS_ETCD"]
    if settings.etcd:
        return settings.etcd
    addresses = sorted({rows.node_address(node) for node in nodes} - {"?"})
    if not addresses:
        raise ConfigurationError("no node of the cluster has an address to reach etcd at; "
                                 "set DEIS_ETCD=http://<member>:2379")
    return ",".join(f"http://{address}:{settings.etcd_port}" for address in addresses)


def secret_name(password: str) -> str:
    """The Docker secret's name for ``password``: a new password, a new secret (pure)."""
    return SECRET_PREFIX + hashlib.sha256(password.encode()).hexdigest()[:12]


def with_password(spec: Mapping, secret_id: str, name: str) -> dict:
    """``spec`` with the password's secret mounted at :data:`TARGET` and ``DEIS_ETCD_PASSWORD_FILE`` set (pure)."""
    template = dict(spec["TaskTemplate"])
    container = dict(template["ContainerSpec"])
    environment = [line for line in container.get("Env", []) if not line.startswith("DEIS_ETCD_PASSWORD")]
    container["Env"] = sorted([*environment, f"DEIS_ETCD_PASSWORD_FILE={TARGET}"])
    others = [entry for entry in container.get("Secrets", []) if not entry["SecretName"].startswith(SECRET_PREFIX)]
    container["Secrets"] = [*others, {"SecretID": secret_id, "SecretName": name,
                                      "File": {"Name": os.path.basename(TARGET), "UID": "0", "GID": "0",
                                               "Mode": 0o400}}]
    template["ContainerSpec"] = container
    return specs.hashed({**spec, "TaskTemplate": template})


def newest_secret(api: docker.APIClient) -> tuple[str, str] | None:
    """ID and name of the newest password secret (the one :func:`ensure` made last), or None before any."""
    found = [secret for secret in api.secrets(filters={"name": SECRET_PREFIX})
             if secret["Spec"]["Name"].startswith(SECRET_PREFIX)]
    if not found:
        return None
    newest = max(found, key=lambda secret: secret["CreatedAt"])
    return newest["ID"], newest["Spec"]["Name"]


def remove_old(api: docker.APIClient, keep: str) -> list[str]:
    """Remove the password secrets but ``keep`` that no service names any more; return their names.

    Docker refuses to remove a secret a service still names (a service
    ``start`` has not rolled yet): that one stays for a later ``start``.
    """
    removed = []
    for secret in api.secrets(filters={"name": SECRET_PREFIX}):
        name = secret["Spec"]["Name"]
        if not name.startswith(SECRET_PREFIX) or name == keep:
            continue
        try:
            api.remove_secret(secret["ID"])
        except docker.errors.APIError:
            continue
        removed.append(name)
    return removed


def ensure(api: docker.APIClient, etcd: Etcd, environ: Mapping[str, str]) -> tuple[str, str, bool]:
    """Require the password on ``etcd`` and keep it in a Docker secret.

    Return the secret's ID and name, and whether authentication was turned on now.
    """
    chosen = etcdauth.ensure_password(environ)
    enabled = etcd.enable_auth(chosen)
    name = secret_name(chosen)
    found = [secret["ID"] for secret in api.secrets(filters={"name": name}) if secret["Spec"]["Name"] == name]
    if found:
        return found[0], name, enabled
    try:
        return api.create_secret(name, chosen.encode(), labels={specs.COMPONENT_LABEL: "etcd"})["ID"], name, enabled
    except docker.errors.APIError:
        found = [secret["ID"] for secret in api.secrets(filters={"name": name}) if secret["Spec"]["Name"] == name]
        if found:  # another deisctl made it meanwhile
            return found[0], name, enabled
        raise

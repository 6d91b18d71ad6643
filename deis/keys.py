"""Every etcd key path of the platform, in one place.

Components never spell a ``/deis/`` path themselves: they call these functions,
so the key map of DESIGN.md §3 lives here and nowhere else (a test fails when a
``/deis/`` literal appears outside this module).
"""

from collections.abc import Mapping

ROOT = "/deis/"


def component(name: str, setting: str = "") -> str:
    """Return ``/deis/<component>/`` or ``/deis/<component>/<setting>``."""
    return f"{ROOT}{name}/{setting}"


def host(name: str) -> str:
    """Return the leased key a component announces its host on."""
    return component(name, "host")


def port(name: str) -> str:
    """Return the leased key a component announces its port on."""
    return component(name, "port")


def instances(name: str) -> str:
    """Return the prefix under which every running instance of a component announces itself.

    ``/deis/<component>/hosts/<host:port>`` = ``host:port``, one leased key per
    instance (v1's registry announced every instance under ``hosts/`` too):
    replicas never overwrite each other's, and one that stops withdraws only
    its own. A single host is a set of one.
    """
    return component(name, "hosts/")


def instance(name: str, address: str) -> str:
    """Return the leased key of the instance of a component serving at ``address`` (``host:port``)."""
    return f"{instances(name)}{address}"


def addresses(snapshot: Mapping[str, str], name: str) -> list[tuple[str, int]]:
    """Return every ``(host, port)`` component ``name`` announced in a ``{key: value}`` snapshot, sorted, once each.

    Every :func:`instances` value, plus v1's single ``/host`` + ``/port`` pair
    (held by one instance; written by hand by v1-era tools and tests). Values
    that are not ``host:port`` are left out; the router checks them further.
    """
    found = set()
    for key, value in snapshot.items():
        if key.startswith(instances(name)):
            address, _, number = (value or "").strip().rpartition(":")
            if address and number.isdigit():
                found.add((address, int(number)))
    single_host, single_port = snapshot.get(host(name)), snapshot.get(port(name))
    if single_host and single_port and single_port.isdigit():
        found.add((single_host, int(single_port)))
    return sorted(found)


def logger_http_port() -> str:
    """Return the leased key of the logger's HTTP API port (``/port`` is its syslog port)."""
    return component("logs", "httpPort")


def builder_host_key(algorithm: str = "ed25519") -> str:
    """Return the key holding the builder's SSH host key (PEM/OpenSSH text) for ``algorithm``.

    Every builder reads it (the first one to start writes it), so all builders
    present the same host key, as Deis v1's ``/deis/builder/sshHost<Type>Key`` did.
    """
    return component("builder", f"sshHost{algorithm.capitalize()}Key")


def platform(setting: str = "") -> str:
    """Return ``/deis/platform/<setting>`` (``domain``, ``sshPrivateKey``, …)."""
    return component("platform", setting)


def services(app: str = "") -> str:
    """Return the prefix of an app's routable containers (or of all apps)."""
    return f"{ROOT}services/{app}/" if app else f"{ROOT}services/"


def app_marker(app: str) -> str:
    """Return the key the controller writes while an app exists (v1's services dir).

    The router serves ``503`` for a known app without routes and ``404`` for
    an unknown host; this key is how it knows the app.
    """
    return f"{ROOT}services/{app}"


def service(app: str, container: str) -> str:
    """Return the key a publisher writes ``ip:port`` of one container to."""
    return f"{services(app)}{container}"


def draining_markers() -> str:
    """Return the prefix of every draining marker."""
    return f"{ROOT}draining/"


def draining(app: str, container: str) -> str:
    """Return the leased marker the scheduler writes before stopping a container.

    The publisher never (re-)announces a container that has this marker, so a
    withdrawn route stays withdrawn while the container finishes its requests.
    """
    return f"{draining_markers()}{app}/{container}"


def domains() -> str:
    """Return the prefix of custom domains."""
    return f"{ROOT}domains/"


def domain(name: str) -> str:
    """Return the key mapping a custom domain to its app."""
    return f"{domains()}{name}"


def certs() -> str:
    """Return the prefix of TLS certificates."""
    return f"{ROOT}certs/"


def cert(common_name: str, part: str) -> str:
    """Return ``/deis/certs/<cn>/cert`` or ``/key``."""
    return f"{certs()}{common_name}/{part}"


def app_configs() -> str:
    """Return the prefix of every app's router/publisher-relevant config."""
    return f"{ROOT}config/"


def app_config(app: str, key: str = "") -> str:
    """Return the key of a router/publisher-relevant config value (lower-cased)."""
    return f"{app_configs()}{app}/{key.lower()}"


def router_host(host_name: str) -> str:
    """Return the key a router records its applied etcd revision under."""
    return component("router", f"hosts/{host_name}")


def router_errors(host_name: str) -> str:
    """Return the key a router reports the etcd values it had to skip under."""
    return component("router", f"errors/{host_name}")


def registry_gc_request() -> str:
    """Return the key image hygiene writes to ask the registry for a garbage collection.

    The registry collects once it has been idle for a while, then deletes the key.
    """
    return component("registry", "gcRequested")


def redis(setting: str) -> str:
    """Return ``/deis/redis/<setting>`` (``host``, ``port``): where the registry finds its cache."""
    return component("redis", setting)


def lock(name: str) -> str:
    """Return the key of a platform-wide lock."""
    return f"{ROOT}locks/{name}"


def leader(name: str, duty: str) -> str:
    """Return the leased key held by the one replica of component ``name`` that does ``duty``.

    ``/deis/controller/leader/reconcile``: the controller replica whose scheduler
    reconcile loop acts (:mod:`controller.reconciler`); the others stand by.
    """
    return component(name, f"leader/{duty}")


def store_cluster(name: str) -> str:
    """Return ``/deis/store/<name>``: ``fsid``, ``monKeyring``, ``adminKeyring``, ``gatewayKeyring``, … (v1 names)."""
    return component("store", name)


def store_gateway(name: str) -> str:
    """Return ``/deis/store/gateway/<name>``: ``host``, ``port``, ``accessKey``, ``secretKey``."""
    return component("store", f"gateway/{name}")


def store_health() -> str:
    """Return the key ``deis-store`` reports Ceph's health under (``HEALTH_OK``, …)."""
    return component("store", "health")


def database_init_id() -> str:
    """Return ``/deis/database/initId``: the id of the data directory this platform uses (v1)."""
    return component("database", "initId")


def database_archive(name: str) -> str:
    """Return ``/deis/database/archive/<name>``: WAL archiving status (``failed``, ``lastArchived``, …)."""
    return component("database", f"archive/{name}")


def relative(key: str, prefix: str) -> str:
    """Return ``key`` with ``prefix`` removed (``ValueError`` if it lacks it)."""
    if not key.startswith(prefix):
        raise ValueError(f"{key!r} is not under {prefix!r}")
    return key[len(prefix):]

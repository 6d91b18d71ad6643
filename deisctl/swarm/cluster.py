"""The platform's services on a Swarm, driven through any manager's Docker API.

:class:`Cluster` is what ``deisctl start|stop|status|journal|list|scale|machines``
call in cluster mode. ``start`` is level-triggered: it builds the desired specs
(:func:`deisctl.swarm.specs.service_specs`) and creates the missing services,
updates the changed ones and leaves equal ones — and their tasks — alone.
``start platform`` goes tier by tier as Deis v1 did (store — when the
cluster's store is ``ceph`` —, logging, control plane, data plane, router)
and waits for each tier's tasks to run before the next. ``stop`` removes the platform's services (those
labelled :data:`~deisctl.swarm.specs.COMPONENT_LABEL`); apps' services are not touched.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping

import docker
import requests

from controller.scheduler.swarm import SwarmScheduler
from deis import etcdauth, keys
from deis.errors import ConfigurationError, DeisError, TemporaryError, ValidationError
from deis.etcd import Etcd
from deisctl.swarm import control_specs, etcd_access, image_refs, rows, specs, state, store_specs
from deisctl.swarm.state import ClusterState

Report = Callable[[str], None]
#: What is not a Swarm service of the platform, and where it runs instead.
LATER = ("etcd runs on the hosts, one member each, as CoreOS's etcd did for Deis v1 (Swarm's own scheduling "
         "needs none of it), and the store is a setting ('deisctl cluster bootstrap ... --store URL', or "
         "--store ceph to run Ceph on the cluster)")
#: Tiers in start order: the store's first (when it is Ceph on the cluster), then v1's.
TIERS = (store_specs.TIER, *control_specs.TIERS)
#: Every component that runs as a Swarm service, in start order (tier by tier).
ORDER = tuple(component for _, members in TIERS for component in members)


def check_components(names: Iterable[str]) -> list[str]:
    """Turn targets into cluster components (``platform`` or none: all of them); refuse the others."""
    chosen: list[str] = []
    for name in names or ["platform"]:
        if name == "platform":
            chosen += [c for c in ORDER if c not in chosen]
        elif name == "store":
            chosen += [c for c in store_specs.COMPONENTS if c not in chosen]
        elif name in ORDER:
            chosen += [name] if name not in chosen else []
        else:
            raise ValidationError(f"{name!r} is not a Swarm service of this cluster: only "
                                  f"{', '.join(ORDER)} are yet; {LATER}")
    return sorted(chosen, key=ORDER.index)


class Cluster:
    """The Swarm ``deisctl cluster bootstrap`` recorded, and the platform's services on it."""

    def __init__(self, recorded: ClusterState, timeout: float = 30):
        self.recorded = recorded
        self.settings = recorded.settings
        self.url, self.client = self._connect(recorded.managers, timeout)

    @staticmethod
    def _connect(managers: Iterable[str], timeout: float) -> tuple[str, docker.DockerClient]:
        tried = []
        for url in managers:
            with contextlib.suppress(docker.errors.DockerException, requests.RequestException):
                client = docker.DockerClient(base_url=url, timeout=timeout)
                if client.info()["Swarm"].get("ControlAvailable"):
                    return url, client
                client.close()
            tried.append(url)
        raise TemporaryError(f"no Swarm manager answers at {', '.join(tried)}; is a manager host up? "
                             "('deisctl cluster bootstrap' records them)")

    def etcd(self, environ: Mapping[str, str] | None = None) -> Etcd:
        """A client of the cluster's etcd, as deisctl reaches it (:func:`etcd_access.etcd_endpoint`)."""
        environ = os.environ if environ is None else environ
        return Etcd(etcd_access.etcd_endpoint(self.settings, self.nodes(), environ), environ=environ)

    def secure_etcd(self, report: Report = print, environ: Mapping[str, str] | None = None) -> str:
        """Make the cluster's etcd require the root password, and give it to the platform's tasks (a secret).

        Returns the secret's name.
        """
        environ = os.environ if environ is None else environ
        with translated("keeping etcd's root password in a Docker secret"):
            _, name, enabled = etcd_access.ensure(self.client.api, self.etcd(environ), environ)
        if enabled:
            report(f"etcd: authentication enabled (root password in {etcdauth.password_file(environ)} "
                   f"and the Docker secret {name})")
        return name

    def close(self) -> None:
        """Close the connection to the manager."""
        self.client.close()

    # -- desired state -----------------------------------------------------

    def nodes(self) -> list[dict]:
        """The Swarm's nodes as the Engine API describes them."""
        return self.client.api.nodes()

    def desired(self, components: Iterable[str]) -> dict[str, dict]:
        """The desired specs of ``components``, each naming its image by content (:mod:`.image_refs`)."""
        components, nodes = list(components), self.nodes()
        found = [specs.Node(node["ID"], rows.node_address(node)) for node in nodes]
        clients = dataclasses.replace(self.settings, store=store_specs.client_url(self.settings.store))
        wanted = {**specs.service_specs(self.settings, found), **control_specs.control_specs(clients, found)}
        if any(component in store_specs.COMPONENTS for component in components):
            wanted.update(store_specs.store_specs(self.settings, nodes, self.identity_secret()))
        password = etcd_access.newest_secret(self.client.api)  # none before the first 'start'
        if password:
            wanted = {name: etcd_access.with_password(spec, *password) for name, spec in wanted.items()}
        with translated("looking up the images on the manager's engine"):
            return image_refs.pin_all(self.client.api, {component: wanted[component] for component in components})

    def identity_secret(self) -> str:
        """The ID of the Docker secret holding the store's identity; made, once, if there is none.

        A secret cannot change, and ``deisctl`` cannot read it back: the
        identity exists only in the Swarm (see :mod:`deisctl.swarm.store_specs`).
        """
        from store.ceph.layout import Identity

        found = self._secret_id(store_specs.SECRET)
        if found:
            return found
        try:
            return self.client.api.create_secret(store_specs.SECRET, Identity.generate().to_json().encode(),
                                                 labels={specs.COMPONENT_LABEL: "store"})["ID"]
        except docker.errors.APIError:
            found = self._secret_id(store_specs.SECRET)  # another deisctl made it meanwhile: that one holds
            if found:
                return found
            raise

    def _secret_id(self, name: str) -> str | None:
        found = [secret["ID"] for secret in self.client.api.secrets(filters={"name": name})
                 if secret["Spec"]["Name"] == name]
        return found[0] if found else None

    def service(self, component: str) -> dict:
        """The running service of ``component``, or a sentence saying how to start it."""
        found = self.services().get(component)
        if found is None:
            raise ConfigurationError(f"{component} has no service on the cluster; "
                                     f"'deisctl start {component}' starts it")
        return found

    def services(self) -> dict[str, dict]:
        """The platform's services, by component name."""
        found = self.client.api.services(filters={"label": specs.COMPONENT_LABEL})
        return {service["Spec"]["Labels"][specs.COMPONENT_LABEL]: service for service in found}

    # -- start and stop ------------------------------------------------------

    def start(self, components: Iterable[str], report: Report = print, timeout: float = 180) -> specs.Plan:
        """Apply ``components`` tier by tier (v1's order), waiting for each tier's tasks to run."""
        chosen, done = self._with_store(components, report), specs.Plan()
        self.ensure_networks()
        secret = self.secure_etcd(report)
        for tier, members in TIERS:
            wanted = [component for component in members if component in chosen]
            if wanted:
                report(f"{tier}: {', '.join(wanted)}")
                plan = self.apply(wanted, report, timeout)
                done = specs.Plan(done.create + plan.create, done.update + plan.update, done.keep + plan.keep)
        with translated("removing old etcd password secrets"):
            for name in etcd_access.remove_old(self.client.api, keep=secret):
                report(f"etcd: removed the Docker secret {name} of an earlier root password")
        return done

    def _with_store(self, components: Iterable[str], report: Report) -> list[str]:
        """``components`` without the store's daemons unless the cluster's store is Ceph; refuse only those."""
        chosen = list(components)
        if store_specs.runs_ceph(self.settings):
            return chosen
        others = [component for component in chosen if component not in store_specs.COMPONENTS]
        if chosen and not others:
            raise ValidationError(f"the store runs on the cluster only when its store is ceph ('deisctl config "
                                  f"store set url=ceph'); this cluster's store is {self.settings.store or 'not set'}")
        if len(others) < len(chosen):
            report(f"store: {self.settings.store or 'not set'} (not run on the cluster)")
        return others

    def ensure_networks(self) -> None:
        """Create the apps' overlay and the platform's overlay unless they exist."""
        with translated("creating the overlays"):
            SwarmScheduler(manager=self.url, network=self.settings.network).ensure_network()
            self._ensure_platform_network()

    def _ensure_platform_network(self) -> None:
        name = self.settings.platform_network
        if not self.client.api.networks(names=[name]):
            self.client.api.create_network(name, driver="overlay", labels={specs.COMPONENT_LABEL: "platform"})

    def apply(self, components: Iterable[str], report: Report = print, timeout: float = 180) -> specs.Plan:
        """Create missing and update changed services of ``components``, then wait until their tasks run."""
        components = list(components)
        with translated("starting the platform's services"):
            desired, found = self.desired(components), self.services()
            plan = specs.plan(desired, {name: service["Spec"].get("Labels") for name, service in found.items()})
            for component in plan.create:
                self.client.api.create_service(**service_arguments(desired[component]))
                report(f"{component}: service created")
            for component in plan.update:
                service = found[component]
                self.client.api.update_service(service["ID"], service["Version"]["Index"],
                                               **service_arguments(desired[component]))
                report(f"{component}: service updated (its tasks are replaced one node at a time)")
            for component in plan.keep:
                stopped = specs.stopped_update(found[component])
                if stopped is None:
                    report(f"{component}: unchanged")
                    continue
                service = found[component]
                self.client.api.update_service(service["ID"], service["Version"]["Index"],
                                               **service_arguments(specs.resumed(desired[component], service)))
                report(f"{component}: its last update stopped short ({stopped}); updating it again")
        self.wait_until_running(components, report, timeout)
        report(f"  running: {', '.join(components)}")
        return plan

    def wait_until_running(self, components: Iterable[str], report: Report = print, timeout: float = 120) -> None:
        """Wait until every wanted task of ``components`` runs; say which still do not after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            status = {row.component: row for row in self.status() if row.component in components}
            waiting = [row for row in status.values() if row.running < row.desired or row.desired == 0]
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise TemporaryError("not running after {:.0f} s: {}; see 'deisctl journal <component>'".format(
                    timeout, ", ".join(f"{row.component} {row.running}/{row.desired}" for row in waiting)))
            if all(row.desired == 0 for row in waiting) and time.monotonic() > deadline - timeout + 5:
                names = ", ".join(row.component for row in waiting)
                report(f"{names}: no node may run it (router needs a node labelled routerMesh=true)")
                return
            time.sleep(0.5)

    def stop(self, components: Iterable[str], report: Report = print) -> list[str]:
        """Remove the services of ``components``; return the ones removed. Apps' services stay."""
        removed = []
        with translated("removing the platform's services"):
            for component, service in self.services().items():
                if component in components:
                    self.client.api.remove_service(service["ID"])
                    removed.append(component)
                    report(f"{component}: service removed")
        return removed

    # -- looking ----------------------------------------------------------

    def status(self) -> list[rows.ServiceRow]:
        """One row per platform service, in the catalogue's order."""
        with translated("reading the platform's services"):
            hostnames = {node["ID"]: node["Description"]["Hostname"] for node in self.nodes()}
            found = self.services()
            return [rows.service_row(found[c], self.client.api.tasks(filters={"service": found[c]["ID"]}), hostnames)
                    for c in ORDER if c in found]

    def store_health(self) -> str | None:
        """Ceph's health as the store's gateways announce it (``HEALTH_OK``…); None when the store is not Ceph."""
        if not store_specs.runs_ceph(self.settings):
            return None
        try:
            return self.etcd().get(keys.store_health()) or "not announced (no store gateway runs)"
        except DeisError as exc:
            return f"unknown (the cluster's etcd did not answer: {exc})"

    def machines(self) -> list[rows.MachineRow]:
        """One row per Swarm node, by hostname."""
        with translated("reading the Swarm's nodes"):
            return sorted((rows.machine_row(node) for node in self.nodes()), key=lambda row: row.hostname)

    def scale(self, component: str, replicas: int) -> None:
        """Set and record the task count of a replicated component; the others refuse, saying why."""
        check_components([component])
        if component == "router":
            raise ValidationError("router runs on every routerMesh node; label a node to add one "
                                  "('deisctl cluster bootstrap … --roles HOST=…,routerMesh')")
        if component in specs.CLUSTER_COMPONENTS:
            raise ValidationError(f"{component} runs one task on every node; it cannot be scaled")
        counts = control_specs.check_scale(component, replicas, self.settings)
        # Recorded first: a later 'start platform' keeps the count instead of undoing it.
        self.recorded = ClusterState(self.recorded.managers, dataclasses.replace(self.settings, replicas=counts))
        self.settings = self.recorded.settings
        state.save(self.recorded)
        if component in self.services():
            self.apply([component], report=lambda line: None)

    def journal(self, component: str, lines: int, follow: bool) -> Iterator[str]:
        """Yield the last ``lines`` lines of a component's tasks (and new ones with ``follow``)."""
        check_components([component])
        service = self.service(component)
        with translated(f"reading {component}'s journal"):
            for chunk in self.client.api.service_logs(service["ID"], stdout=True, stderr=True, follow=follow,
                                                      tail=lines, timestamps=True, details=False):
                yield chunk.decode(errors="replace").rstrip("\n")


def service_arguments(spec: dict) -> dict:
    """The keyword arguments of the SDK's create/update_service for an Engine API service spec."""
    return {"name": spec["Name"], "labels": spec.get("Labels"), "task_template": spec["TaskTemplate"],
            "mode": spec.get("Mode"), "endpoint_spec": spec.get("EndpointSpec"),
            "update_config": spec.get("UpdateConfig")}


@contextlib.contextmanager
def translated(action: str) -> Iterator[None]:
    """Turn the Docker SDK's errors into ours, saying what was being done."""
    try:
        yield
    except DeisError:
        raise
    except docker.errors.APIError as exc:
        raise TemporaryError(f"{action}: the Swarm manager said {exc.explanation or exc}") from exc
    except (docker.errors.DockerException, requests.RequestException) as exc:
        raise TemporaryError(f"{action}: the Swarm manager did not answer ({exc})") from exc

"""What ``deisctl status`` and ``deisctl machines`` show on a cluster, from the Engine API's answers (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from deisctl.swarm.specs import COMPONENT_LABEL


@dataclass(frozen=True)
class ServiceRow:
    """One platform service: how it is scheduled, how many tasks should and do run, and where."""

    component: str
    mode: str
    desired: int
    running: int
    nodes: tuple[str, ...]


@dataclass(frozen=True)
class MachineRow:
    """One Swarm node, as ``deisctl machines`` lists it."""

    hostname: str
    address: str
    role: str
    availability: str
    state: str
    labels: tuple[str, ...]


def service_row(service: Mapping, tasks: Iterable[Mapping], hostnames: Mapping[str, str]) -> ServiceRow:
    """Summarise a service and its tasks; ``hostnames`` maps node ID to hostname."""
    spec = service["Spec"]
    mode = "global" if "Global" in spec.get("Mode", {}) else "replicated"
    wanted = [task for task in tasks if task.get("DesiredState") == "running"]
    running = [task for task in wanted if task.get("Status", {}).get("State") == "running"]
    nodes = sorted({hostnames.get(task.get("NodeID", ""), task.get("NodeID", "?")) for task in running})
    if mode == "replicated":
        desired = spec["Mode"]["Replicated"].get("Replicas", 0)
    else:
        desired = len(wanted)
    component = (spec.get("Labels") or {}).get(COMPONENT_LABEL, spec["Name"])
    return ServiceRow(component, mode, desired, len(running), tuple(nodes))


def node_address(node: Mapping) -> str:
    """The address a node advertises; a manager listening on 0.0.0.0 reports it only in its ManagerStatus."""
    address = (node.get("Status") or {}).get("Addr", "")
    if address in ("", "0.0.0.0") and node.get("ManagerStatus"):
        address = node["ManagerStatus"].get("Addr", "").rpartition(":")[0]
    return address or "?"


def machine_row(node: Mapping) -> MachineRow:
    """Summarise a node: a manager's reachability (and leadership) is part of its role."""
    spec, status = node["Spec"], node.get("Status", {})
    manager = node.get("ManagerStatus")
    if manager:
        role = f"manager ({'leader' if manager.get('Leader') else manager.get('Reachability', 'unknown')})"
    else:
        role = "worker"
    labels = tuple(f"{key}={value}" for key, value in sorted((spec.get("Labels") or {}).items()))
    return MachineRow(node["Description"]["Hostname"], node_address(node), role,
                      spec.get("Availability", "?"), status.get("State", "?"), labels)


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Render rows as columns aligned under ``header``; the last column is not padded."""
    lines = [tuple(header), *(tuple(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    return "\n".join("  ".join([*(cell.ljust(widths[i]) for i, cell in enumerate(line[:-1])), line[-1]]).rstrip()
                     for line in lines)


def format_services(rows: Iterable[ServiceRow]) -> str:
    """The cluster's ``deisctl status`` table."""
    return table(("COMPONENT", "MODE", "RUNNING", "NODES"),
                 ((row.component, row.mode, f"{row.running}/{row.desired}", ",".join(row.nodes) or "-")
                  for row in rows))


def format_machines(rows: Iterable[MachineRow]) -> str:
    """The ``deisctl machines`` table."""
    return table(("MACHINE", "ADDRESS", "ROLE", "AVAILABILITY", "STATE", "LABELS"),
                 ((row.hostname, row.address, row.role, row.availability, row.state, ",".join(row.labels) or "-")
                  for row in rows))

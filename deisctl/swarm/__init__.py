"""deisctl in cluster mode: the platform as Docker Swarm services over several hosts (issue 18).

* :mod:`~deisctl.swarm.bootstrap` forms the Swarm and labels its nodes;
* :mod:`~deisctl.swarm.state` is ``<data dir>/cluster.json``, whose presence means cluster mode;
* :mod:`~deisctl.swarm.specs` turns settings into service specs and decides what to change (pure);
* :mod:`~deisctl.swarm.control_specs` does so for the control plane: placement, addresses, the store (pure);
* :mod:`~deisctl.swarm.store_specs` does so for the store's Ceph daemons, when the store is ``ceph`` (pure);
* :mod:`~deisctl.swarm.rows` shapes what ``status`` and ``machines`` print (pure);
* :mod:`~deisctl.swarm.cluster` applies, reports, scales and removes the services through a manager.

Every component runs as a service but etcd, which follows in a later step
of issue 18. The store is a setting: a URL, or ``ceph`` to run Ceph's daemons
on the cluster as services too.
"""

from deisctl.swarm.bootstrap import Engine as Engine
from deisctl.swarm.cluster import Cluster as Cluster
from deisctl.swarm.specs import Settings as Settings
from deisctl.swarm.specs import service_specs as service_specs

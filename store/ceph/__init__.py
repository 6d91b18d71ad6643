"""A Ceph cluster on this host for the store: monitor, manager, one OSD, RADOS Gateway.

    cluster = Cluster(Layout(Path("/var/lib/deis/ceph")), Identity.generate())
    cluster.bootstrap()      # once: keyrings, monitor store, OSD on a sparse file
    cluster.start()          # daemons in the foreground, one session each
    cluster.health()         # "HEALTH_OK"
    cluster.stop()           # radosgw first, then OSD, manager, monitor
"""

from store.ceph.cluster import CephError as CephError
from store.ceph.cluster import Cluster as Cluster
from store.ceph.layout import Identity as Identity
from store.ceph.layout import Layout as Layout

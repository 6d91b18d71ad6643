"""deis-router: nginx configured from etcd, reloaded only when its config changes."""

"""deis-publisher: turns running, healthy web/cmd containers into etcd routes."""

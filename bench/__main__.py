"""``python -m bench`` runs every benchmark."""

from bench import etcd_watch

etcd_watch.main()

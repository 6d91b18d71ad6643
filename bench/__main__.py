"""``python -m bench`` runs every benchmark."""

from bench import etcd_watch, logs

etcd_watch.main()
logs.main([])

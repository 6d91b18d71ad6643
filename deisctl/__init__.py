"""deisctl: installs, starts, stops and reports the platform on this host.

Local mode supervises every component as a host process through supervisord
(a well-kept supervisor: restart with backoff, log capture, an XML-RPC API),
in Deis v1's order: infrastructure (etcd, Docker, Redis) → store → logging →
control plane → data plane → router, and in reverse to stop.
"""

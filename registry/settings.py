"""Settings of the registry (environment first, then etcd, then defaults).

Environment variables are ``DEIS_REGISTRY_<NAME>``; etcd keys live under
``/deis/registry/``. Three groups are read where their owners write them:

* the store's announcement (``/deis/store/backend``, ``/deis/store/url``) and
  its Ceph S3 gateway (``/deis/store/gateway/host|port|accessKey|secretKey``):
  the registry's blobs go to S3 when the store is ``s3://<bucket>``, or is
  Ceph and ``bucketName`` is set, else to a folder;
* Redis, the blob-descriptor cache, at ``/deis/redis/host|port`` or
  ``DEIS_REDIS_HOST``/``DEIS_REDIS_PORT`` (deisctl runs it on 127.0.0.1:6379);
* the data directory ``DEIS_DATA_DIR``, under which the folder storage lives.
"""

from __future__ import annotations

import os

from deis import keys
from deis.naming import is_hostname
from deis.paths import Paths
from deis.settings import Setting, Settings, as_bool


def default_storage_dir(environ=os.environ) -> str:
    """Return ``<DEIS_DATA_DIR>/registry``, where blobs live on the folder storage."""
    return str(Paths.from_env(environ).data("registry"))


def default_config_path(environ=os.environ) -> str:
    """Return ``<DEIS_DATA_DIR>/run/registry.yml``: the rendered config (may hold S3 secrets)."""
    return str(Paths.from_env(environ).run / "registry.yml")


def as_image_host(text: str) -> str:
    """Parse ``imageHost``: empty, or a lower-case host name or IPv4 address (it goes into every image's name)."""
    if text and not is_hostname(text):
        raise ValueError(f"imageHost {text[:60]!r} is not a host name or IPv4 address such as 127.0.0.1")
    return text


SETTINGS = Settings("registry", [
    Setting("host", default="127.0.0.1",
            help=f"address announced at {keys.host('registry')}; Docker pulls plain HTTP from loopback only"),
    Setting("imageHost", default="", parse=as_image_host,
            help=f"host images are named with, written at {keys.host('registry')} (default: host); 127.0.0.1 on a "
                 "cluster, where every node runs a registry on the shared store and its engine pulls from its own"),
    Setting("bind", default="127.0.0.1", help="address the registry listens on (0.0.0.0 on a cluster)"),
    Setting("port", default=5000, parse=int, help="HTTP port of the registry API (/v2/)"),
    Setting("storageDir", default=default_storage_dir(), help="folder of the blobs when the store is not S3"),
    Setting("configPath", default=default_config_path(), help="where the rendered registry config is written"),
    Setting("binary", default="docker-registry", help="the Distribution registry executable"),
    Setting("logLevel", default="info", help="the registry's log level: error, warn, info or debug"),
    Setting("httpSecret", default="", help="secret signing upload state; set the same on every registry"),
    Setting("collect", default=True, parse=as_bool,
            help="collect garbage at start and when image hygiene asks; false where several registries share "
                 "the store (a cluster): one collecting would delete the blobs of another's push"),
    Setting("gcIdle", default=30.0, parse=float,
            help="seconds without requests before a requested garbage collection runs"),
    Setting("gcDeleteUntagged", default=True, parse=as_bool,
            help="garbage collection also deletes manifests no tag points to"),
    Setting("storeBackend", default="file", key=keys.component("store", "backend"),
            help="the store's backend as deis-store announces it: file, rados or s3"),
    Setting("storeUrl", default="", key=keys.component("store", "url"),
            help="the store's URL as deis-store announces it (s3://<bucket>?endpoint=…)"),
    Setting("bucketName", default="", help="S3 bucket of the blobs (default: the store's own s3:// bucket)"),
    Setting("s3Endpoint", default="", help="S3 endpoint URL (default: the announced Ceph gateway, else AWS)"),
    Setting("gatewayHost", default="", key=keys.store_gateway("host"), help="the Ceph S3 gateway's host"),
    Setting("gatewayPort", default="", key=keys.store_gateway("port"), help="the Ceph S3 gateway's port"),
    Setting("s3AccessKey", default="", key=keys.store_gateway("accessKey"), help="S3 access key"),
    Setting("s3SecretKey", default="", key=keys.store_gateway("secretKey"), help="S3 secret key"),
    Setting("s3Region", default="us-east-1", help="S3 region"),
    Setting("s3PathStyle", default=True, parse=as_bool, help="path-style S3 addressing (radosgw)"),
    Setting("s3RootDirectory", default="/registry", help="prefix of the registry's objects in the bucket"),
    Setting("redisHost", default="127.0.0.1", env="DEIS_REDIS_HOST", key=keys.redis("host"),
            help="Redis host of the blob-descriptor cache; empty: a cache in memory (right while none collects)"),
    Setting("redisPort", default=6379, parse=int, env="DEIS_REDIS_PORT", key=keys.redis("port"),
            help="Redis port of the blob-descriptor cache"),
    Setting("redisDb", default=0, parse=int, help="Redis database number the registry caches in"),
])

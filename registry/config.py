"""The registry's configuration: from settings to the YAML ``docker-registry`` reads.

Pure: :func:`from_settings` decides (folder or S3 storage, the Redis
address), :func:`render` fills ``templates/config.yml.j2``. Nothing here
touches a disk or a network, so both are unit-tested.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jinja2
import yaml

from deis.errors import ConfigurationError
from deis.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"
#: Store backends whose objects the registry reaches through S3 (radosgw for Ceph).
S3_BACKENDS = frozenset({"s3", "rados", "ceph"})


@dataclass(frozen=True)
class S3:
    """Where the registry keeps its blobs when the store is S3."""

    bucket: str
    access_key: str = ""
    secret_key: str = ""
    region: str = "us-east-1"
    #: ``http://host:port`` of radosgw or another S3; empty for AWS itself.
    endpoint: str = ""
    path_style: bool = True
    root_directory: str = "/registry"

    @property
    def secure(self) -> bool:
        """True unless the endpoint is plain ``http://``."""
        return not self.endpoint.startswith("http://")


@dataclass(frozen=True)
class RegistryConfig:
    """Everything the rendered config says."""

    port: int = 5000
    bind: str = "127.0.0.1"
    storage_dir: str = "/var/lib/deis/registry"
    s3: S3 | None = None
    redis_host: str = "127.0.0.1"
    redis_port: int = 6379
    redis_db: int = 0
    log_level: str = "info"
    http_secret: str = ""

    @property
    def address(self) -> str:
        """``bind:port``, what ``http.addr`` takes."""
        return f"{self.bind}:{self.port}"

    @property
    def redis_address(self) -> str:
        """``host:port`` of Redis."""
        return f"{self.redis_host}:{self.redis_port}"


def bucket_of(store_url: str) -> str:
    """Return the bucket of an ``s3://<bucket>?…`` store URL (empty for other schemes)."""
    parts = urlsplit(store_url)
    return parts.netloc if parts.scheme == "s3" else ""


def endpoint_of(store_url: str, gateway_host: str, gateway_port: str) -> str:
    """Return the S3 endpoint: the store URL's ``?endpoint=``, else the announced gateway, else AWS (``""``)."""
    named = parse_qs(urlsplit(store_url).query).get("endpoint")
    if named:
        return named[-1]
    return f"http://{gateway_host}:{gateway_port}" if gateway_host and gateway_port else ""


def s3_of(settings: Settings) -> S3 | None:
    """Return the S3 storage the store's settings describe, or ``None`` for folder storage.

    The store at ``s3://<bucket>`` means S3, in that bucket unless
    ``bucketName`` says otherwise. Ceph (``rados``) means S3 through its
    gateway once ``bucketName`` names a bucket there; until then, the folder.
    """
    backend, store_url = settings.get("storeBackend"), settings.get("storeUrl")
    if backend not in S3_BACKENDS:
        return None
    bucket = settings.get("bucketName") or bucket_of(store_url)
    if not bucket:
        if backend == "s3":
            raise ConfigurationError(
                "the store's backend is s3 but no bucket is known: "
                "run 'deisctl config registry set bucketName=<bucket>'")
        return None
    endpoint = settings.get("s3Endpoint") or endpoint_of(store_url, settings.get("gatewayHost"),
                                                         settings.get("gatewayPort"))
    return S3(bucket=bucket, access_key=settings.get("s3AccessKey"), secret_key=settings.get("s3SecretKey"),
              region=settings.get("s3Region"), endpoint=endpoint,
              path_style=settings.get("s3PathStyle"), root_directory=settings.get("s3RootDirectory"))


def from_settings(settings: Settings) -> RegistryConfig:
    """Return the :class:`RegistryConfig` of resolved registry settings."""
    return RegistryConfig(
        port=settings.get("port"), bind=settings.get("bind"), storage_dir=settings.get("storageDir"),
        s3=s3_of(settings), redis_host=settings.get("redisHost"), redis_port=settings.get("redisPort"),
        redis_db=settings.get("redisDb"), log_level=settings.get("logLevel"),
        http_secret=settings.get("httpSecret"),
    )


def _template() -> jinja2.Template:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False,
                                     undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return environment.get_template("config.yml.j2")


def render(config: RegistryConfig) -> str:
    """Return the YAML config of ``config``; raise ``ConfigurationError`` if it would not parse."""
    text = _template().render(
        log_level=config.log_level, s3=config.s3, storage_dir=config.storage_dir, address=config.address,
        http_secret=config.http_secret, redis_host=config.redis_host, redis_address=config.redis_address,
        redis_db=config.redis_db,
    )
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as exc:  # a value no JSON escaping can make valid YAML
        raise ConfigurationError(f"the registry config would not parse: {exc}") from exc
    return text

"""deis-registry: the Distribution registry (Debian ``docker-registry``) run for the platform.

It renders the registry's config from the platform's settings (folder storage
under the data directory, or S3 when the store is served through S3; Redis as
the blob-descriptor cache), supervises the registry, announces it at
``/deis/registry/host|port`` and collects garbage when image hygiene asks.

Others use :class:`RegistryClient` to talk to it and :mod:`registry.retention`
to decide which images of an app to keep.
"""

from registry.client import RegistryClient as RegistryClient
from registry.client import RegistryError as RegistryError
from registry.client import RegistryUnavailable as RegistryUnavailable

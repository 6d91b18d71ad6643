"""deis-store: the platform's object storage — one API, backends picked by URL.

    store = open_store("file:///var/lib/deis/store")
    store.put("registry/blob", data)
    log = SegmentLog(store, "logs/myapp")
"""

from store.backends import BACKENDS as BACKENDS
from store.backends import open_store as open_store
from store.base import Backend as Backend
from store.base import InvalidKey as InvalidKey
from store.base import NotFound as NotFound
from store.base import ObjectInfo as ObjectInfo
from store.base import StoreError as StoreError
from store.base import StoreUnavailable as StoreUnavailable
from store.segments import SegmentLog as SegmentLog

"""How deis.etcd reads a member's failure: never sent, or maybe applied (pure)."""

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError, ProtocolError

from deis.etcd import _failure, _unsent

REFUSED = requests.ConnectionError(MaxRetryError(None, "/v3/kv/put", NewConnectionError(None, "Connection refused")))
NO_NAME = requests.ConnectionError(MaxRetryError(None, "/v3/kv/put", NameResolutionError("deis-etcd-n1", None, "")))
RESET = requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError(104, "reset")))


@pytest.mark.parametrize(("exc", "unsent", "said"), [
    (REFUSED, True, "refused or unreachable"),
    (NO_NAME, True, "refused or unreachable"),
    (requests.ConnectTimeout(), True, "timed out connecting"),
    (requests.ReadTimeout(), False, "timed out answering"),
    (RESET, False, "connection lost"),
])
def test_only_a_request_that_never_reached_etcd_counts_as_unsent(exc, unsent, said):
    assert _unsent(exc) is unsent
    assert _failure(exc) == said

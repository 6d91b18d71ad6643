"""Who may do what to an app: the owner/collaborator/admin/other matrix."""

import pytest

from controller.permissions import Caller, Role, may_manage, may_revoke, may_use, role

OWNER, COLLAB, OTHER, ADMIN = 1, 2, 3, 4


def who(user_id, admin=False):
    """Return the role of ``user_id`` for an app owned by OWNER and shared with COLLAB."""
    return role(Caller(user_id, admin), owner_id=OWNER, collaborator_ids={COLLAB})


def test_roles():
    assert who(OWNER) is Role.OWNER
    assert who(COLLAB) is Role.COLLABORATOR
    assert who(OTHER) is Role.OTHER
    assert who(ADMIN, admin=True) is Role.ADMIN


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "delete"])
def test_owner_and_admin_may_do_everything(method):
    assert may_use(Role.OWNER, method) and may_use(Role.ADMIN, method)


def test_collaborator_may_do_everything_but_delete():
    assert may_use(Role.COLLABORATOR, "GET") and may_use(Role.COLLABORATOR, "POST")
    assert not may_use(Role.COLLABORATOR, "DELETE")


def test_other_may_do_nothing():
    assert not any(may_use(Role.OTHER, m) for m in ("GET", "POST", "DELETE"))


def test_only_owner_and_admin_manage():
    assert may_manage(Role.OWNER) and may_manage(Role.ADMIN)
    assert not may_manage(Role.COLLABORATOR) and not may_manage(Role.OTHER)


def test_collaborator_may_revoke_only_themself():
    assert may_revoke(Role.COLLABORATOR, COLLAB, COLLAB)
    assert not may_revoke(Role.COLLABORATOR, COLLAB, OTHER)
    assert may_revoke(Role.OWNER, OWNER, COLLAB)
    assert not may_revoke(Role.OTHER, OTHER, OTHER)

"""Shared fixtures of deisctl's unit tests."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def restored_data_dir():
    """Put ``DEIS_DATA_DIR`` back as it was: deisctl's ``--data-dir`` sets it in ``os.environ``.

    The CLI exports it on purpose (the programs it starts read it), but in a
    ``CliRunner`` that is this test process, and a later test reading the
    default data dir would see a dead test's folder.
    """
    before = os.environ.get("DEIS_DATA_DIR")
    yield
    if before is None:
        os.environ.pop("DEIS_DATA_DIR", None)
    else:
        os.environ["DEIS_DATA_DIR"] = before

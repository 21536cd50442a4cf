"""Shared helpers for the app tests (AppTest and the real-browser tests); no tests here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from needsmap.settings import REPO_ROOT

APP = str(REPO_ROOT / "app.py")


def app_store(request: pytest.FixtureRequest) -> Path:
    """The Blackpool store: ``$NEEDSMAP_APP_TEST_DB`` if set (fast local runs), else the
    session-built ``blackpool_store`` fixture."""
    env = os.environ.get("NEEDSMAP_APP_TEST_DB")
    if env and Path(env).exists():
        return Path(env)
    return request.getfixturevalue("blackpool_store")


def england_app_store(request: pytest.FixtureRequest) -> Path:
    """The whole-England store: ``$NEEDSMAP_APP_TEST_ENGLAND_DB`` if set, else the fixture."""
    env = os.environ.get("NEEDSMAP_APP_TEST_ENGLAND_DB")
    if env and Path(env).exists():
        return Path(env)
    return request.getfixturevalue("england_store")


def partial_store(src: Path, dest: Path, tables: list[str]) -> Path:
    """A copy of ``src`` with only ``tables`` (to test what the app says when some are missing)."""
    from needsmap.store.db import connect

    con = connect(dest)
    try:
        quoted = str(src).replace("'", "''")
        con.execute(f"ATTACH '{quoted}' AS src (READ_ONLY)")  # a test path; ATTACH takes no params
        for t in tables:
            con.execute(f'CREATE TABLE "{t}" AS SELECT * FROM src."{t}"')  # noqa: S608 - test names
        con.execute("DETACH src")
    finally:
        con.close()
    return dest

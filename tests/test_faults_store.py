"""Faults at the store: missing, locked, corrupt or old-schema stores give an actionable StoreError.

The app (``app.py``) calls :func:`needsmap.store.db.open_store` and shows the
StoreError text; these tests pin that text down. Nothing here needs a built store:
each case makes its own small DuckDB file.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from needsmap.settings import SCHEMA_VERSION
from needsmap.store.db import StoreError, open_store


def make_store(path: Path, version: object = SCHEMA_VERSION, meta: bool = True) -> Path:
    con = duckdb.connect(str(path))
    if meta:
        con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        if version is not None:
            con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(version)])
    con.execute("CREATE TABLE ward_indicators AS SELECT 'E05000001' AS ward_code")
    con.close()
    return path


def test_current_store_opens_read_only(tmp_path):
    con = open_store(make_store(tmp_path / "ok.duckdb"))
    try:
        assert con.execute("SELECT count(*) FROM ward_indicators").fetchone() == (1,)
        with pytest.raises(duckdb.Error):
            con.execute("CREATE TABLE x (a INT)")  # the app's connection is read-only
    finally:
        con.close()


def test_missing_store_says_how_to_build(tmp_path):
    p = tmp_path / "nope.duckdb"
    with pytest.raises(StoreError) as ei:
        open_store(p)
    assert str(p) in str(ei.value) and "needsmap build" in str(ei.value)
    assert not p.exists(), "opening must not create an empty store"


@pytest.mark.parametrize("version", [0, SCHEMA_VERSION - 1, SCHEMA_VERSION + 1, "abc", "", None])
def test_other_schema_version_says_rebuild(tmp_path, version):
    p = make_store(tmp_path / "old.duckdb", version=version)
    with pytest.raises(StoreError) as ei:
        open_store(p)
    msg = str(ei.value)
    assert "schema version" in msg and f"needs {SCHEMA_VERSION}" in msg
    assert f"needsmap build --db {p}" in msg


def test_store_without_meta_is_not_a_store(tmp_path):
    p = make_store(tmp_path / "nometa.duckdb", meta=False)
    with pytest.raises(StoreError, match="not a needsmap store.*Rebuild"):
        open_store(p)


@pytest.mark.parametrize("content", [b"", b"hello" * 1000, b"\x00" * 4096])
def test_not_a_duckdb_file(tmp_path, content):
    p = tmp_path / "junk.duckdb"
    p.write_bytes(content)
    with pytest.raises(StoreError, match="Rebuild it"):
        open_store(p)


def test_a_truncated_store_file(tmp_path):
    good = make_store(tmp_path / "good.duckdb")
    p = tmp_path / "cut.duckdb"
    p.write_bytes(good.read_bytes()[: 8192])
    with pytest.raises(StoreError, match="Rebuild it|schema version|not a needsmap"):
        con = open_store(p)
        con.execute("SELECT * FROM ward_indicators").fetchall()
        con.close()


def test_directory_instead_of_store(tmp_path):
    p = tmp_path / "dir.duckdb"
    p.mkdir()
    with pytest.raises(StoreError):
        open_store(p)


@pytest.fixture()
def writer_holding(tmp_path) -> Iterator[Path]:
    """Another process holding the store open read-write (as a running build would)."""
    p = make_store(tmp_path / "locked.duckdb")
    code = ("import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
            "print('locked', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(p)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        yield p
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_locked_store_says_locked_and_what_to_do(writer_holding):
    with pytest.raises(StoreError) as ei:
        open_store(writer_holding)
    msg = str(ei.value)
    assert "locked by another process" in msg and "retry" in msg
    assert str(writer_holding) in msg

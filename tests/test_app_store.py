"""What the app says when the store, or some of its tables, are missing."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest
from test_app_support import APP, app_store, partial_store


def test_missing_store_says_how_to_build(tmp_path, monkeypatch):
    monkeypatch.setenv("NEEDSMAP_DB", str(tmp_path / "nope.duckdb"))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert any("No needsmap store" in e.value for e in at.error)
    assert any("needsmap build" in m.value for m in at.markdown)


def test_not_a_store_is_reported(tmp_path, monkeypatch):
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"not a database at all" * 100)
    monkeypatch.setenv("NEEDSMAP_DB", str(bad))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert at.error


def test_incomplete_store_names_what_is_missing(request, tmp_path, monkeypatch):
    """A store without some contract tables (needsmap.store.schema) is refused with their names
    and how to rebuild, rather than shown half-empty."""
    src = app_store(request)
    db = partial_store(src, tmp_path / "core_only.duckdb",
                       ["meta", "source", "scope_lad", "ward_indicators",
                        "ward_indicators_england", "lad_indicators"])
    monkeypatch.setenv("NEEDSMAP_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=240)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    msg = "\n".join(e.value for e in at.error)
    assert "not complete" in msg and "ward_ace" in msg and "service" in msg
    assert any("needsmap build" in m.value for m in at.markdown)


def test_replaced_store_is_read_by_the_next_run_and_the_old_one_closed(request, tmp_path):
    """Issue 18.1 at the data layer: a replaced file is a new version; the old one closes
    when its last run ends, its cached results are dropped and its space is released."""
    import os
    import shutil

    from needsmap.store.db import connect
    from needsmap.views import data

    db = tmp_path / "live.duckdb"
    shutil.copyfile(app_store(request), db)
    # another build: the same store with a different build time in its meta table
    staged = tmp_path / "live.duckdb.building-1"
    shutil.copyfile(app_store(request), staged)
    con = connect(staged)
    con.execute("UPDATE meta SET value = 'the new build' WHERE key = 'built_at'")
    con.execute("CHECKPOINT")
    con.close()
    first = data.checkout(db)  # a run in progress on the old version
    data.lads(first.token)
    os.replace(staged, db)  # as `needsmap build` replaces the store
    with data.session_store(db) as second:  # a new session's run
        assert second.token != first.token
        assert second.meta["built_at"] == "the new build"  # the new file, not the deleted one
        # the run in progress still reads its own version
        assert first.meta["built_at"] != "the new build"
        assert data.query_df(first.token, "SELECT value FROM meta WHERE key = 'built_at'"
                             )["value"][0] == first.meta["built_at"]
    assert first.token in data.open_tokens()
    data.release(first.token)  # its last run ends: closed, caches dropped
    assert first.token not in data.open_tokens()
    assert data.lads.peek(first.token) is None
    deleted = [os.readlink(f) for f in os.scandir("/proc/self/fd")
               if os.path.islink(f.path) and "live.duckdb" in os.readlink(f.path)
               and os.readlink(f.path).endswith("(deleted)")]
    assert deleted == []

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

"""The Snapshot view in Streamlit's AppTest: the same page, with its download buttons."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.england


def _app() -> None:  # runs inside AppTest
    from needsmap.views import data, snapshot
    from needsmap.views.context import ViewContext

    info = data.open_info()
    snapshot.render(ViewContext(info=info, lads=data.lads(info.token)))


def test_view_shows_la_then_picked_wards(england_store, monkeypatch):
    monkeypatch.setenv("NEEDSMAP_DB", str(england_store))
    at = AppTest.from_function(_app, default_timeout=180).run()
    assert not at.exception
    assert at.selectbox(key="snap_la").value == "Dudley"
    labels = [b.label for b in at.get("download_button")]
    assert "Download page (HTML)" in labels and "Download map (PNG)" in labels
    at.radio(key="snap_mode").set_value("pick").run()
    assert any("Pick at least one ward" in i.value for i in at.info)
    at.multiselect(key="snap_pick").set_value(["E05015908", "E05015910"]).run()
    assert not at.exception and not at.error
    assert "Download page (HTML)" in [b.label for b in at.get("download_button")]

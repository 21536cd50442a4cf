"""Every view in the navigation renders on a real store, with the caveat and sources."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_app_support import APP, app_store, app_test, page_text

from needsmap import CAVEAT


@pytest.fixture
def at(request, monkeypatch) -> AppTest:
    return app_test(request, monkeypatch)


_page_text = page_text


def test_every_view_renders_with_caveat_and_sources(at):
    at.run()
    views = at.radio(key="view").options
    assert {"Explore", "Target", "Upload services"} <= set(views)
    keys = {"Explore": "explore", "Target": "target", "Upload services": "upload",
            "Snapshot": "snapshot"}
    for label in views:
        at.radio(key="view").set_value(keys[label]).run()
        assert not at.exception, (label, [e.value for e in at.exception])
        text = _page_text(at)
        assert CAVEAT[:50] in text, label
        assert any("Sources, vintages and licences" in e.label for e in at.expander), label
        assert at.query_params["view"] == keys[label]


def test_view_in_url_opens_that_view(request, monkeypatch):
    monkeypatch.setenv("NEEDSMAP_DB", str(app_store(request)))
    at = AppTest.from_file(APP, default_timeout=240)
    at.query_params["view"] = "upload"
    at.run()
    assert at.radio(key="view").value == "upload"


def test_settings_survive_a_view_switch(at):
    at.run()
    at.selectbox(key="ex_layer").set_value("income_rate").run()
    at.slider(key="w_context").set_value(40).run()
    at.radio(key="view").set_value("target").run()
    at.selectbox(key="tg_service").set_value("library").run()
    at.radio(key="view").set_value("explore").run()
    assert at.selectbox(key="ex_layer").value == "income_rate"
    assert at.slider(key="w_context").value == 40
    at.radio(key="view").set_value("target").run()
    assert at.selectbox(key="tg_service").value == "library"

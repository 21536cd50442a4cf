"""Explore view on a real (Blackpool) store, with streamlit's AppTest."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_app_support import APP, app_store, app_test, page_text

from needsmap import CAVEAT


@pytest.fixture
def at(request, monkeypatch) -> AppTest:
    return app_test(request, monkeypatch)


_text = page_text


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_explore_renders_with_map_caveat_and_sources(at):
    at.run()
    _ok(at)
    text = _text(at)
    assert CAVEAT[:60] in text
    assert "ACE index (modelled risk)" in text
    assert "Blackpool" in text
    # the ward map (the app's own element) is on the page
    maps = at.get("bidi_component")
    assert len(maps) == 1 and "nm_ward_map" in str(maps[0].proto)
    assert any("Sources, vintages and licences" in e.label for e in at.expander)
    assert "Open Government Licence" in text
    assert at.query_params["view"] == "explore"
    assert at.query_params["area"] == "E06000009"


def test_layer_change_updates_title_and_permalink(at):
    at.run()
    at.selectbox(key="ex_layer").set_value("income_rate").run()
    _ok(at)
    assert "Income deprivation rate" in _text(at)
    assert at.query_params["layer"] == "income_rate"
    at.selectbox(key="ex_classes").set_value("natural_breaks").run()
    at.selectbox(key="ex_k").set_value(7).run()
    _ok(at)
    assert at.query_params["classes"] == "natural_breaks"
    assert at.query_params["k"] == "7"


def test_weight_change_recomputes_index(at):
    at.run()
    assert "default weights" in _text(at)
    assert at.selectbox(key="ex_method").value == "domains"
    at.slider(key="w_context").set_value(50).run()
    _ok(at)
    assert "recomputed with your weights" in _text(at)
    w = at.query_params["w"]
    assert "context:50" in w and "abuse_neglect:25" in w
    assert "method" not in at.query_params  # the default method
    # a changed index says how much the method matters
    assert any("choice of method matters" in e.label for e in at.expander)
    reset = [b for b in at.button if b.label.startswith("Reset")]
    reset[0].click().run()
    _ok(at)
    assert "w" not in at.query_params
    assert at.slider(key="w_context").value == 25
    assert not any("choice of method matters" in e.label for e in at.expander)


def test_flat_method_has_indicator_weights_and_a_comparison_table(at):
    at.run()
    at.selectbox(key="ex_method").set_value("lewer").run()
    _ok(at)
    assert at.query_params["method"] == "lewer"
    assert at.slider(key="w_child_poverty").value == 25
    assert not [s for s in at.slider if s.key == "w_context"]

    def table():
        assert [e for e in at.expander if "choice of method matters" in e.label]
        found = [d.value for d in at.dataframe if "Spearman, wards" in d.value.columns]
        assert found and found[0]["Spearman, wards"].between(-1, 1).all()
        return found[0]

    # lewer at its defaults against the default and the two other flat methods
    assert table()["Your index compared with"].tolist() == [
        "Domains (default)", "Weighted correlates", "Exponential correlates"]
    at.slider(key="w_health").set_value(50).run()
    _ok(at)
    w = at.query_params["w"]
    assert "health:50" in w and "child_poverty:25" in w
    # with other weights, lewer at its own defaults joins the comparison
    assert "Lewer correlates" in table()["Your index compared with"].tolist()
    assert len(table()) == 4


def test_old_permalink_with_indicator_weights_opens_lewer(request, monkeypatch):
    """Before issue 16 the default was lewer and the URL left it out: such links still work."""
    monkeypatch.setenv("NEEDSMAP_DB", str(app_store(request)))
    at = AppTest.from_file(APP, default_timeout=240)
    at.query_params["view"] = "explore"
    at.query_params["w"] = "child_poverty:40,income:20,crime:20,density:20"
    at.run()
    _ok(at)
    assert at.selectbox(key="ex_method").value == "lewer"
    assert at.slider(key="w_child_poverty").value == 40
    assert at.query_params["method"] == "lewer"


def test_all_zero_weights_say_so_without_traceback(at):
    at.run()
    for n in ("abuse_neglect", "household_dysfunction", "context"):
        at.slider(key=f"w_{n}").set_value(0)
    at.run()
    assert not at.exception
    assert any("all weights are zero" in w.value for w in at.warning)


def test_ward_selection_shows_drivers(at):
    at.run()
    at.selectbox(key="ward").set_value("E05015191").run()  # Clifton, Blackpool
    _ok(at)
    text = _text(at)
    assert "What drives this ward" in text
    assert at.query_params["ward"] == "E05015191"
    assert "Domain and indicator normal scores" in text
    for label in ("Abuse and neglect", "Household dysfunction", "Wider context",
                  "Stalking and harassment", "Overcrowded homes", "decile"):
        assert label in text
    assert "only weak proxies" in text
    at.selectbox(key="ex_method").set_value("lewer").run()
    assert "Indicator normal scores" in _text(at)


def test_permalink_round_trip(request, monkeypatch):
    monkeypatch.setenv("NEEDSMAP_DB", str(app_store(request)))
    at = AppTest.from_file(APP, default_timeout=240)
    params = {"view": "explore", "area": "E06000009", "layer": "child_poverty_rate",
              "method": "weighted", "classes": "equal_interval", "k": "4",
              "palette": "cividis", "basemap": "none", "ward": "E05015191",
              "w": "child_poverty:40,income:20,crime:20,density:20,health:0,recorded_crime:0"}
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    _ok(at)
    assert at.selectbox(key="ex_layer").value == "child_poverty_rate"
    assert at.selectbox(key="ex_method").value == "weighted"
    assert at.selectbox(key="ex_classes").value == "equal_interval"
    assert at.selectbox(key="ex_palette").value == "cividis"
    assert at.selectbox(key="ward").value == "E05015191"
    assert at.slider(key="w_child_poverty").value == 40
    assert "Child poverty rate 40%" in _text(at)
    for k, v in params.items():
        assert at.query_params[k] == v, k


def test_bad_permalink_values_are_ignored(request, monkeypatch):
    monkeypatch.setenv("NEEDSMAP_DB", str(app_store(request)))
    at = AppTest.from_file(APP, default_timeout=240)
    for k, v in {"layer": "<script>", "area": "E99999999", "k": "many", "ward": "nope",
                 "w": "child_poverty:lots", "palette": "rainbow", "view": "admin"}.items():
        at.query_params[k] = v
    at.run()
    _ok(at)
    assert at.selectbox(key="ex_layer").value == "ace"
    assert at.selectbox(key="ex_palette").value == "viridis"
    assert at.query_params["area"] == "E06000009"
    # ... and the page says what it did not understand, instead of falling back in silence
    warned = "\n".join(w.value for w in at.warning)
    for name in ("layer=", "area=E99999999", "k=many", "ward=nope", "w=", "palette=rainbow",
                 "view=admin"):
        assert name in warned, name


def test_la_names_and_codes_in_links(request, monkeypatch):
    monkeypatch.setenv("NEEDSMAP_DB", str(app_store(request)))
    for key, value in (("area", "blackpool"), ("la", " BLACKPOOL "), ("la", "E06000009")):
        at = AppTest.from_file(APP, default_timeout=240)
        at.query_params[key] = value
        at.run()
        _ok(at)
        assert at.query_params["area"] == "E06000009", (key, value)
        assert not at.warning, [w.value for w in at.warning]


def test_services_layer_and_scatter(at):
    at.run()
    at.pills(key="ex_services").set_value(["gp_practice", "school_primary"]).run()
    _ok(at)
    assert at.query_params["services"] == "gp_practice,school_primary"
    at.session_state["ex_tab"] = ":material/scatter_plot: Compare two indicators"
    at.run()
    at.selectbox(key="ex_sx").set_value("income_rate").run()
    _ok(at)
    assert "Pearson correlation" in _text(at)


def test_without_a_browser_everything_renders_in_one_run(at):
    """AppTest sends no request headers: no map-first split, the table is there at once."""
    at.run()
    _ok(at)
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 21
    assert at.selectbox(key="ex_layer").value == "ace"
    assert "follow as soon as the map has loaded" not in _text(at)


def test_england_in_a_link_and_a_misspelt_la(request, monkeypatch):
    """``area=England`` (or ``all``) means every ward, as the area list's first option does;
    a misspelt LA is answered with the close names as a question, then what is shown."""
    monkeypatch.setenv("NEEDSMAP_DB", str(app_store(request)))
    for value in ("England", "all"):
        at = AppTest.from_file(APP, default_timeout=240)
        at.query_params["area"] = value
        at.run()
        _ok(at)
        assert not at.warning, [w.value for w in at.warning]
    at = AppTest.from_file(APP, default_timeout=240)
    at.query_params["area"] = "Blackpol"
    at.run()
    _ok(at)
    warned = "\n".join(w.value for w in at.warning)
    assert "did you mean: Blackpool? Showing Blackpool." in warned, warned

"""Issue 19 in the app (AppTest, Blackpool store): the siting section of Target and the
search box of Explore and Target, their URL parameters and their messages."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_app_support import APP, app_store

from needsmap.access.siting_inputs import read_inputs


@pytest.fixture
def at(request, monkeypatch) -> AppTest:
    monkeypatch.setenv("NEEDSMAP_DB", str(app_store(request)))
    return AppTest.from_file(APP, default_timeout=240)


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def test_siting_from_a_link_runs_and_matches_the_engine(at, request):
    """The link's settings are restored, the model runs, and the figures shown are the
    engine's (same inputs through :func:`read_inputs` and :func:`solve`)."""
    from needsmap.access.siting import SitingProblem, solve
    from needsmap.store.db import open_store

    at.query_params.update({"view": "target", "site": "1", "site_type": "library",
                            "site_cand": "schools", "site_n": "2", "site_km": "1"})
    at.run()
    _ok(at)
    assert at.selectbox(key="tg_site_type").value == "library"
    assert at.select_slider(key="tg_site_n").value == 2
    m = _metrics(at)
    con = open_store(app_store(request))
    try:
        inputs = read_inputs(con, "Blackpool", existing="library", candidates="schools")
    finally:
        con.close()
    res = solve(SitingProblem.from_frames(inputs.demand, inputs.existing, inputs.candidates, 1.0),
                2, "mclp")
    after = res.coverage.set_index("scenario").loc["after", "children_covered"]
    before = res.coverage.set_index("scenario").loc["before", "children_covered"]
    assert m["Children within 1 km, before"][0] == f"{before:,.0f}"
    assert m["After 2 new sites"][0] == f"{after:,.0f}"
    assert at.get("vega_lite_chart")  # quadrant and gain curve
    labels = [d.proto.label for d in at.get("download_button")]
    assert {"CSV (sites)", "Excel (XLSX, every table)",
            "GeoPackage (sites, catchments, demand)"} <= set(labels)
    text = "\n".join(x.value for x in at.markdown)
    assert "A model, not a decision" in text
    assert at.query_params["site"] == "1" and at.query_params["site_n"] == "2"


def test_siting_waits_for_the_button_and_bad_link_values_say_so(at):
    at.query_params.update({"view": "target", "site_n": "99", "site_model": "magic"})
    at.run()
    _ok(at)
    problems = "\n".join(w.value for w in at.warning)
    assert "site_n=99" in problems and "site_model=magic" in problems
    assert not any(m.label.startswith("Children within") for m in at.metric)  # not run yet
    at.button(key="FormSubmitter:tg_site_form-Find the sites").click().run()
    _ok(at)
    assert any(m.label.startswith("After 3 new sites") for m in at.metric)


@pytest.mark.parametrize("text", ["fy11an", " FY1   1AN "])
def test_postcode_search_in_target_selects_the_ward(at, text):
    at.query_params.update({"view": "target", "q": text})
    at.run()
    _ok(at)
    assert [s.value for s in at.success] == ["FY1 1AN is in Claremont ward, Blackpool."]
    assert at.session_state["tg_ward"] == "E05015190"
    assert at.selectbox(key="tg_lad").value == "E06000009"
    assert any(m.label == "Children 0-15" for m in at.metric)
    assert at.get("table")  # nearest services


def test_search_messages_in_explore(at):
    at.run()
    at.text_input(key="ex_q").set_value("ZZ99 9ZZ").run()
    _ok(at)
    msg = " ".join(w.value for w in at.warning)
    assert "ZZ99 9ZZ not found in Code-Point Open" in msg
    assert "terminated postcodes are not included" in msg
    assert at.query_params["q"] == "ZZ99 9ZZ"
    at.text_input(key="ex_q").set_value("nowhere-at-all").run()
    assert "no postcode, ward or local authority matches" in " ".join(w.value for w in at.warning)
    at.text_input(key="ex_q").set_value("Talbot").run()
    _ok(at)
    assert at.session_state["ward"] == "E05015202"
    assert "Talbot ward, Blackpool" in at.success[0].value


def test_overlay_groups_become_plain_json():
    """The map's overlay part: rows as given, radius in metres (or null), dashed flag."""
    import json

    from needsmap.views import maps

    g = [maps.OverlayGroup("Proposed site", "#D55E00", "star", [[53.8, -3.05, "A", "x"]],
                           radius_m=1500.0),
         maps.OverlayGroup("Postcode FY1 1AN", "#D55E00", "star", [[53.8, -3.05, "FY1 1AN", ""]])]
    out = json.loads(maps._json(maps._overlay_json(g)))
    assert out["groups"][0]["radius"] == 1500.0 and out["groups"][0]["dashed"] is False
    assert out["groups"][1]["radius"] is None
    assert out["groups"][0]["rows"] == [[53.8, -3.05, "A", "x"]]

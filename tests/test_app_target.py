"""Target view and exports on a real (Blackpool) store."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pyogrio
import pytest
from streamlit.testing.v1 import AppTest
from test_app_support import APP, app_store

from needsmap.access import gaprules
from needsmap.views import exports


@pytest.fixture
def at(request, monkeypatch) -> AppTest:
    monkeypatch.setenv("NEEDSMAP_DB", str(app_store(request)))
    a = AppTest.from_file(APP, default_timeout=240)
    a.query_params["view"] = "target"
    return a


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_target_renders_ranked_list_and_quadrant(at):
    at.run()
    _ok(at)
    assert at.radio(key="view").value == "target"
    assert at.selectbox(key="tg_lad").value == "E06000009"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Wards in area"] == "21"
    assert at.get("vega_lite_chart")  # the need-versus-access quadrant
    assert at.dataframe
    labels = [d.proto.label for d in at.get("download_button")]
    assert labels == ["CSV", "Excel (XLSX)", "GeoPackage"]
    assert at.query_params["view"] == "target"


def test_target_filters_change_state_and_permalink(at):
    at.run()
    at.selectbox(key="tg_service").set_value("library").run()
    at.select_slider(key="tg_deciles").set_value(4).run()
    _ok(at)
    assert at.query_params["service"] == "library"
    assert at.query_params["deciles"] == "4"
    high = {m.label: m.value for m in at.metric}["High need (top 4 deciles)"]
    assert int(high) >= 13
    at.segmented_control(key="tg_only_gaps").set_value("1").run()
    _ok(at)
    assert at.query_params["only_gaps"] == "1"


def test_target_states_its_rule_and_counts_every_rule(at):
    at.run()
    _ok(at)
    words = "\n".join(h.proto.body for h in at.get("html"))
    assert "A ward is flagged when it is in the top 2 national deciles" in words
    assert "Blackpool's wards" in words  # the default rule compares with the LA's own wards
    captions = [str(r.proto) for r in at.get("radio") if "tg_rule" in str(r.proto)]
    assert captions and str(captions[0]).count("flagged here") == 4
    flagged = {m.label: m.value for m in at.metric}["Flagged gaps"]
    assert int(flagged) > 0  # Blackpool, GP practices: the default is not empty
    for rule in ("national", "distance", "children_beyond"):
        at.radio(key="tg_rule").set_value(rule).run()
        _ok(at)
        assert at.query_params["rule"] == rule
    at.select_slider(key="tg_km").set_value("2").run()
    _ok(at)
    assert at.query_params["km"] == "2"
    words = "\n".join(h.proto.body for h in at.get("html"))
    assert "more than 2.00 km" in words


def test_quadrant_need_axis_is_national_and_fixed(at):
    """High-need wards sit on or above the 'top deciles' line, the others below it."""
    from needsmap.views.target import _need_percentile

    at.run()
    _ok(at)
    import json

    import needsmap.views.target as T

    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["layer"][0]["encoding"]["y"]["scale"]["domain"] == [0, 100]
    with T.data.session_store() as info:
        df = T._gaps(info.token, "gp_practice", "ace", 3, "local", 0.25, 0.2, 1.0, 0.25,
                     "E06000009")
    y = _need_percentile(df)
    line = 100 - 10 * 3
    assert (y[df["high_need"]] > line).all() and (y[~df["high_need"]] < line).all()
    assert y.between(0, 100).all()


def test_uploaded_list_is_a_service_type_in_target(request, monkeypatch):
    from test_app_upload import GOOD_AND_BAD

    monkeypatch.setenv("NEEDSMAP_DB", str(app_store(request)))
    a = AppTest.from_file(APP, default_timeout=240)
    a.query_params["view"] = "upload"
    a.run()
    a.get("file_uploader")[0].upload("hubs.csv", GOOD_AND_BAD, "text/csv").run()
    [b for b in a.button if b.label.startswith("Find gaps")][0].click().run()
    _ok(a)
    assert a.radio(key="view").value == "target"
    assert a.selectbox(key="tg_service").value == "_upload"
    words = "\n".join(h.proto.body for h in a.get("html"))
    assert "service in your list" in words
    assert int({m.label: m.value for m in a.metric}["Wards in area"]) == 21


def test_export_frame_has_labels_units_and_settings():
    from needsmap.views.target import EXPORT_COLUMNS, export_frame

    shown = pd.DataFrame({"ward_code": ["E05015191"], "ward_name": ["Clifton"],
                          "mean_km_child_weighted": [0.81234], "share_children_within_1km": [0.5],
                          "gap_flag": [True]})
    out = export_frame(shown, {"Gap rule": "A ward is flagged when ...", "Area": "Blackpool"})
    assert list(out.columns) == [EXPORT_COLUMNS[c] for c in shown.columns] + ["Gap rule", "Area"]
    assert out[EXPORT_COLUMNS["share_children_within_1km"]].iloc[0] == 50.0
    assert "(km, straight line)" in EXPORT_COLUMNS["mean_km_child_weighted"]
    assert gaprules.describe("local", service="GP practice", need="x", top_deciles=2,
                             area=None).startswith("A ward is flagged")


def test_target_permalink_restores(request, monkeypatch):
    monkeypatch.setenv("NEEDSMAP_DB", str(app_store(request)))
    at = AppTest.from_file(APP, default_timeout=240)
    for k, v in {"view": "target", "service": "school_primary", "deciles": "3",
                 "far": "30", "need": "income_rate"}.items():
        at.query_params[k] = v
    at.run()
    _ok(at)
    assert at.selectbox(key="tg_service").value == "school_primary"
    assert at.selectbox(key="tg_need").value == "income_rate"
    assert at.select_slider(key="tg_deciles").value == 3
    assert at.select_slider(key="tg_far").value == 30


FORMULAS = pd.DataFrame({
    "ward_code": ["E05015191", "E05015192"],
    "ward_name": ['=HYPERLINK("http://x","click")', "@SUM(A1:A2)"],
    "note": ["+cmd|' /C calc'!A0", "plain"],
    "value": [-1.5, 2.0],
})


def test_csv_export_escapes_formulas():
    df = pd.read_csv(io.BytesIO(exports.to_csv(FORMULAS)), encoding="utf-8-sig")
    assert df["ward_name"].tolist() == ['\'=HYPERLINK("http://x","click")', "'@SUM(A1:A2)"]
    assert df["note"].iloc[0].startswith("'+")
    assert df["value"].tolist() == [-1.5, 2.0]  # numbers untouched


def test_xlsx_export_is_readable_and_escaped():
    wb = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(FORMULAS, notes=["=1+1 note"])))
    ws = wb["wards"]
    assert ws["B2"].value.startswith("'=HYPERLINK")
    assert ws["B2"].data_type == "s"  # text, not a formula
    assert wb["notes"]["A2"].value == "'=1+1 note"


def test_gpkg_export_has_polygons(request):
    from needsmap.store.db import open_store

    con = open_store(app_store(request))
    try:
        wkb = con.execute("SELECT ST_AsWKB(geom) FROM ward_indicators ORDER BY ward_code LIMIT 2"
                          ).fetchall()
    finally:
        con.close()
    raw = exports.to_gpkg(FORMULAS, pd.Series([w[0] for w in wkb]))
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "x.gpkg"
        p.write_bytes(raw)
        gdf = pyogrio.read_dataframe(p)
    assert len(gdf) == 2
    assert gdf.crs.to_epsg() == 27700
    assert gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert gdf["ward_name"].iloc[0].startswith("'=")

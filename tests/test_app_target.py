"""Target view and exports on a real (Blackpool) store."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pyogrio
import pytest
from streamlit.testing.v1 import AppTest
from test_app_support import APP, app_store

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

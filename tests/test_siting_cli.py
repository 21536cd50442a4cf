"""``needsmap site`` on the real Blackpool store: tables printed, CSV/XLSX/GeoPackage written."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pyogrio
import pytest

from needsmap.cli import main
from needsmap.store.db import open_store


def test_site_writes_csv_xlsx_gpkg(blackpool_store, tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(["site", "--db", str(blackpool_store), "--la", "Blackpool", "--type", "library",
               "--candidates", "schools", "--n", "2", "--radius", "1.5", "--curve-to", "3",
               "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0
    assert "Proposed sites" in text and "Gain curve" in text and "not a decision" in text
    assert "Running HiGHS" not in text  # the solver banner is kept off the output
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["siting_sites.csv", "siting_coverage.csv", "siting_gains.csv",
                            "siting_uncovered_wards.csv", "siting_demand.csv",
                            "siting_settings.csv", "siting.xlsx", "siting.gpkg"])
    gains = pd.read_csv(out / "siting_gains.csv", encoding="utf-8-sig")
    assert gains["New sites"].tolist() == [0, 1, 2, 3]
    assert (gains["Gain: children within the radius"].iloc[1:] > 0).all()
    sites = pd.read_csv(out / "siting_sites.csv", encoding="utf-8-sig")
    assert (sites["Status"] == "proposed").sum() == 2
    assert {"Easting (m, EPSG:27700)", "Longitude", "Latitude"} <= set(sites.columns)
    wb = openpyxl.load_workbook(out / "siting.xlsx")
    assert {"sites", "coverage", "gains", "uncovered_wards", "demand", "settings",
            "notes"} <= set(wb.sheetnames)
    layers = {name for name, _ in pyogrio.list_layers(out / "siting.gpkg")}
    assert layers == {"sites", "catchments", "demand"}
    # every setting is stated, and no file path of the server leaks into an export
    settings = pd.read_csv(out / "siting_settings.csv", encoding="utf-8-sig")
    assert {"area", "radius_km", "model", "need", "candidates"} <= set(settings["setting"])
    for p in out.iterdir():
        assert str(blackpool_store.parent).encode() not in p.read_bytes()


def test_site_user_candidate_list_is_validated_and_escaped(blackpool_store, tmp_path, capsys):
    con = open_store(blackpool_store)
    try:  # three real Blackpool postcodes from Code-Point Open
        pcs = [r[0] for r in con.execute(
            "SELECT postcode FROM postcode WHERE postcode LIKE 'FY4 %' AND easting IS NOT NULL "
            "ORDER BY postcode LIMIT 3").fetchall()]
    finally:
        con.close()
    csv = tmp_path / "candidates.csv"
    csv.write_text("name,type,postcode\n"
                   f'"=HYPERLINK(""http://x"",""y"")",other,{pcs[0]}\n'
                   f"Hall B,other,{pcs[1]}\n"
                   f"Hall C,other,{pcs[2]}\n"
                   "Hall D,other,NOT A POSTCODE\n", encoding="utf-8")
    out = tmp_path / "out"
    rc = main(["site", "--db", str(blackpool_store), "--la", "Blackpool", "--type", "library",
               "--candidates", str(csv), "--n", "3", "--model", "pmedian", "--need", "none",
               "--out", str(out)])
    captured = capsys.readouterr()
    assert rc == 0
    # the Upload view's rules: a formula-like name and a bad postcode are rejected, with the row
    err = " ".join(captured.err.split())
    assert "2 rows accepted, 2 rejected" in err
    assert "row 1, column name: formula-like text" in err and "row 4, column postcode" in err
    sites = pd.read_csv(out / "siting_sites.csv", encoding="utf-8-sig")
    prop = sites[sites["Status"] == "proposed"]
    assert set(prop["Name"]) <= {"Hall B", "Hall C"}  # only 2 candidates: both opened
    assert "Only 2 candidate site(s)" in " ".join(captured.out.split())
    wb = openpyxl.load_workbook(io.BytesIO((out / "siting.xlsx").read_bytes()))
    for row in wb["sites"].iter_rows(values_only=True):
        for v in row:
            assert not (isinstance(v, str) and v.startswith("="))


@pytest.mark.parametrize(("args", "message"), [
    (["--la", "Blackpol"], "did you mean: Blackpool"),
    (["--la", "Blackpool", "--candidates", "spaceports"], "unknown candidate set"),
    (["--la", "Blackpool", "--need", "happiness"], "unknown need measure"),
])  # --radius 0 and other nonsense numbers stop at parse time: tests/test_cli_numbers.py
def test_site_bad_input_says_why(blackpool_store, capsys, args, message):
    rc = main(["site", "--db", str(blackpool_store), *args])
    assert rc == 1
    assert message in " ".join(capsys.readouterr().err.split())

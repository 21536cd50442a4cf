"""User service lists: a CSV with bad rows loads its good rows and reports every bad one.

The test CSV is built here from real Blackpool rows of the mirror (Libraries Hacked and
GIAS), then spoiled on purpose.
"""

from __future__ import annotations

import csv
import io
import shutil

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from needsmap.access.services import safe_label
from needsmap.access.services import stage as services_stage
from needsmap.access.upload import validate_upload
from needsmap.context import BuildContext, BuildOptions
from needsmap.escape import FORMULA_PREFIXES, escape_frame
from needsmap.ingest.report import LoadReport
from needsmap.settings import MAX_UPLOAD_BYTES, Settings
from needsmap.sources import Resolver, load_catalogue
from needsmap.store.db import connect

BLACKPOOL = "E06000009"
FORMULA = '=HYPERLINK("http://example.com/x","Click me")'


def _blackpool_rows(mirror) -> tuple[pd.DataFrame, pd.DataFrame]:
    lib = pd.read_csv(mirror / "services/libraries.csv", dtype=str)
    lib = lib[lib["Local authority"].str.contains("Blackpool") & lib["Year closed"].isna()]
    gias = pd.read_csv(mirror / "services/gias_open_establishments_20250524.csv", dtype=str)
    gias = gias[(gias["la_name"] == "Blackpool") & (gias["education_phase"] == "Primary")]
    return lib.reset_index(drop=True), gias.reset_index(drop=True)


def make_csv(mirror) -> tuple[bytes, dict[int, str]]:
    """The test CSV and, for each bad data row, the start of the expected reason."""
    lib, gias = _blackpool_rows(mirror)
    rows = [
        # good: postcode (lower case, no space: normalised), easting/northing, lat/lon
        [lib.loc[0, "Library name"], "library", lib.loc[0, "Postcode"].lower().replace(" ", ""), "", "", "", ""],
        [gias.loc[0, "establishment_name"], "school_primary", "", "", "", gias.loc[0, "easting"], gias.loc[0, "northing"]],
        [gias.loc[1, "establishment_name"], "Primary school", "", gias.loc[1, "latitude"], gias.loc[1, "longitude"], "", ""],
        [lib.loc[1, "Library name"] + " family hub", "Family Hub", lib.loc[1, "Postcode"], "", "", "", ""],
        # bad
        [lib.loc[2, "Library name"], "library", "FY99 9ZZ", "", "", "", ""],          # 5 not found
        [lib.loc[3, "Library name"], "library", "FY1 1PXX", "", "", "", ""],          # 6 not a postcode
        ["Youth club with no address", "youth_service", "", "", "", "", ""],          # 7 no location
        [lib.loc[4, "Library name"], "drop-in spaceport", lib.loc[4, "Postcode"], "", "", "", ""],  # 8
        [FORMULA, "family_hub", lib.loc[0, "Postcode"], "", "", "", ""],               # 9 formula
        [gias.loc[2, "establishment_name"], "school_primary", "", gias.loc[2, "longitude"], gias.loc[2, "latitude"], "", ""],  # 10 swapped
        [gias.loc[3, "establishment_name"], "school_primary", "", "", "", gias.loc[3, "easting"], ""],  # 11 half pair
        [lib.loc[0, "Library name"], "library", lib.loc[0, "Postcode"], "", "", "", ""],  # 12 duplicate of 1
        ["Cardiff library", "library", "CF10 1FL", "", "", "", ""],                    # 13 Wales
        ["+SUM(1,2)", "food_bank", lib.loc[0, "Postcode"], "", "", "", ""],            # 14 formula
    ]
    expected = {5: "postcode not found", 6: "postcode not valid", 7: "missing coordinates",
                8: "unknown service type", 9: "formula-like text", 10: "latitude and longitude look swapped",
                11: "missing coordinates", 12: "duplicate row", 13: "point outside England",
                14: "formula-like text"}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["name", "type", "postcode", "latitude", "longitude", "easting", "northing"])
    w.writerows(rows)
    return buf.getvalue().encode("utf-8"), expected


def test_upload_with_bad_rows(blackpool_store, mirror) -> None:
    data, expected = make_csv(mirror)
    con = connect(blackpool_store, read_only=True)
    try:
        accepted, rejected = validate_upload(data, con=con, filename="../../etc/passwd.csv")
    finally:
        con.close()
    # the store has the Welsh LSOAs (issue 21): row 13, a Cardiff library, is placed in
    # Wales, as the services stage places it (test_services_stage_with_user_list)
    assert accepted["row"].tolist() == [1, 2, 3, 4, 13]
    assert accepted.loc[accepted["row"] == 13, "lad_code"].str.startswith("W06").all()
    accepted = accepted[accepted["row"] != 13]
    expected = {r: why for r, why in expected.items() if r != 13}
    assert set(accepted["type"]) == {"library", "school_primary", "family_hub"}
    assert (accepted["lad_code"] == BLACKPOOL).all()
    assert accepted["lon"].between(-3.1, -2.9).all() and accepted["lat"].between(53.7, 53.9).all()
    assert accepted.loc[0, "postcode"] == _blackpool_rows(mirror)[0].loc[0, "Postcode"]
    assert rejected["row"].tolist() == sorted(expected)
    for r, why in expected.items():
        got = rejected.loc[rejected["row"] == r, "reason"].iloc[0]
        assert got.startswith(why), (r, got)
    unknown = rejected.loc[rejected["row"] == 8, "reason"].iloc[0]
    assert "family_hub" in unknown and "youth_service" in unknown  # lists the valid types
    # nothing formula-like leaves unescaped, in either frame
    for frame in (accepted, rejected):
        out = escape_frame(frame)
        for col in out.columns:
            bad = [v for v in out[col].dropna() if isinstance(v, str) and v.startswith(FORMULA_PREFIXES)]
            assert not bad, (col, bad)
    assert not rejected["raw"].str.startswith(FORMULA_PREFIXES).any()


def test_upload_bad_quoting_rejects_the_row() -> None:
    acc, rej = validate_upload(b'name,type,postcode\n"A,library,FY1 1AN\nB,library,FY1 1AN\n')
    assert rej["row"].tolist() == [1] and "bad quoting" in rej.loc[0, "reason"]


def test_upload_file_level_errors() -> None:
    too_big = b"name,type,postcode\n" + b"x" * (MAX_UPLOAD_BYTES + 1)
    for data, why in [(too_big, "the file is"), (b"", "the file is empty"),
                      (b"\xff\xfe\x00n\x00a", "UTF-16"),
                      (b"n\x00a\x00m\x00e\x00", "UTF-16"),
                      (b"name,type\x00,postcode\nA,library,FY1 1AN\n", "not a text CSV"),
                      (b"name;type;postcode\nA;library;FY1 1AN\n", "delimiter looks like a semicolon"),
                      (b"title,kind\nA,library\n", "missing required column"),
                      (b"name,type\nA,library\n", "no location columns"),
                      (b"name,name,type,postcode\nA,A,library,FY1 1AN\n", "appears twice")]:
        acc, rej = validate_upload(data)
        assert acc.empty and rej["row"].tolist() == [0], why
        assert why in rej.loc[0, "reason"], (why, rej.loc[0, "reason"])


def test_safe_label_is_never_a_path() -> None:
    assert safe_label("../../etc/pass wd.csv") == "pass_wd"
    assert safe_label("C:\\Users\\x\\hubs.CSV") == "hubs"
    assert safe_label("....") == "list"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400) | st.text(max_size=300).map(lambda s: ("name,type,latitude,longitude\n" + s).encode()))
def test_upload_never_crashes(data: bytes) -> None:
    acc, rej = validate_upload(data)
    assert set(acc["row"]).isdisjoint(set(rej["row"]))


def test_services_stage_with_user_list(blackpool_store, mirror, tmp_path) -> None:
    """``needsmap build --services CSV``: the stage keeps good rows and reports every bad one."""
    data, expected = make_csv(mirror)
    user = tmp_path / "blackpool hubs.csv"
    user.write_bytes(data)
    db = tmp_path / "copy.duckdb"
    shutil.copy(blackpool_store, db)
    con = connect(db)
    s = Settings(db_path=db, mirror=mirror, cache_dir=tmp_path / "cache", offline=True)
    ctx = BuildContext(con=con, settings=s, resolver=Resolver(s.cache_dir, s.mirror, offline=True),
                       catalogue=load_catalogue(), report=LoadReport(),
                       console=Console(quiet=True),
                       options=BuildOptions(user_services=(str(user),)))
    try:
        services_stage(ctx)
        ctx.report.check()
        fr = next(f for f in ctx.report.files if f.source_id == "user_services")
        # the store has the Welsh LSOAs (issue 21): row 13, a Cardiff library, is kept in Wales
        assert (fr.rows_read, fr.rows_kept, fr.rows_rejected) == (14, 5, len(expected) - 1)
        got = con.execute("SELECT name, type, lad_code FROM service WHERE source = 'user:blackpool_hubs' "
                          "ORDER BY name").df()
        assert len(got) == 5 and (got["lad_code"] == BLACKPOOL).sum() == 4
        assert got.loc[got["lad_code"] != BLACKPOOL, "lad_code"].str.startswith("W06").all()
        assert not got["name"].str.startswith(FORMULA_PREFIXES).any()
        assert any(src.id == "user:blackpool_hubs" for src, _ in ctx.sources_used)
    finally:
        con.close()


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_escape_cell(text: str) -> None:
    from needsmap.escape import escape_cell

    assert escape_cell(text) == "'" + text
    assert escape_cell("Library") == "Library"
    assert escape_cell(-1.5) == -1.5

"""The official IoD2025 File 7 as the IoD input, and child poverty rates that never exceed 1.

The mirror's File 7 excerpt (the header and first 8 rows of the publisher's CSV, byte
layout as published: 56 columns, official headers) is put in the cache under the
catalogue's File 7 name, and also under the File 5 name (an official-layout file whose
headers need quoting: it used to crash every build), then ``--la "City of London" --la
"Barking and Dagenham"`` is built. The 8 LSOAs must carry File 7's IDACI score with its
mid-2022 denominator and say so; every other LSOA keeps what the whole-England store built
from the mirror alone has; Blackpool's 94 LSOAs keep the official score of the File 5
extract (a partial official file does not replace it).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from rich.console import Console

from needsmap.pipeline import build
from needsmap.settings import Settings
from needsmap.sources import load_catalogue

EXCERPT = "deprivation/iod2025/iod2025_file7_official_excerpt.csv"
IDACI = "Income Deprivation Affecting Children Index (IDACI) Score (rate)"
KIDS = "Dependent Children aged 0-15: mid 2022"


@pytest.fixture(scope="module")
def file7_store(tmp_path_factory, mirror: Path) -> Path:
    root = tmp_path_factory.mktemp("file7")
    cache = root / "cache"
    cat = load_catalogue()
    for sid in ("iod2025_file7", "iod2025_file5"):
        dest = cache / cat.get(sid).cache_name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(mirror / EXCERPT, dest)
    db = root / "file7.duckdb"
    build(Settings(db_path=db, mirror=mirror, cache_dir=cache, offline=True),
          las=["City of London", "Barking and Dagenham"], console=Console(stderr=True, quiet=True))
    return db


def _q(db: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def test_the_eight_lsoas_carry_the_official_idaci_score(file7_store, mirror):
    f7 = pd.read_csv(mirror / EXCERPT)
    got = _q(file7_store, "SELECT lsoa_code, child_poverty_rate, child_poverty_children, "
             "child_poverty_denominator, child_poverty_method FROM lsoa_indicators "
             "WHERE child_poverty_method LIKE '%File 7%' ORDER BY lsoa_code")
    assert got["lsoa_code"].tolist() == f7["LSOA code (2021)"].tolist()
    assert got["child_poverty_rate"].tolist() == pytest.approx(f7[IDACI].tolist())
    assert got["child_poverty_denominator"].tolist() == f7[KIDS].astype(float).tolist()
    assert got["child_poverty_children"].tolist() == pytest.approx((f7[IDACI] * f7[KIDS]).tolist())
    assert set(got["child_poverty_method"]) == {
        "official IDACI score (IoD2025 File 7), over mid-2022 children 0-15"}
    # File 7's domain scores replace the mirror's for those LSOAs (they are equal: the
    # mirror's table was made from File 7)
    dom = _q(file7_store, "SELECT lsoa_code, imd_score, income_rate FROM lsoa_indicators "
             "WHERE lsoa_code IN (SELECT unnest($c))".replace(
                 "$c", "['" + "','".join(f7["LSOA code (2021)"]) + "']") + " ORDER BY 1")
    assert dom["imd_score"].tolist() == pytest.approx(
        f7["Index of Multiple Deprivation (IMD) Score"].tolist())


def test_every_other_lsoa_keeps_its_fallback(file7_store, england_store, mirror):
    eight = set(pd.read_csv(mirror / EXCERPT)["LSOA code (2021)"])
    cols = "lsoa_code, child_poverty_method, child_poverty_rate, child_poverty_children, imd_score"
    a = _q(file7_store, f"SELECT {cols} FROM lsoa_indicators ORDER BY 1")
    b = _q(england_store, f"SELECT {cols} FROM lsoa_indicators ORDER BY 1")
    a, b = a[~a["lsoa_code"].isin(eight)], b[~b["lsoa_code"].isin(eight)]
    assert len(a) == len(b) == 33_755 - 8
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_blackpool_keeps_the_file5_extract(file7_store, mirror):
    ex = pd.read_csv(mirror / "deprivation/iod2025/iod2025_file5_extract_blackpool.csv")
    got = _q(file7_store, "SELECT lsoa_code, child_poverty_rate, child_poverty_method "
             "FROM lsoa_indicators WHERE lad_code = 'E06000009' ORDER BY 1")
    assert len(got) == 94
    assert set(got["child_poverty_method"]) == {
        "official IDACI score (IoD2025 File 5 extract), over Census 2021 children 0-15"}
    m = got.merge(ex, left_on="lsoa_code", right_on="lsoa21cd")
    assert m["child_poverty_rate"].tolist() == pytest.approx(m["idaci_score_rate"].tolist())


def test_the_official_files_are_recorded_with_their_checks(file7_store):
    src = _q(file7_store, "SELECT source_id, origin, form, layout, checked, sha256 FROM source "
             "WHERE source_id IN ('iod2025_file7', 'iod2025_file5') ORDER BY 1")
    assert src["origin"].tolist() == ["cache", "cache"]
    assert set(src["form"]) == {"publisher's file"}
    assert src["layout"].tolist() == ["iod2025_file5", "iod2025_file7"]
    assert all(c.startswith("layout iod2025_file") for c in src["checked"])
    assert src["sha256"].str.fullmatch("[0-9a-f]{64}").all()
    rep = _q(file7_store, "SELECT rows_read, rows_kept, note FROM load_report "
             "WHERE source_id = 'iod2025_file7'")
    assert rep[["rows_read", "rows_kept"]].values.tolist() == [[8, 8]]
    assert "covers 8 of the 33,755" in rep["note"].iloc[0]
    wards = _q(file7_store, "SELECT ward_name, child_poverty_method FROM ward_indicators "
               "WHERE lad_name = 'City of London' ORDER BY 1")
    assert "official IDACI score (IoD2025)" in set(wards["child_poverty_method"])


def _rate_columns(db: Path) -> list[tuple[str, str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE column_name LIKE '%child_poverty_rate%' OR column_name = 'cilif_rate' "
            "ORDER BY 1, 2").fetchall()
    finally:
        con.close()


@pytest.mark.england
def test_no_child_poverty_rate_exceeds_one_in_any_table(england_store):
    cols = _rate_columns(england_store)
    assert ("ward_indicators_england", "child_poverty_rate") in cols
    assert ("lsoa_indicators", "child_poverty_rate") in cols
    for table, col in cols:
        top = _q(england_store, f'SELECT max("{col}") AS m, count("{col}") AS n FROM "{table}"')
        assert top["n"].iloc[0] > 0, (table, col)
        assert top["m"].iloc[0] <= 1.0, f"{table}.{col} max {top['m'].iloc[0]}"
    capped = _q(england_store, "SELECT count(*) AS n FROM lsoa_indicators "
                "WHERE child_poverty_method LIKE '%capped%'")["n"].iloc[0]
    assert capped == 118  # the LSOAs whose IDACI numerator exceeds the Census children
    w = _q(england_store, "SELECT ward_name, child_poverty_rate, n_lsoa_cp_capped, "
           "child_poverty_method FROM ward_indicators_england WHERE ward_name = 'Springfield' "
           "AND lad_name = 'Hackney'")
    assert w["child_poverty_rate"].iloc[0] <= 1.0
    assert "capped at 100%" in w["child_poverty_method"].iloc[0]

"""Service parsers and the Code-Point geocoder, on the real mirror files."""

from __future__ import annotations

import pandas as pd
import pytest

from needsmap.ingest.codepoint import PostcodeIndex, load_codepoint, normalise_postcodes
from needsmap.ingest.report import LoadReport
from needsmap.ingest.services.epraccur import read_epraccur
from needsmap.ingest.services.gias import read_gias
from needsmap.ingest.services.libraries import read_libraries
from needsmap.ingest.services.vocab import SERVICE_TYPES, gias_type, normalise_type


@pytest.fixture(scope="module")
def postcodes(mirror, tmp_path_factory) -> PostcodeIndex:
    cache = tmp_path_factory.mktemp("cp_cache")
    table = load_codepoint(mirror / "postcodes/codepo_gb.zip", cache)
    again = load_codepoint(mirror / "postcodes/codepo_gb.zip", cache)  # from the Parquet cache
    assert again.equals(table)
    assert list(cache.glob("derived/codepoint-*.parquet"))
    return PostcodeIndex(table, vintage="2025.2.0")


def test_normalise_postcodes() -> None:
    got = normalise_postcodes(pd.Series(["fy1 1an", " FY1  1AN ", "FY11AN", "b11aa", "AB101AB",
                                         "", None, "\tsw1a\u00a01aa"]))
    assert got.tolist()[:5] == ["FY1 1AN", "FY1 1AN", "FY1 1AN", "B1 1AA", "AB10 1AB"]
    assert got.isna().tolist()[5:7] == [True, True]
    assert got.iloc[7] == "SW1A 1AA"


def test_codepoint_table(postcodes: PostcodeIndex) -> None:
    assert len(postcodes) == 1_743_449
    t = postcodes.table.to_pandas()
    assert t["postcode"].str.match(r"^[A-Z0-9]{2,4} [0-9][A-Z]{2}$").all()
    assert not t["postcode"].duplicated().any()
    # positional quality 90 postcodes have no grid reference: never placed at 0,0
    assert (t["easting"] == 0).sum() == 0
    assert t["easting"].isna().sum() == 811
    hit = postcodes.lookup(pd.Series(["FY1 1AN", "ZZ9 9ZZ", None]))
    assert hit["found"].tolist() == [True, False, False]
    assert (hit.loc[0, "easting"], hit.loc[0, "northing"]) == (330711.0, 436623.0)
    assert hit.loc[0, "country_code"] == "E92000001"


def test_epraccur_active_gp_practices_only(mirror, postcodes) -> None:
    rep = LoadReport()
    fr = rep.file("epraccur", "epraccur.csv")
    df = read_epraccur(mirror / "services/epraccur.csv", fr, postcodes)
    fr.rows_kept = len(df)
    rep.check()
    assert fr.rows_read == 15_971
    rej = rep.rejected()
    assert (rej["reason"].str.startswith("not active")).sum() == 15_971 - 12_083
    # 6,750 active GP practices (README); those kept are England-geocoded, the rest explained
    active_gp = len(df) + rej["reason"].str.contains("postcode|outside England").sum()
    assert active_gp == 6_750
    assert (rej["reason"] == "point outside England (postcode in Wales)").sum() >= 390
    assert (df["type"] == "gp_practice").all() and df["easting"].notna().all()
    assert len(df) / (len(df) + rej["reason"].str.startswith("postcode not found").sum()) >= 0.995


def test_gias(mirror) -> None:
    rep = LoadReport()
    fr = rep.file("gias_open", "gias.csv")
    df = read_gias(mirror / "services/gias_open_establishments_20250524.csv", fr)
    fr.rows_kept = len(df)
    rep.check()
    assert fr.rows_read == 27_153
    raw = pd.read_csv(mirror / "services/gias_open_establishments_20250524.csv", dtype=str)
    no_xy = raw[raw["easting"].isna()]
    assert len(no_xy) == 531
    # every row without coordinates is rejected (type not mapped, or missing coordinates)
    rejected_rows = set(rep.rejected()["row"])
    assert {int(i) + 1 for i in no_xy.index} <= rejected_rows
    assert df["easting"].notna().all() and (df["easting"] > 0).all()
    types = set(df["type"].str.split("|").explode())
    assert types <= set(SERVICE_TYPES)
    assert {"school_primary", "school_secondary", "nursery", "special_school", "college"} <= types


def test_libraries(mirror, postcodes) -> None:
    rep = LoadReport()
    fr = rep.file("libraries", "libraries.csv")
    df = read_libraries(mirror / "services/libraries.csv", fr, postcodes)
    fr.rows_kept = len(df)
    rep.check()
    rej = rep.rejected()
    assert rej["reason"].str.startswith("closed").sum() == 478
    assert rej["reason"].str.contains("Scotland").sum() > 400
    assert rej["reason"].str.contains("Northern Ireland postcode").sum() > 50
    assert rej["reason"].str.startswith("duplicate row").sum() >= 1


def test_vocabulary() -> None:
    assert normalise_type("Children's Centre") == "childrens_centre"
    assert normalise_type(" FAMILY HUB ") == "family_hub"
    assert normalise_type("GP") == "gp_practice"
    assert normalise_type("spaceport") is None
    assert gias_type("Academies", "Academy converter", "All-through") == (
        "school_primary", "school_secondary")
    assert gias_type("Special schools", "Community special school", "Not applicable") == (
        "special_school",)
    assert gias_type("Welsh schools", "Welsh establishment", "Not applicable") == ()

"""Search in Wales (issues 19 and 21): a Welsh postcode, ward or LA in a store with Wales lands
on its Welsh ward, on the real border store (Newport and the Forest of Dean).

Checked by hand from the store's inputs: the Bettws postcode's ward is the one whose Welsh LSOA
polygon contains its Code-Point point, and its nearest GP practice and library are a
brute-force search over the store's services.
"""

from __future__ import annotations

import pytest

from needsmap.access.search import search

BETTWS = "W05001630"
NEWPORT = "W06000022"


@pytest.fixture(scope="module")
def con(border_con):
    return border_con


@pytest.fixture(scope="module")
def bettws_postcode(con):
    """A real Bettws postcode: the first NP20 7 one whose point lies in a Bettws LSOA."""
    return con.execute(
        "SELECT p.postcode, p.easting, p.northing FROM postcode p JOIN lsoa_wales l "
        "ON ST_Contains(l.geom, ST_Point(p.easting, p.northing)) WHERE l.ward_code = ? "
        "AND p.postcode LIKE 'NP20 7%' ORDER BY p.postcode LIMIT 1", [BETTWS]).fetchone()


def test_a_bettws_postcode_lands_on_its_welsh_ward_with_nearest_services(con, bettws_postcode,
                                                                        report_figure):
    pc, e, n = bettws_postcode
    r = search(con, pc.lower().replace(" ", ""))
    assert r.kind == "postcode" and r.code == pc
    assert (r.ward_code, r.ward_name, r.lad_code, r.lad_name) == (BETTWS, "Bettws", NEWPORT,
                                                                  "Newport")
    assert r.nation == "Wales" and r.in_scope and r.lsoa_code.startswith("W01")
    assert r.message == f"{pc} is in Bettws ward, Newport"
    near = r.nearest.set_index("service_type")
    for t in ("gp_practice", "library"):
        d, name = con.execute("SELECT sqrt((easting - ?)^2 + (northing - ?)^2) / 1000, name "
                              "FROM service WHERE type = ? ORDER BY 1, service_id LIMIT 1",
                              [e, n, t]).fetchone()
        assert near.at[t, "distance_km"] == pytest.approx(d) and near.at[t, "name"] == name
        assert near.at[t, "list_covers_area"]
        report_figure(f"search {pc}: nearest {t} {name} {d:.2f} km")
    # only the GP practice and library lists cover Wales; the others are England's lists
    others = near.drop(index=["gp_practice", "library"])
    assert not others["list_covers_area"].any()


def test_welsh_ward_and_la_names(con):
    r = search(con, "bettws")
    assert r.kind == "ward" and r.code == BETTWS and r.lad_name == "Newport"
    assert r.nation == "Wales" and r.in_scope
    xmin, ymin, xmax, ymax = r.bounds
    assert xmin < r.easting < xmax and ymin < r.northing < ymax
    r = search(con, "Newport")  # the Welsh LA wins over the English wards named Newport
    assert r.kind == "la" and r.code == NEWPORT and r.nation == "Wales"
    assert (r.matches["nation"] == "England").any()
    r = search(con, "Forest of Dean")
    assert r.kind == "la" and r.nation == "England"


def test_scotland_is_still_outside_the_search(con):
    r = search(con, "ab101ab")
    assert r.kind == "postcode" and r.ward_code is None and r.nation is None
    assert r.message == "AB10 1AB is in Scotland; the search finds English and Welsh wards only"


def test_a_store_without_wales_keeps_the_english_only_message(con, bettws_postcode, tmp_path):
    """A store built before issue 21 (no ``lsoa_wales``): the Bettws postcode gets its point
    and the message pointing to the area list. The store is made from the real store's rows
    (the postcode's Code-Point row and the English LSOA tables' columns), Wales left out."""
    import duckdb

    pc = bettws_postcode[0]
    row = con.execute("SELECT postcode, easting, northing, country_code FROM postcode "
                      "WHERE postcode = ?", [pc]).df()
    old = duckdb.connect(str(tmp_path / "no_wales.duckdb"))
    try:
        old.register("row", row)
        old.execute("CREATE TABLE postcode AS SELECT * FROM row")
        for t in ("lsoa", "lsoa_indicators", "scope_lad"):
            cols = con.execute(f"DESCRIBE {t}").df()  # noqa: S608 - fixed table names
            old.execute(f"CREATE TABLE {t} (" + ", ".join(  # noqa: S608
                f'"{c}" {"GEOMETRY" if c == "geom" else ty}' for c, ty in
                zip(cols["column_name"], cols["column_type"], strict=True)) + ")")
        r = search(old, pc)
    finally:
        old.close()
    assert r.kind == "postcode" and r.ward_code is None and r.nation is None
    assert r.message == (f"{pc} is in Wales; the search finds English wards only; choose a "
                         "Welsh local authority (or All Wales) in the area list")


def test_welsh_la_names_are_stored_and_searched(con, mirror):
    """Welsh LA names (issue 21: "Welsh names where the data has them") come from DWP's
    bilingual LA names ("Newport / Casnewydd"), read here by hand from the file."""
    import csv

    path = mirror / "child_poverty/children_relative_low_income_ltla_14-22.csv"
    with open(path, encoding="utf-8") as fh:
        pairs = dict(tuple(p.strip() for p in r[0].split(" / ", 1))
                     for r in csv.reader(fh) if r and " / " in r[0])
    got = con.execute("SELECT lad_code, lad_name, lad_name_cy FROM lad_name_wales").df()
    assert len(got) == 22  # every Welsh LAD24, from the ONS lookup
    named = got.dropna(subset=["lad_name_cy"])
    assert dict(zip(named["lad_name"], named["lad_name_cy"], strict=True)) == {
        k: v for k, v in pairs.items() if k in set(got["lad_name"])}
    assert got.set_index("lad_code").at[NEWPORT, "lad_name_cy"] == "Casnewydd"
    for text in ("Casnewydd", "casnewydd", "Newport"):
        r = search(con, text)
        assert (r.kind, r.code, r.name) == ("la", NEWPORT, "Newport / Casnewydd"), text
    assert search(con, "Gwynedd").name == "Gwynedd"  # the same name in both languages

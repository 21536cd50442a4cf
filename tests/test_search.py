"""Search (issue 19): postcodes, ward and LA names on the real Blackpool store."""

from __future__ import annotations

import pytest

from needsmap.access.search import KINDS, search
from needsmap.store.db import open_store


@pytest.fixture(scope="module")
def con(blackpool_store):
    c = open_store(blackpool_store)
    yield c
    c.close()


@pytest.fixture(scope="module")
def blackpool_postcode(con):
    """A real Blackpool postcode from the store's Code-Point table (first FY1 one with coordinates)."""
    return con.execute("SELECT postcode, easting, northing FROM postcode WHERE postcode LIKE 'FY1 %' "
                       "AND easting IS NOT NULL ORDER BY postcode LIMIT 1").fetchone()


def test_postcode_any_case_and_spacing_lands_on_its_ward(con, blackpool_postcode):
    pc, e, n = blackpool_postcode
    spellings = [pc, pc.lower(), pc.replace(" ", ""), f"  {pc[:-3]}   {pc[-3:].lower()} "]
    results = [search(con, s) for s in spellings]
    for r in results:
        assert r.kind == "postcode" and r.code == pc
        assert (r.easting, r.northing) == (float(e), float(n))
        assert r.lad_name == "Blackpool" and r.in_scope
        assert r.ward_code.startswith("E05") and r.ward_name in r.message
    r = results[0]
    # the ward is the one whose LSOA polygon contains the point
    lsoa = con.execute("SELECT lsoa_code, ward_code FROM lsoa "
                       "WHERE ST_Contains(geom, ST_Point(?, ?))", [float(e), float(n)]).fetchall()
    assert lsoa == [(r.lsoa_code, r.ward_code)]
    assert -3.2 < r.lon < -2.9 and 53.7 < r.lat < 53.9
    assert r.to_frame().shape[0] == 1 and r.to_frame().at[0, "kind"] == "postcode"


def test_postcode_nearest_services_with_distances(con, blackpool_postcode):
    pc, e, n = blackpool_postcode
    near = search(con, pc).nearest
    types = set(near["service_type"])
    assert {"school_primary", "gp_practice", "library"} <= types
    assert (near["rank"] == 1).all() and near["service_type"].is_unique
    lib = near[near["service_type"] == "library"].iloc[0]
    # recompute the nearest library by hand from the service table
    d, name = con.execute("SELECT sqrt((easting - ?)^2 + (northing - ?)^2) / 1000, name FROM service "
                          "WHERE type = 'library' ORDER BY 1 LIMIT 1", [e, n]).fetchone()
    assert lib["distance_km"] == pytest.approx(d) and lib["name"] == name
    assert lib["list_covers_area"]
    # the only children's centres list is Trafford's: it does not cover Blackpool
    cc = near[near["service_type"] == "childrens_centre"]
    assert cc.empty or not cc["list_covers_area"].iloc[0]


def test_unknown_postcode_says_terminated_are_not_included(con):
    absent = next(p for p in ("FY1 0AA", "FY1 0ZZ", "FY4 0ZZ", "FY2 0QZ")
                  if con.execute("SELECT count(*) FROM postcode WHERE postcode = ?",
                                 [p]).fetchone()[0] == 0)
    r = search(con, absent.lower().replace(" ", ""))
    vintage = con.execute("SELECT vintage FROM source WHERE source_id = 'codepoint_open'"
                          ).fetchone()[0]
    assert r.kind == "not_found"
    assert r.message == (f"{absent} not found in Code-Point Open {vintage}; "
                         "terminated postcodes are not included")


def test_postcode_outside_england_and_without_coordinates(con):
    r = search(con, "ab101ab")
    assert r.kind == "postcode" and "Scotland" in r.message and r.ward_code is None
    assert r.lat > 57
    pc = con.execute("SELECT postcode FROM postcode WHERE easting IS NULL LIMIT 1").fetchone()[0]
    r = search(con, pc)
    assert r.kind == "not_found" and "no coordinates" in r.message


def test_la_and_ward_names(con):
    r = search(con, "blackpool")
    assert r.kind == "la" and r.code == "E06000009" and r.in_scope
    xmin, ymin, xmax, ymax = r.bounds
    assert xmin < r.easting < xmax and ymin < r.northing < ymax
    r = search(con, "SQUIRES")
    assert r.kind == "ward" and r.name == "Squires Gate" and r.lad_name == "Blackpool"
    r = search(con, r.code)  # a ward code works too
    assert r.kind == "ward" and r.name == "Squires Gate"
    r = search(con, "Trafford")
    assert r.kind == "la" and not r.in_scope and "outside the area" in r.message
    r = search(con, "park")
    assert r.kind == "matches" and len(r.matches) == 50 and "pick one" in r.message
    assert r.matches["name"].str.lower().str.contains("park").all()


def test_not_found_messages(con):
    assert search(con, "").kind == "not_found"
    r = search(con, "FY1")
    assert r.kind == "not_found" and "first half of a postcode" in r.message
    r = search(con, "'; DROP TABLE ward; --")
    assert r.kind == "not_found" and "no postcode, ward or local authority" in r.message
    assert con.execute("SELECT count(*) FROM ward").fetchone()[0] == 21
    assert {search(con, q).kind for q in ("zzzz", "x" * 200)} <= set(KINDS)

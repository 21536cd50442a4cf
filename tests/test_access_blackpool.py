"""Blackpool's services and one ward's access figures against a hand computation.

The hand computation is independent of the build: GP practices straight from epraccur
(status A, prescribing setting 4) joined to Code-Point Open with plain pandas; LSOAs of
the ward from the ONS best-fit lookup; children from the Census table; LSOA polygons
from the boundary GeoJSON (shapely point-in-polygon); the nearest practice by brute
force over every English practice (numpy, no index).
"""

from __future__ import annotations

import io
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from needsmap.access import gaps
from needsmap.store.db import connect

BLACKPOOL = "E06000009"
WARD_NAME = "Bloomfield"


@pytest.fixture(scope="module")
def store(blackpool_store):
    con = connect(blackpool_store, read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def codepoint(mirror) -> pd.DataFrame:
    cols = ["pc", "pq", "e", "n", "country", "rh", "ha", "cc", "district", "ward"]
    frames = []
    with zipfile.ZipFile(mirror / "postcodes/codepo_gb.zip") as z:
        for m in z.namelist():
            if m.startswith("Data/CSV/") and m.endswith(("/fy.csv", "/pr.csv", "/bb.csv", "/la.csv")):
                frames.append(pd.read_csv(io.BytesIO(z.read(m)), header=None, names=cols, dtype=str))
            elif m.startswith("Data/CSV/") and m.endswith(".csv"):
                frames.append(pd.read_csv(io.BytesIO(z.read(m)), header=None, names=cols, dtype=str,
                                          usecols=[0, 1, 2, 3, 4, 8]))
    cp = pd.concat(frames, ignore_index=True)
    cp["key"] = cp["pc"].str.replace(" ", "")
    return cp


@pytest.fixture(scope="module")
def gp_hand(mirror, codepoint) -> pd.DataFrame:
    ep = pd.read_csv(mirror / "services/epraccur.csv", header=None, dtype=str)
    ep = ep[(ep[12] == "A") & (ep[25] == "4")]
    ep = ep.assign(key=ep[9].str.replace(" ", "").str.upper())
    m = ep.merge(codepoint, on="key", how="inner")
    m = m[(m["country"] == "E92000001") & (m["pq"] != "90")]
    return pd.DataFrame({"code": m[0], "e": m["e"].astype(float), "n": m["n"].astype(float),
                         "district": m["district"]})


def test_blackpool_gp_practices_match_codepoint_district(store, gp_hand) -> None:
    """Point-in-polygon places the same practices in Blackpool as Code-Point's district code."""
    got = set(store.execute("SELECT source_ref FROM service WHERE type = 'gp_practice' "
                            "AND lad_code = ?", [BLACKPOOL]).df()["source_ref"])
    hand = set(gp_hand.loc[gp_hand["district"] == BLACKPOOL, "code"])
    assert got == hand and len(got) >= 15


def test_blackpool_libraries(store, mirror) -> None:
    lib = pd.read_csv(mirror / "services/libraries.csv", dtype=str)
    lib = lib[lib["Local authority"].str.contains("Blackpool")]
    open_names = set(lib.loc[lib["Year closed"].isna(), "Library name"])
    got = set(store.execute("SELECT name FROM service WHERE type = 'library' AND lad_code = ?",
                            [BLACKPOOL]).df()["name"])
    assert got == open_names


def test_one_ward_by_hand(store, mirror, gp_hand) -> None:
    lu = pd.read_csv(mirror / "lookups/lsoa21_wd24_lad24_ew_lu.csv", dtype=str)
    ward = lu[(lu["LAD24CD"] == BLACKPOOL) & (lu["WD24NM"] == WARD_NAME)]
    ward_code = ward["WD24CD"].iloc[0]
    lsoas = sorted(ward["LSOA21CD"])
    census = pd.read_csv(mirror / "population/census2021_lsoa21_usual_residents_age6.csv")
    kids = census[(census["age_group"] == "Aged 15 years and under")
                  & census["lsoa21_code"].isin(lsoas)].set_index("lsoa21_code")["usual_residents"]
    cent = store.execute("SELECT lsoa_code, centroid_x, centroid_y, centroid_method FROM lsoa "
                         "WHERE list_contains(?, lsoa_code) ORDER BY lsoa_code", [lsoas]).df()
    assert (cent["centroid_method"] == "point_on_surface").all()
    # the centroid is a point on the LSOA's own surface
    bnd = gpd.read_file(mirror / "boundaries/lsoa21_ew_bsc_dec2021.geojson")
    bnd = bnd[bnd["LSOA21CD"].isin(lsoas)].to_crs(27700).set_index("LSOA21CD").loc[lsoas]
    pts = gpd.GeoSeries(gpd.points_from_xy(cent["centroid_x"], cent["centroid_y"]), index=bnd.index, crs=27700)
    assert bnd.geometry.buffer(1.0).contains(pts).all()
    # brute-force nearest practice (every English practice)
    xy = cent[["centroid_x", "centroid_y"]].to_numpy()
    d = np.sqrt((xy[:, None, 0] - gp_hand["e"].to_numpy()[None, :]) ** 2
                + (xy[:, None, 1] - gp_hand["n"].to_numpy()[None, :]) ** 2).min(axis=1) / 1000
    got = store.execute("SELECT lsoa_code, distance_km FROM lsoa_access WHERE service_type = "
                        "'gp_practice' AND measure = 'straight_line_km' AND list_contains(?, lsoa_code) "
                        "ORDER BY lsoa_code", [lsoas]).df()
    np.testing.assert_allclose(got["distance_km"].to_numpy(), d, rtol=0, atol=1e-9)
    c = kids.loc[lsoas].to_numpy(dtype=float)
    hand_mean = (c * d).sum() / c.sum()
    hand_1 = c[d <= 1].sum() / c.sum()
    hand_2 = c[d <= 2].sum() / c.sum()
    inside = gpd.points_from_xy(gp_hand["e"], gp_hand["n"], crs=27700)
    n_services = int(sum(bnd.geometry.contains(p).any() for p in inside
                         if bnd.total_bounds[0] - 10 <= p.x <= bnd.total_bounds[2] + 10
                         and bnd.total_bounds[1] - 10 <= p.y <= bnd.total_bounds[3] + 10))
    wa = store.execute("SELECT * FROM ward_access WHERE ward_code = ? AND service_type = "
                       "'gp_practice'", [ward_code]).df().iloc[0]
    assert wa["children_0_15"] == int(c.sum())
    assert wa["n_lsoa"] == len(lsoas)
    assert wa["mean_km_child_weighted"] == pytest.approx(hand_mean, abs=1e-9)
    assert wa["share_children_within_1km"] == pytest.approx(hand_1, abs=1e-12)
    assert wa["share_children_within_2km"] == pytest.approx(hand_2, abs=1e-12)
    assert wa["n_services"] == n_services
    assert wa["services_per_1000_children"] == pytest.approx(1000 * n_services / c.sum())
    assert bool(wa["in_coverage"])


def test_access_covers_every_lsoa_and_type(store) -> None:
    n_lsoa = store.execute("SELECT count(*) FROM lsoa").fetchone()[0]
    n_wales = store.execute("SELECT count(*) FROM lsoa_wales").fetchone()[0]
    n_types = store.execute("SELECT count(DISTINCT type) FROM service").fetchone()[0]
    assert (n_lsoa, n_wales) == (33_755, 1_917)
    # every English and Welsh LSOA (Welsh Target, issue 21) x every type
    rows = store.execute("SELECT count(*), count(DISTINCT lsoa_code), count(distance_km) "
                         "FROM lsoa_access").fetchone()
    n = n_lsoa + n_wales
    assert rows == (n * n_types, n, n * n_types)


def test_partial_lists_flagged_outside_coverage(store) -> None:
    """GM pharmacies cover only Greater Manchester: Blackpool is outside their coverage."""
    cov = store.execute("SELECT bool_or(in_coverage) FROM ward_access WHERE lad_code = ? AND "
                        "service_type = 'pharmacy'", [BLACKPOOL]).fetchone()[0]
    assert cov is False
    assert gaps(store, "pharmacy", need="imd_score", lad_code=BLACKPOOL).empty


def test_gaps_function_matches_view_and_binds(store) -> None:
    view = store.execute("SELECT ward_code, commissioning_rank, gap_flag FROM ward_gaps "
                         "WHERE service_type = 'library' AND need_measure = 'imd_score' "
                         "ORDER BY ward_code").df()
    fn = gaps(store, "library", need="imd_score").sort_values("ward_code")
    assert fn["ward_code"].tolist() == view["ward_code"].tolist()
    assert fn["gap_flag"].tolist() == view["gap_flag"].tolist()
    assert fn["commissioning_rank"].fillna(-1).tolist() == view["commissioning_rank"].fillna(-1).tolist()
    hi = fn[fn["high_need"]].sort_values("commissioning_rank")
    assert (hi["need_decile"] <= 2).all()
    # flagged gaps first, then the furthest children
    assert hi["gap_flag"].astype(int).is_monotonic_decreasing
    for _flag, part in hi.groupby("gap_flag"):
        assert part["mean_km_child_weighted"].is_monotonic_decreasing
    local = gaps(store, "library", need=None, lad_code=BLACKPOOL)
    assert (local["lad_code"] == BLACKPOOL).all() and len(local) == 21
    assert local["need_measure"].iloc[0] in ("ace", "imd_score")
    with pytest.raises(ValueError, match="unknown service type"):
        gaps(store, "library'; DROP TABLE service; --")
    with pytest.raises(ValueError, match="unknown need measure"):
        gaps(store, "library", need="1; DROP TABLE ward_need")
    assert store.execute("SELECT count(*) FROM service").fetchone()[0] > 0

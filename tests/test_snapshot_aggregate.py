"""Locality aggregation: a locality equals the LSOA-level recomputation (done here in pandas).

The recomputation reads ``lsoa_indicators`` and the shipped Dudley locality file and
applies the stated rules independently of the SQL: counts summed; the child poverty
rate = sum(children in income-deprived families) / sum(children 0-15) over LSOAs with a
value; income deprivation = resident-weighted mean of LSOA rates; IoD scores
resident-weighted; density = sum(residents) / sum(area).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from needsmap.settings import REPO_ROOT
from needsmap.snapshot import content as C
from needsmap.snapshot import figures as F
from needsmap.snapshot.localities import known_wards, read_localities
from needsmap.store.db import open_store

pytestmark = pytest.mark.england
DUDLEY = REPO_ROOT / "geodata" / "localities" / "dudley_localities.csv"


@pytest.fixture(scope="module")
def con(england_store):
    c = open_store(england_store)
    yield c
    c.close()


@pytest.fixture(scope="module")
def lsoa(con) -> pd.DataFrame:
    return con.execute("SELECT * FROM lsoa_indicators").df()


def by_hand(lsoa: pd.DataFrame, wards: list[str]) -> dict[str, float]:
    d = lsoa[lsoa["ward_code"].isin(wards)]
    cp = d[d["child_poverty_children"].notna()]
    inc = d[d["income_rate"].notna()]
    cr = d[d["crime_score"].notna()]
    return {
        "n_lsoa": len(d),
        "population": d["population"].sum(),
        "children_0_15": d["children_0_15"].sum(),
        "area_km2": d["area_km2"].sum(),
        "density_per_km2": d["population"].sum() / d["area_km2"].sum(),
        "child_poverty_rate": cp["child_poverty_children"].sum() / cp["children_0_15"].sum(),
        "income_rate": (inc["income_rate"] * inc["population"]).sum() / inc["population"].sum(),
        "crime_score": (cr["crime_score"] * cr["population"]).sum() / cr["population"].sum(),
    }


def test_each_dudley_locality_equals_lsoa_recomputation(con, lsoa):
    locs = read_localities(DUDLEY, known_wards(con))
    agg = F.aggregate(con, locs.groups())
    for loc in locs:
        want = by_hand(lsoa, loc.ward_codes)
        got = agg.loc[loc.name]
        for k, v in want.items():
            assert math.isclose(float(got[k]), float(v), rel_tol=1e-9), (loc.name, k, got[k], v)
        # the CI inputs are the same numerator and denominator
        assert math.isclose(got["child_poverty_num"] / got["child_poverty_den"],
                            want["child_poverty_rate"], rel_tol=1e-9)


def test_locality_is_not_a_mean_of_ward_means(con, lsoa):
    """Sanity check that the test above can tell the two apart on real data."""
    loc = read_localities(DUDLEY, known_wards(con)).localities[0]
    wards = con.execute("SELECT child_poverty_rate FROM ward_indicators_england WHERE ward_code "
                        "IN (SELECT unnest($w))", {"w": loc.ward_codes}).df()
    right = by_hand(lsoa, loc.ward_codes)["child_poverty_rate"]
    assert abs(wards["child_poverty_rate"].mean() - right) > 1e-6


def test_la_and_england_match_store_tables(con):
    """The same SQL over every Dudley ward / every ward gives lad_indicators / england_indicators."""
    code, name = C.resolve_la(con, "dudley")
    assert (code, name) == ("E08000027", "Dudley")
    la = F.aggregate(con, {"la": C.la_wards(con, code)}).loc["la"]
    ref = con.execute("SELECT * FROM lad_indicators WHERE lad_code = ?", [code]).df().iloc[0]
    eng = C.england_row(con)
    eref = con.execute("SELECT * FROM england_indicators").df().iloc[0]
    for k in ("population", "children_0_15", "area_km2", "density_per_km2", "child_poverty_rate",
              "income_rate", "crime_score", "health_score", "imd_score", "cilif_rate"):
        assert math.isclose(float(la[k]), float(ref[k]), rel_tol=1e-9), k
        assert math.isclose(float(eng[k]), float(eref[k]), rel_tol=1e-9), k


def test_single_ward_groups_match_ward_table(con):
    wards = C.la_wards(con, "E08000027")
    agg = F.aggregate(con, {w: [w] for w in wards})
    ref = con.execute("SELECT * FROM ward_indicators_england WHERE lad_code = 'E08000027'").df()
    ref = ref.set_index("ward_code")
    for w in wards:
        for k in ("population", "children_0_15", "child_poverty_rate", "income_rate", "density_per_km2"):
            assert math.isclose(float(agg.loc[w, k]), float(ref.loc[w, k]), rel_tol=1e-9), (w, k)

"""Issue 20, change over time: IoD2019 on today's wards (``ward_change``).

On the real files: one ward's IoD2019 IMD position and rank on May 2024 boundaries
recomputed by hand from the published LSOA 2011 ranks (File 2), the ONS LSOA11->LSOA21
lookup and Census 2021; every ward has both vintages; the change-vs-uncertainty rule holds
on every ward. The uncertainty formula on hand-made frames. Method: docs/method.md,
"Change since IoD2019".
"""

from __future__ import annotations

from itertools import accumulate
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from needsmap.areas.change import MEASURES
from needsmap.snapshot.content import change_text
from needsmap.sql import run_sql
from needsmap.store.db import open_store

FILE2 = "deprivation/iod2019/File_2_-_IoD2019_Domains_of_Deprivation.csv.gz"
IMD19 = "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"
LOOKUP = "lookups/lsoa11_lsoa21_lad22_ew_lu.csv"
WARDS = "lookups/lsoa21_wd24_lad24_ew_lu.csv"
CENSUS = "population/census2021_lsoa21_usual_residents_age6.csv"
N_WARDS = 6817


def q(db: Path, sql: str, params: dict | None = None) -> pd.DataFrame:
    con = open_store(db)
    try:
        return con.execute(sql, params or {}).df()
    finally:
        con.close()


def decile(rank: int, n: int) -> int:
    """ntile(10): the first n % 10 deciles hold one ward more."""
    sizes = [n // 10 + (1 if i < n % 10 else 0) for i in range(10)]
    return next(i + 1 for i, c in enumerate(accumulate(sizes)) if rank <= c)


@pytest.fixture(scope="module")
def wc(england_store) -> pd.DataFrame:
    return q(england_store, "SELECT * FROM ward_change")


# ------------------------------------------------------------------ one ward, by hand


def test_ward_imd_2019_rank_by_hand(england_store, mirror, wc):
    """Castle & Priory (Dudley, E05015907): 8 LSOAs 2021, two of them the parts of the split
    LSOA 2011 Dudley 006G, which take its IoD2019 position. Ward position = Census 2021
    resident-weighted mean of its LSOAs' positions (rank - 0.5) / 32,844; its rank = 1 +
    the wards of England whose position is lower."""
    ward = "E05015907"
    wl = pd.read_csv(mirror / WARDS, dtype=str)
    lsoas = sorted(wl.loc[wl["WD24CD"] == ward, "LSOA21CD"])
    assert len(lsoas) == 8
    k = q(england_store, "SELECT lsoa_code, w FROM lsoa_ward_weight WHERE ward_code = $w",
          {"w": ward})
    assert sorted(k["lsoa_code"]) == lsoas and (k["w"] == 1).all()  # best fit: whole LSOAs

    lu = pd.read_csv(mirror / LOOKUP, dtype=str)
    lu = lu[lu["LSOA21CD"].isin(lsoas)]
    assert set(lu["CHGIND"]) == {"U", "S"}  # no merges here: one parent per LSOA 2021
    parent = lu.set_index("LSOA21CD")["LSOA11CD"]
    assert parent["E01034306"] == parent["E01034307"] == "E01033187"

    f2 = pd.read_csv(mirror / FILE2, usecols=["LSOA code (2011)", IMD19]).set_index(
        "LSOA code (2011)")[IMD19]
    n19 = len(f2)
    assert n19 == 32844
    census = pd.read_csv(mirror / CENSUS)
    pop = census.groupby("lsoa21_code")["usual_residents"].sum()
    pct = {c: (f2[parent[c]] - 0.5) / n19 for c in lsoas}
    ward_pct = sum(pop[c] * pct[c] for c in lsoas) / sum(pop[c] for c in lsoas)

    imd = wc[wc["measure"] == "imd"].set_index("ward_code")
    assert imd.loc[ward, "pct_2019"] == pytest.approx(ward_pct, abs=1e-12)
    rank = 1 + int((imd["pct_2019"] < ward_pct - 1e-12).sum())
    assert imd.loc[ward, "rank_2019"] == rank == 1290
    assert imd.loc[ward, "decile_2019"] == decile(rank, N_WARDS) == 2
    # parts of one LSOA 2011 in one ward: its 2019 figure is exact there, no uncertainty
    assert imd.loc[ward, "uncertainty"] == 0


# ------------------------------------------------------------------ completeness


def test_ward_change_has_both_vintages_for_every_ward(wc, report_figure):
    assert len(wc) == N_WARDS * len(MEASURES)
    assert wc["ward_code"].nunique() == N_WARDS
    for m, g in wc.groupby("measure"):
        for v in ("2019", "2025"):
            assert g[f"rank_{v}"].notna().all(), (m, v)
            assert sorted(g[f"rank_{v}"]) == list(range(1, N_WARDS + 1)), (m, v)
            assert g[f"decile_{v}"].value_counts().sort_index().tolist() == [682] * 7 + [681] * 3
        assert (g["rank_change"] == g["rank_2019"] - g["rank_2025"]).all()
        assert (g["decile_change"] == g["decile_2019"] - g["decile_2025"]).all()
    assert set(wc["measure"]) == set(MEASURES)
    d = wc[wc["measure"] == "imd"]["direction"].value_counts()
    report_figure(f"ward_change IMD, {N_WARDS} wards: more deprived {d.get('more_deprived', 0)}, "
                  f"less deprived {d.get('less_deprived', 0)}, no clear change {d.get('stayed', 0)}")


# ------------------------------------------------------------------ the rule


def test_change_vs_uncertainty_rule_on_every_ward(wc):
    """exceeds_uncertainty: the 2025 rank is outside the 2019 rank band; direction: the 2025
    decile is beyond every decile of the band, else 'stayed'."""
    lo, hi = wc["rank_2019_low"], wc["rank_2019_high"]
    assert (lo <= wc["rank_2019"]).all() and (wc["rank_2019"] <= hi).all()
    out = (wc["rank_2025"] < lo) | (wc["rank_2025"] > hi)
    assert (wc["exceeds_uncertainty"] == out).all()
    dlo = [decile(r, N_WARDS) for r in lo]
    dhi = [decile(r, N_WARDS) for r in hi]
    want = ["more_deprived" if d25 < a else "less_deprived" if d25 > b else "stayed"
            for d25, a, b in zip(wc["decile_2025"], dlo, dhi, strict=True)]
    assert wc["direction"].tolist() == want
    no_u = wc["uncertainty"] == 0
    assert (wc.loc[no_u, "rank_2019_low"] == wc.loc[no_u, "rank_2019"]).all()
    assert (wc.loc[no_u, "rank_2019_high"] == wc.loc[no_u, "rank_2019"]).all()


def test_rank_band_of_the_most_uncertain_ward_by_hand(wc):
    """The band is the ranks the ward's 2019 position would take at pct_2019 -/+ u, the
    other wards staying where they are."""
    imd = wc[wc["measure"] == "imd"]
    w = imd.loc[imd["uncertainty"].idxmax()]
    assert w["uncertainty"] > 0.01
    others = imd.loc[imd["ward_code"] != w["ward_code"], "pct_2019"]
    assert w["rank_2019_low"] == 1 + int((others < w["pct_2019"] - w["uncertainty"]).sum())
    assert w["rank_2019_high"] == 1 + int((others < w["pct_2019"] + w["uncertainty"]).sum())
    assert w["rank_2019_low"] < w["rank_2019"] < w["rank_2019_high"]


def _tiny_store() -> duckdb.DuckDBPyConnection:
    """Hand-made frames for the uncertainty formula: LSOA 2011 A split into a1, a2; B into
    b1, b2; C unchanged (c). 100 residents each; remap errors +/-0.1 (A), +0.05/-0.05 (B)."""
    con = duckdb.connect()
    con.execute("""CREATE TABLE lsoa11_lsoa21_weight AS SELECT * FROM (VALUES
        ('A', 'a1', 'S', 2), ('A', 'a2', 'S', 2), ('B', 'b1', 'S', 2), ('B', 'b2', 'S', 2),
        ('C', 'c', 'U', 1)) t(lsoa11_code, lsoa21_code, change, n_targets)""")
    con.execute("""CREATE TABLE lsoa_change AS SELECT *, 'imd' AS measure FROM (VALUES
        ('a1', 0.30, 0.20, 0.10, 'S'), ('a2', 0.30, 0.40, -0.10, 'S'),
        ('b1', 0.60, 0.65, 0.05, 'S'), ('b2', 0.60, 0.55, -0.05, 'S'),
        ('c', 0.50, 0.50, 0.0, 'U')) t(lsoa_code, pct_2019, pct_2025, remap_error, lsoa11_change)""")
    con.execute("""CREATE TABLE lsoa_indicators AS SELECT lsoa_code, 100 AS population,
        20 AS children_0_15 FROM lsoa_change""")
    con.execute("""CREATE TABLE groups AS SELECT * FROM (VALUES
        ('a1', 'whole_A', 1.0), ('a2', 'whole_A', 1.0), ('c', 'whole_A', 1.0),
        ('a1', 'a1_b1', 1.0), ('b1', 'a1_b1', 1.0),
        ('a1', 'a1_b2', 1.0), ('b2', 'a1_b2', 1.0)) t(lsoa_code, group_code, w)""")
    run_sql(con, "aggregate_change")
    return con


def test_uncertainty_formula_on_hand_made_frames():
    """Parts of one LSOA 2011 in a group cancel; errors of different LSOAs 2011 add in
    absolute value, whatever their signs."""
    con = _tiny_store()
    u = dict(con.execute("SELECT group_code, uncertainty FROM aggregate_change('groups')").fetchall())
    assert u["whole_A"] == 0  # a1 and a2 together: A's 2019 figure is exact for the group
    assert u["a1_b1"] == pytest.approx((0.10 + 0.05) * 100 / 200)
    assert u["a1_b2"] == pytest.approx((0.10 + 0.05) * 100 / 200)  # no cancelling across A, B
    pct = dict(con.execute("SELECT group_code, pct_2019 FROM aggregate_change('groups')").fetchall())
    assert pct["a1_b1"] == pytest.approx((0.30 + 0.60) / 2)


@pytest.mark.parametrize(("p19", "p25", "u", "start"), [
    (0.234, 0.190, 0.001, "More deprived relative to England than in 2019"),
    (0.190, 0.234, 0.001, "Less deprived relative to England than in 2019"),
    (0.234, 0.190, 0.050, "About the same position"),  # the move is within the uncertainty
    (0.231, 0.234, 0.000, "About the same position"),  # both shown as the 23rd percentile
    (0.234, 0.236, 0.000, "About the same position"),  # 23rd -> 24th: the same tenth
    (0.195, 0.205, 0.000, "Less deprived"),  # 20th -> 21st: into the next tenth, u = 0
    (0.195, 0.205, 0.010, "About the same position"),  # ... but within the uncertainty
    (0.2449, 0.2351, 0.0, "About the same position"),  # both shown as the 24th percentile
])
def test_locality_change_line_rule(p19, p25, u, start):
    """A locality's line: moved when the 2025 position differs by more than the uncertainty
    and by a whole percentile as shown."""
    text = change_text(p19, p25, u)
    assert text.startswith(start)
    assert "(1st = most deprived)" in text
    assert change_text(None, p25, u) == ""

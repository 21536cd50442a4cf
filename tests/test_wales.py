"""Wales (issue 21): Welsh wards and the Welsh index, on the real files of the mirror.

One store is built for Newport (``--la Newport``); the Welsh LSOA, ward and LAD tables are
national for Wales whatever the scope (as the English LSOA tables are for England), so the
Wales-wide checks use it too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from needsmap.store.db import open_store

BETTWS = "W05001630"
NEWPORT = "W06000022"


@pytest.fixture(scope="module")
def newport_store(tmp_path_factory, mirror):
    from rich.console import Console

    from needsmap.pipeline import build
    from needsmap.settings import Settings

    root = tmp_path_factory.mktemp("newport")
    db = root / "newport.duckdb"
    build(Settings(db_path=db, mirror=mirror, cache_dir=root / "cache", offline=True),
          las=["Newport"], console=Console(stderr=True, quiet=True))
    return db


def q(db, sql: str, params: dict | None = None) -> pd.DataFrame:
    con = open_store(db)
    try:
        return con.execute(sql, params or {}).df()
    finally:
        con.close()


@pytest.fixture(scope="module")
def census(mirror) -> pd.DataFrame:
    c = pd.read_csv(mirror / "population/census2021_lsoa21_usual_residents_age6.csv")
    c = c[c.lsoa21_code.str.startswith("W")]
    return c.groupby("lsoa21_code").usual_residents.sum().rename("pop").to_frame()


@pytest.fixture(scope="module")
def lookup(mirror) -> pd.DataFrame:
    lu = pd.read_csv(mirror / "lookups/lsoa21_wd24_lad24_ew_lu.csv")
    return lu[lu.LAD24CD.str.startswith("W")]


def test_newport_resolves_and_the_store_has_its_welsh_wards(newport_store):
    scope = q(newport_store, "SELECT * FROM scope_lad")
    assert scope.to_dict("records") == [{"lad_code": NEWPORT, "lad_name": "Newport",
                                         "nation": "Wales"}]
    w = q(newport_store, "SELECT nation, count(*) AS n FROM ward GROUP BY 1")
    assert w.to_dict("records") == [{"nation": "Wales", "n": 21}]


def test_every_welsh_ward_including_the_ten_without_a_best_fit_lsoa(newport_store, lookup,
                                                                    report_figure):
    wards = q(newport_store, "SELECT * FROM ward_indicators_wales")
    assert len(wards) == 762 and wards.ward_code.str.startswith("W05").all()
    empty = set(wards.ward_code) - set(lookup.WD24CD)
    assert len(empty) == 10 and lookup.WD24CD.nunique() == 752
    e = wards[wards.ward_code.isin(empty)]
    assert (e.value_method == "areal").all() and (e.n_lsoa > 0).all() and (e.population > 0).all()
    assert wards.population.notna().all() and (wards.population > 0).all()
    report_figure(f"Wales: 762 wards (752 best fit + 10 by area shares); value methods "
                  f"{wards.value_method.value_counts().to_dict()}")


def test_population_sums_equal_the_census_for_wales_and_each_lad(newport_store, census, lookup):
    pop = census.join(lookup.set_index("LSOA21CD")[["LAD24CD"]])
    total = int(pop["pop"].sum())
    wales = q(newport_store, "SELECT * FROM wales_indicators").iloc[0]
    wards = q(newport_store, "SELECT lad_code, population FROM ward_indicators_wales")
    lads = q(newport_store, "SELECT lad_code, population FROM lad_indicators_wales")
    assert len(census) == 1917 and wales.n_lsoa == 1917
    assert wales.population == total == wards.population.sum()
    by_lad = pop.groupby("LAD24CD")["pop"].sum()
    assert len(lads) == 22
    assert lads.set_index("lad_code").population.to_dict() == by_lad.to_dict()
    assert wards.groupby("lad_code").population.sum().to_dict() == by_lad.to_dict()


def test_bettws_wimd_figures_by_hand_from_the_lsoa_files(newport_store, mirror, census, lookup):
    """Bettws's WIMD scores recomputed from the published files: WIMD at LSOA 2011, carried to
    LSOA 2021 by the mid-2020 residents and the Census 2021 shares of splits, then the
    resident-weighted mean over the ward's LSOAs (every one whole: w = 1)."""
    mine = lookup[lookup.WD24CD == BETTWS].LSOA21CD.tolist()
    w = q(newport_store, "SELECT * FROM lsoa_ward_weight WHERE ward_code = $w", {"w": BETTWS})
    assert sorted(w.lsoa_code) == sorted(mine) and (w.w == 1).all()
    l11 = pd.read_csv(mirror / "lookups/lsoa11_lsoa21_lad22_ew_lu.csv")
    sape = pd.read_csv(mirror / "population/sape23dt2_mid2020_lsoa11_single_year_of_age.csv",
                       usecols=["lsoa11_code", "all_ages"]).set_index("lsoa11_code").all_ages
    wimd = pd.read_csv(mirror / "deprivation/wimd2019/wimd2019_lsoa11_ranks_scores.csv"
                       ).set_index("lsoa11_code")
    cols = ["wimd_score", "community_safety_score", "health_score", "housing_score"]
    # w_population(l, t) = pop21(t) / sum of pop21 over the targets of l
    x = l11[l11.LSOA11CD.isin(l11[l11.LSOA21CD.isin(mine)].LSOA11CD)].copy()
    x["pop21"] = census["pop"].reindex(x.LSOA21CD).to_numpy()
    x["w"] = x.pop21 / x.groupby("LSOA11CD").pop21.transform("sum")
    x = x[x.LSOA21CD.isin(mine)]
    x["wp"] = x.w * sape.reindex(x.LSOA11CD).to_numpy()
    l21 = {}
    for c in cols:
        v = wimd[c].reindex(x.LSOA11CD).to_numpy()
        l21[c] = (x.assign(v=x.wp * v).groupby("LSOA21CD").v.sum()
                  / x.groupby("LSOA21CD").wp.sum())
    pop = census["pop"].reindex(mine)
    got = q(newport_store, "SELECT * FROM ward_indicators_wales WHERE ward_code = $w",
            {"w": BETTWS}).iloc[0]
    assert got.ward_name == "Bettws" and got.population == pop.sum()
    for c in cols:
        want = float((l21[c].reindex(mine) * pop).sum() / pop.sum())
        assert got[c] == pytest.approx(want, rel=1e-12), c


def test_welsh_index_is_ranked_among_welsh_wards_only(newport_store):
    """ward_ace holds English wards only, ward_ace_wales Welsh wards only; each nation's ranks
    run 1..n and its deciles hold a tenth of its own wards: no ranking spans both nations."""
    eng = q(newport_store, "SELECT ward_code, ace_rank_england, ace_decile_england FROM ward_ace")
    wal = q(newport_store, "SELECT * FROM ward_ace_wales")
    assert eng.ward_code.str.startswith("E05").all() and len(eng) == 6817
    assert wal.ward_code.str.startswith("W05").all() and len(wal) == 762
    assert set(eng.ward_code).isdisjoint(wal.ward_code)
    for ranks, deciles, n in ((eng.ace_rank_england, eng.ace_decile_england, 6817),
                              (wal.welsh_ace_rank, wal.welsh_ace_decile, 762)):
        assert ranks.min() == 1 and ranks.max() <= n and ranks.notna().all()
        counts = deciles.value_counts()
        assert set(counts.index) == set(range(1, 11))
        assert counts.max() - counts.min() <= 1 and counts.sum() == n
    # no table of the store has both an English and a Welsh rank column
    cols = q(newport_store, "SELECT table_name, list(column_name) AS c FROM duckdb_columns() "
                            "GROUP BY 1")
    for t, c in zip(cols.table_name, cols.c, strict=True):
        assert not (any("england" in x for x in c) and any("welsh" in x for x in c)), t
    # the Welsh index's ward ranks follow its score (1 = highest)
    s = wal.sort_values("welsh_ace_rank")
    assert (np.diff(s.welsh_ace_score.to_numpy()) <= 1e-12).all()


def test_bettws_has_a_welsh_decile_and_gwent_crime(newport_store, report_figure):
    b = q(newport_store, "SELECT * FROM ward_ace_wales WHERE ward_code = $w", {"w": BETTWS}).iloc[0]
    assert b.n_domains == 3 and 1 <= b.welsh_ace_decile <= 10
    c = q(newport_store, "SELECT * FROM ward_crime WHERE ward_code = $w", {"w": BETTWS}).iloc[0]
    assert c.police_force == "gwent" and c.full_coverage and c.crimes_12m > 0
    g = q(newport_store, "SELECT count(*) AS n FROM ward_crime WHERE police_force = 'gwent' "
                         "AND full_coverage").n.iloc[0]
    assert g == 123  # the wards of Blaenau Gwent, Caerphilly, Monmouthshire, Newport, Torfaen
    report_figure(f"Bettws: Welsh decile {b.welsh_ace_decile}, rank {b.welsh_ace_rank} of 762; "
                  f"recorded crime {c.rate_12m_per_1000:.1f} per 1,000 (Gwent, 12 months)")


def test_welsh_services_are_placed_and_gias_is_england_only(newport_store):
    s = q(newport_store, "SELECT type, count(*) AS n FROM service WHERE lad_code = $l GROUP BY 1",
          {"l": NEWPORT})
    got = dict(zip(s.type, s.n, strict=True))
    assert got.get("gp_practice", 0) > 0 and got.get("library", 0) > 0


def test_newport_snapshot_says_welsh_index_and_compares_with_wales(newport_store, tmp_path):
    from needsmap.snapshot.batch import write_snapshots

    con = open_store(newport_store)
    try:
        written = write_snapshots(con, None, tmp_path, formats=["html", "png"], la="Newport")
    finally:
        con.close()
    html = (tmp_path / "la-newport.html").read_text(encoding="utf-8")
    assert "Welsh modelled ACE risk index (WIMD 2019)" in html
    assert "compared with Wales" in html and "Bettws" in html
    assert "not comparable with the English index" in html
    assert "GIAS" in html and "England only" in html
    # nothing on the page ranks a Welsh ward against England
    for bad in ("England rank", "England decile", "English wards)", "vs England"):
        assert bad not in html
    assert (tmp_path / "la-newport-map.png").stat().st_size > 10_000
    assert written.index.exists()

"""Issue 14: every English ward on its ONS boundary, with LSOA->ward weights and fit figures.

Checked on the real files of the mirror (the whole-England store of the session), and
the weighting formulas on hand-made squares.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from needsmap.areas import weights as W
from needsmap.store.db import open_store


def q(db, sql, params=None):
    con = open_store(db)
    try:
        return con.execute(sql, params or {}).df()
    finally:
        con.close()


# ------------------------------------------------------------------ formulas, hand-made shapes


def _sq(x0, y0, x1, y1):
    return shapely.box(x0, y0, x1, y1)


def test_best_fit_splits_only_lsoas_overlapping_a_ward_the_lookup_leaves_empty():
    """Three 10x10 wards in a row; LSOA a = ward A; LSOA b covers wards B and C (lookup: B).

    Ward C gets no LSOA from the lookup, so b is split by area share: 0.5 to B, 0.5 to C;
    a keeps w = 1. Ward D in another LAD overlaps b but takes nothing (LSOAs nest in LADs).
    """
    lsoas = W.Areas(np.array(["a", "b"], dtype=object), np.array(["L1", "L1"], dtype=object),
                    np.array([_sq(0, 0, 10, 10), _sq(10, 0, 30, 10)], dtype=object))
    wards = W.Areas(np.array(["A", "B", "C", "D"], dtype=object),
                    np.array(["L1", "L1", "L1", "L2"], dtype=object),
                    np.array([_sq(0, 0, 10, 10), _sq(10, 0, 20, 10), _sq(20, 0, 30, 10),
                              _sq(25, 0, 40, 10)], dtype=object))
    w, fit = W.lsoa_ward_weights(lsoas, wards, ["A", "B"], "best_fit")
    got = {(r.lsoa_code, r.ward_code): (r.w, r.method) for r in w.itertuples()}
    assert got == {("a", "A"): (1.0, "best_fit"), ("b", "B"): (0.5, "areal"),
                   ("b", "C"): (0.5, "areal")}
    fit = fit.set_index("ward_code")
    assert fit.loc["A", "value_method"] == "best_fit"
    assert fit.loc["A", "fit_share_of_ward"] == 1.0 and fit.loc["A", "fit_spill"] == 0.0
    assert not fit.loc["A", "fit_poor"]
    # C: covered entirely by b (share 1); half of b lies outside C: spill = 0.5*10*10/(0.5*200)
    assert fit.loc["C", "value_method"] == "areal"
    assert fit.loc["C", "fit_share_of_ward"] == 1.0
    assert fit.loc["C", "fit_spill"] == pytest.approx(0.5)
    assert fit.loc["C", "fit_poor"]
    assert pd.isna(fit.loc["D", "value_method"]) and pd.isna(fit.loc["D", "fit_poor"])


def test_areal_shares_every_lsoa_and_best_fit_fit_figures():
    """areal: w = area(l ∩ W) / sum over the LAD's wards. best fit: share and spill."""
    # LSOA a: 0..10 covers ward A (0..9) and 1 unit of B (9..20); LSOA b: 10..20 inside B
    lsoas = W.Areas(np.array(["a", "b"], dtype=object), np.array(["L", "L"], dtype=object),
                    np.array([_sq(0, 0, 10, 10), _sq(10, 0, 20, 10)], dtype=object))
    wards = W.Areas(np.array(["A", "B"], dtype=object), np.array(["L", "L"], dtype=object),
                    np.array([_sq(0, 0, 9, 10), _sq(9, 0, 20, 10)], dtype=object))
    w, fit = W.lsoa_ward_weights(lsoas, wards, ["A", "B"], "areal")
    got = {(r.lsoa_code, r.ward_code): r.w for r in w.itertuples()}
    assert got == pytest.approx({("a", "A"): 0.9, ("a", "B"): 0.1, ("b", "B"): 1.0})
    assert w.groupby("lsoa_code").w.sum().tolist() == pytest.approx([1.0, 1.0])
    assert set(fit.value_method) == {"areal"}
    # areal, B: a (w 0.1, 10 of its 100 in B) and b (w 1, inside): spill 0.1*90 / (0.1*100 + 100)
    assert fit.set_index("ward_code").loc["B", "fit_spill"] == pytest.approx(9 / 110)
    w, fit = W.lsoa_ward_weights(lsoas, wards, ["A", "B"], "best_fit")
    assert set(w.method) == {"best_fit"} and (w.w == 1).all()
    fit = fit.set_index("ward_code")
    # A: its LSOA a covers all of A (share 1); 10 of a's 100 lie outside A (spill 0.1)
    assert fit.loc["A", "fit_share_of_ward"] == pytest.approx(1.0)
    assert fit.loc["A", "fit_spill"] == pytest.approx(0.1)
    assert not fit.loc["A", "fit_poor"]
    # B: only b (100 of B's 110) is behind it: share 0.909, no spill
    assert fit.loc["B", "fit_share_of_ward"] == pytest.approx(100 / 110)
    assert fit.loc["B", "fit_spill"] == pytest.approx(0.0)
    assert set(fit.value_method) == {"best_fit"}


def test_unknown_weighting_is_rejected_with_the_valid_list():
    with pytest.raises(W.WeightsError, match="best_fit, areal"):
        W.check_method("dasymetric")


# ------------------------------------------------------------------ the real whole-England store


def test_weights_sum_to_one_within_the_lsoas_lad(england_store):
    d = q(england_store, """SELECT k.lsoa_code, sum(k.w) AS s, count(*) AS n,
            bool_and(e.lad_code = l.lad_code) AS same_lad
        FROM lsoa_ward_weight k JOIN lsoa l USING (lsoa_code)
        JOIN ward_indicators_england e ON e.ward_code = k.ward_code GROUP BY 1""")
    assert len(d) == 33755
    assert (d.s - 1).abs().max() < 1e-12
    assert d.same_lad.all()
    share = q(england_store, """SELECT s.lsoa_code, sum(s.population) AS p, sum(s.children_0_15) AS c,
            any_value(i.population) AS lp, any_value(i.children_0_15) AS lc
        FROM lsoa_ward_share s JOIN lsoa_indicators i USING (lsoa_code) GROUP BY 1""")
    assert (share.p == share.lp).all() and (share.c == share.lc).all()


def test_city_of_london_has_25_wards_and_the_lookups_empty_wards_have_values(england_store):
    city = q(england_store, "SELECT * FROM ward_indicators WHERE lad_name = 'City of London'")
    assert len(city) == 25
    assert city.population.notna().all() and city.child_poverty_rate.notna().all()
    assert city.geom.notna().all()
    d = q(england_store, """SELECT ward_name, lad_name, population, children_0_15,
            child_poverty_rate, imd_score, value_method, fit_share_of_ward, fit_spill, fit_poor
        FROM ward_indicators_england
        WHERE (ward_name, lad_name) IN (('Holywell', 'Oxford'), ('Waterfront North', 'Liverpool'))
        ORDER BY ward_name""")
    assert d.ward_name.tolist() == ["Holywell", "Waterfront North"]
    assert (d.value_method == "areal").all()
    assert (d.population > 0).all() and d.child_poverty_rate.notna().all() and d.imd_score.notna().all()
    assert d.fit_share_of_ward.between(0, 1).all() and d.fit_spill.between(0, 1).all()
    assert d.fit_poor.notna().all()
    ace = q(england_store, """SELECT count(*) AS n FROM ward_ace a JOIN ward_indicators_england e
        USING (ward_code) WHERE e.value_method = 'areal' AND a.ace_decile_england IS NOT NULL""")
    assert ace.n[0] >= 33  # in the index, ranked among all 6,817


def test_aldgate_recomputed_by_hand_from_lsoa_and_ward_polygons(england_store, mirror):
    """Aldgate (City of London) gets no LSOA from the lookup: its figures are area shares of
    the City LSOAs that overlap it. Recomputed here with shapely from the two boundary files."""
    import geopandas as gpd

    lu = pd.read_csv(mirror / "lookups/lsoa21_wd24_lad24_ew_lu.csv", dtype=str)
    city_lsoas = lu[lu.LAD24NM == "City of London"].LSOA21CD.tolist()
    wards = pyogrio.read_dataframe(mirror / "boundaries/wards_may2024_uk_bsc.gpkg")
    wards = wards[wards.LAD24NM == "City of London"].set_index("WD24CD")
    assert len(wards) == 25
    aldgate = wards.index[wards.WD24NM == "Aldgate"][0]
    assert aldgate not in set(lu.WD24CD)  # the lookup leaves it empty
    ls = gpd.read_file(mirror / "boundaries/lsoa21_ew_bsc_dec2021.geojson")
    ls = ls[ls.LSOA21CD.isin(city_lsoas)].to_crs(27700).set_index("LSOA21CD")
    # every City LSOA overlapping a ward the lookup leaves empty is split by area among
    # the City wards it overlaps
    empty = [c for c in wards.index if c not in set(lu.WD24CD)]
    inter = {(lc, wc): shapely.intersection(lg, wg).area
             for lc, lg in ls.geometry.items() for wc, wg in wards.geometry.items()}
    split = {lc for (lc, wc), a in inter.items() if wc in empty and a > 0}
    share = {(lc, wc): a / sum(inter[(lc, x)] for x in wards.index)
             for (lc, wc), a in inter.items() if lc in split and a > 0}
    mine = {lc: s for (lc, wc), s in share.items() if wc == aldgate}
    assert len(mine) >= 1
    census = pd.read_csv(mirror / "population/census2021_lsoa21_usual_residents_age6.csv")
    census = census[census.lsoa21_code.isin(mine)]
    pop = census.groupby("lsoa21_code").usual_residents.sum()
    kids = census[census.age_group == "Aged 15 years and under"].set_index("lsoa21_code").usual_residents
    ind = pd.read_csv(mirror / "deprivation/iod2025/iod2025_lsoa21_underlying_indicators.csv"
                      ).set_index("lsoa21_code")
    num = ind.loc[list(mine), "income_deprivation_affecting_children_index_idaci_numerator"]
    w = pd.Series(mine)
    rate = (w * num).sum() / (w * kids.loc[w.index]).sum()
    got = q(england_store, "SELECT * FROM ward_indicators_england WHERE ward_code = $c",
            {"c": aldgate}).iloc[0]
    assert got.value_method == "areal"
    assert got.n_lsoa == len(mine)
    assert got.child_poverty_rate == pytest.approx(rate, rel=1e-6)
    # whole-number residents: within one person of sum(w * residents) per LSOA
    assert abs(got.population - (w * pop.loc[w.index]).sum()) <= len(mine)
    # fit figures
    ward_area = wards.geometry[aldgate].area
    inside = sum(inter[(lc, aldgate)] for lc in mine)
    spill = sum(s * (ls.geometry[lc].area - inter[(lc, aldgate)]) for lc, s in mine.items()) / sum(
        s * ls.geometry[lc].area for lc, s in mine.items())
    assert got.fit_share_of_ward == pytest.approx(min(inside / ward_area, 1.0), abs=1e-6)
    assert got.fit_spill == pytest.approx(spill, abs=1e-6)
    assert got.fit_poor == (inside / ward_area < 0.8 or spill > 0.2)


def test_best_fit_ward_fit_figures_match_shapely(england_store, mirror):
    """A ward of the lookup: share and spill of its whole LSOAs, by hand (Blackpool Bloomfield)."""
    import geopandas as gpd

    lu = pd.read_csv(mirror / "lookups/lsoa21_wd24_lad24_ew_lu.csv", dtype=str)
    sel = lu[(lu.LAD24NM == "Blackpool") & (lu.WD24NM == "Bloomfield")]
    code = sel.WD24CD.iloc[0]
    wards = pyogrio.read_dataframe(mirror / "boundaries/wards_may2024_uk_bsc.gpkg")
    ward = wards.set_index("WD24CD").geometry[code]
    ls = gpd.read_file(mirror / "boundaries/lsoa21_ew_bsc_dec2021.geojson")
    ls = ls[ls.LSOA21CD.isin(sel.LSOA21CD)].to_crs(27700)
    inside = sum(shapely.intersection(g, ward).area for g in ls.geometry)
    got = q(england_store, "SELECT * FROM ward_indicators_england WHERE ward_code = $c",
            {"c": code}).iloc[0]
    assert got.value_method == "best_fit"
    assert got.fit_share_of_ward == pytest.approx(inside / ward.area, abs=1e-6)
    assert got.fit_spill == pytest.approx(1 - inside / ls.geometry.area.sum(), abs=1e-6)


def test_poor_fit_counts_on_real_data(england_store, report_figure):
    d = q(england_store, """SELECT value_method, count(*) AS n, count(*) FILTER (WHERE fit_poor) AS poor,
            median(fit_share_of_ward) AS share, median(fit_spill) AS spill
        FROM ward_indicators_england GROUP BY 1 ORDER BY 1""")
    assert d.n.sum() == 6817
    for r in d.itertuples():
        report_figure(f"wards {r.value_method}: {r.n}, poor fit {r.poor}, median share "
                      f"{r.share:.3f}, median spill {r.spill:.3f}")


def test_blackpool_bsc_wards_against_the_bgc_reference(blackpool_store, mirror):
    """Blackpool's 21 ward polygons (UK BSC, as the map draws them) against the BGC files:
    codes equal, each area within 20%."""
    import geopandas as gpd

    ref = gpd.read_file(mirror / "boundaries/wards_may2024_bgc_blackpool.geojson").to_crs(27700)
    con = open_store(blackpool_store)
    got = con.execute("SELECT ward_code, ST_Area(geom) AS a, geom_method FROM ward").df()
    con.close()
    assert len(got) == 21 and set(got.ward_code) == set(ref.WD24CD)
    assert set(got.geom_method) == {"ons_wd24_bsc"}
    m = got.merge(ref.assign(ref_a=ref.area)[["WD24CD", "ref_a"]], left_on="ward_code",
                  right_on="WD24CD")
    rel = (m.a - m.ref_a).abs() / m.ref_a
    assert rel.max() < 0.20, m.loc[rel.idxmax()]

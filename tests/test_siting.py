"""Siting (issue 19): the MILP answers equal an exhaustive search on the real stores.

The brute force here is independent of the model code: its own distance matrices
(scipy ``cdist``) against *every* existing service of the type in England, no
reductions, every subset of candidates evaluated. The hand-made arrays at the end
only check formulas.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

from needsmap.access.siting import (
    SitingProblem,
    evaluate,
    greedy,
    need_weight,
    relevant_existing,
    solve,
)
from needsmap.access.siting_inputs import candidate_types, points_frame, read_inputs
from needsmap.store.db import open_store

RADIUS = 1.5


def brute_force(inputs, n: int, model: str, radius: float = RADIUS) -> tuple[float, tuple]:
    """Best objective over every ``n``-subset of the candidates: (value, subset)."""
    dem = inputs.demand
    w = dem["weight"].to_numpy(dtype="float64")
    dxy = dem[["x", "y"]].to_numpy(dtype="float64")
    D = cdist(dxy, inputs.candidates[["x", "y"]].to_numpy(dtype="float64")) / 1000.0
    if len(inputs.existing):
        E = cdist(dxy, inputs.existing[["x", "y"]].to_numpy(dtype="float64")).min(axis=1) / 1000.0
    else:
        E = np.full(len(dxy), np.inf)
    combos = np.array(list(itertools.combinations(range(D.shape[1]), n)), dtype=int)
    best_val, best_set = None, None
    for chunk in np.array_split(combos, max(1, len(combos) // 4000)):
        dmin = np.minimum(E[:, None], D[:, chunk].min(axis=2))  # (n_demand, n_chunk)
        if model == "mclp":
            vals = w @ (dmin <= radius)
            k = int(np.argmax(vals))
            better = best_val is None or vals[k] > best_val
        else:
            vals = (w @ dmin) / w.sum()
            k = int(np.argmin(vals))
            better = best_val is None or vals[k] < best_val
        if better:
            best_val, best_set = float(vals[k]), tuple(int(j) for j in chunk[k])
    return best_val, best_set


def check_against_brute_force(inputs, model: str, n_max: int, n_brute: int, report) -> None:
    problem = SitingProblem.from_frames(inputs.demand, inputs.existing, inputs.candidates, RADIUS)
    result = solve(problem, n_max, model)
    g = result.gains.set_index("new_sites")
    assert g.loc[1:, "status"].str.startswith("optimal").all()
    area = inputs.settings["area"]
    for n in range(1, n_brute + 1):
        val, subset = brute_force(inputs, n, model)
        got = float(g.at[n, "objective"])
        assert math.isclose(got, val, rel_tol=1e-12), (n, got, val, subset)
        w = "need-weighted" if inputs.settings["need"] != "none" else "unweighted"
        what = f"{w} children covered" if model == "mclp" else f"{w} mean km"
        report(f"siting {model} {area} N={n}: model {got:.6f} = brute force {val:.6f} "
               f"({what}; {math.comb(len(inputs.candidates), n)} subsets)")
    objs = g["objective"].to_numpy()
    if model == "mclp":
        assert (np.diff(objs) >= -1e-9).all()  # more sites never cover less
        for n in range(n_brute + 1, n_max + 1):  # beyond brute force: at least greedy's value
            gr = evaluate(problem, greedy(problem, n, model))["weighted_covered"]
            assert g.at[n, "objective"] >= gr - 1e-9
    else:
        assert (np.diff(objs[1:]) <= 1e-9).all()


@pytest.fixture(scope="module")
def bp(blackpool_store):
    con = open_store(blackpool_store)
    yield con
    con.close()


def test_blackpool_mclp_libraries_fixed_matches_brute_force(bp, report_figure):
    inputs = read_inputs(bp, "Blackpool", existing="library", candidates="schools")
    assert len(inputs.candidates) >= 30
    check_against_brute_force(inputs, "mclp", n_max=5, n_brute=3, report=report_figure)


def test_blackpool_pmedian_libraries_fixed_matches_brute_force(bp, report_figure):
    inputs = read_inputs(bp, "Blackpool", existing="library", candidates="schools")
    check_against_brute_force(inputs, "pmedian", n_max=3, n_brute=3, report=report_figure)


def test_blackpool_results_are_consistent(bp):
    inputs = read_inputs(bp, "blackpool", existing="library", candidates="schools")
    problem = SitingProblem.from_frames(inputs.demand, inputs.existing, inputs.candidates, RADIUS)
    res = solve(problem, 3, "mclp", curve_to=5)
    before, after = res.coverage.set_index("scenario").loc[["before", "after"]].to_dict("index").values()
    assert before["children"] == after["children"] == inputs.demand["children"].sum()
    # Blackpool's 10 libraries that matter (9 in Blackpool, one just across the border in Wyre)
    ex = res.sites[res.sites["status"] == "existing"]
    assert set(ex["lad_name"]) >= {"Blackpool"}
    prop = res.sites[res.sites["status"] == "proposed"]
    assert len(prop) == 3 and prop["lad_name"].eq("Blackpool").all()
    # newly covered by the chosen set = after - before (each newly covered child by one new site
    # or several; with overlaps the per-site figures can only add up to more)
    gain = after["children_covered"] - before["children_covered"]
    assert prop["children_newly_covered"].sum() >= gain
    assert res.gains.loc[res.gains["new_sites"] == 3, "children_covered"].item() == after["children_covered"]
    # the uncovered wards add up to the children beyond the radius
    assert res.uncovered_wards["children_uncovered"].sum() == after["children_beyond_radius"]
    assert (res.demand["km_after"] <= res.demand["km_before"] + 1e-12).all()
    # candidates merged at one place and none at an existing library
    assert not inputs.candidates.duplicated(["x", "y"]).any()


@pytest.mark.england
def test_trafford_mclp_childrens_centres_fixed_matches_brute_force(england_store, report_figure):
    con = open_store(england_store)
    try:
        inputs = read_inputs(con, "Trafford", existing="childrens_centre", candidates="schools")
    finally:
        con.close()
    assert len(inputs.existing) == 2  # the real Trafford list: Partington and Stretford
    check_against_brute_force(inputs, "mclp", n_max=5, n_brute=3, report=report_figure)


@pytest.mark.england
def test_rutland_pmedian_matches_brute_force(england_store, report_figure):
    con = open_store(england_store)
    try:
        inputs = read_inputs(con, "Rutland", existing="library", candidates="schools")
        unweighted = read_inputs(con, "Rutland", existing=None, candidates="gp_practices",
                                 need=None)
    finally:
        con.close()
    assert 5 <= len(inputs.candidates) <= 40
    check_against_brute_force(inputs, "pmedian", n_max=4, n_brute=4, report=report_figure)
    check_against_brute_force(unweighted, "pmedian", n_max=2, n_brute=2, report=report_figure)


def test_need_weighting_changes_demand_not_children(bp):
    a = read_inputs(bp, "Blackpool", existing=None, candidates="libraries", need=None)
    b = read_inputs(bp, "Blackpool", existing=None, candidates="libraries", need="ace",
                    need_scale="percentile")
    assert (a.demand["weight"] == a.demand["children"]).all()
    assert a.demand["children"].equals(b.demand["children"])
    assert b.demand["need_weight"].between(0, 1).all()
    assert a.settings["existing services"] == "none"


def test_unknown_names_are_rejected_with_the_valid_list(bp):
    with pytest.raises(KeyError, match="Blackpool"):
        read_inputs(bp, "Blackpol", existing=None, candidates="schools")
    with pytest.raises(ValueError, match="libraries"):
        read_inputs(bp, "Blackpool", existing=None, candidates="spaceports")
    with pytest.raises(ValueError, match="valid: .*imd_score"):
        read_inputs(bp, "Blackpool", existing=None, candidates="schools", need="happiness")
    with pytest.raises(ValueError, match="family_hub"):
        read_inputs(bp, "Blackpool", existing="hub", candidates="schools")
    with pytest.raises(ValueError, match="mclp"):
        solve(SitingProblem.from_frames(
            pd.DataFrame({"x": [0.0], "y": [0.0], "children": [1.0], "weight": [1.0]}), None,
            pd.DataFrame({"site_id": ["a"], "name": ["a"], "x": [0.0], "y": [0.0]}), 1.0),
            1, "centre")


def test_no_family_hubs_in_the_store_is_said(bp):
    inputs = read_inputs(bp, "Blackpool", existing="family_hub", candidates="libraries")
    assert inputs.existing.empty
    assert any("no family hub" in n for n in inputs.notes)


def test_lsoa_points_as_candidates(bp):
    inputs = read_inputs(bp, "Blackpool", existing="library", candidates="lsoa_centroids")
    assert len(inputs.candidates) == len(inputs.demand)
    problem = SitingProblem.from_frames(inputs.demand, inputs.existing, inputs.candidates, 1.0)
    res = solve(problem, 2, "mclp")
    assert res.gains["status"].iloc[-1].startswith("optimal")
    assert res.sites.loc[res.sites["status"] == "proposed", "site_id"].str.startswith("E01").all()


# ---------------------------------------------------------------- formulas, hand-made arrays


def line_problem(radius: float = 1.0) -> SitingProblem:
    """Demand at 0, 2, 4, 6 km (weights 1..4), an existing site at 0, candidates at 2, 4, 6."""
    dem = pd.DataFrame({"x": [0.0, 2000, 4000, 6000], "y": 0.0, "children": [1.0, 2, 3, 4]})
    dem["weight"] = dem["children"]
    ex = pd.DataFrame({"site_id": ["e0"], "name": ["e0"], "x": [0.0], "y": [0.0]})
    cand = pd.DataFrame({"site_id": ["c2", "c4", "c6"], "name": ["c2", "c4", "c6"],
                         "x": [2000.0, 4000, 6000], "y": 0.0})
    return SitingProblem.from_frames(dem, ex, cand, radius)


def test_mclp_by_hand():
    res = solve(line_problem(), 1, "mclp", curve_to=3)
    assert res.sites.loc[res.sites["status"] == "proposed", "name"].tolist() == ["c6"]
    assert res.gains["weighted_covered"].tolist() == [1.0, 5.0, 8.0, 10.0]
    assert res.gains["gain_weighted_covered"].tolist()[1:] == [4.0, 3.0, 2.0]


def test_pmedian_by_hand():
    # cost with e0 only: 0*1 + 2*2 + 4*3 + 6*4 = 40; + c6: 0 + 4 + 6 + 0 = 10; + c4: 12; + c2: 22
    res = solve(line_problem(), 1, "pmedian")
    assert res.sites.loc[res.sites["status"] == "proposed", "name"].tolist() == ["c6"]
    assert res.coverage["mean_km_weighted"].tolist() == [4.0, 1.0]


def test_evaluate_and_greedy_by_hand():
    p = line_problem()
    assert evaluate(p, [])["weighted_covered"] == 1.0
    assert evaluate(p, [1, 2])["children_covered"] == 8.0
    assert greedy(p, 2, "mclp") == [2, 1]
    assert greedy(p, 1, "pmedian") == [2]


def test_need_weight_scales():
    rank, dec = np.array([1, 3392, 6784]), np.array([1, 5, 10])
    assert need_weight(rank, dec, 6784, "decile").tolist() == [2.0, 1 + 5 / 9, 1.0]
    pct = need_weight(rank, dec, 6784, "percentile")
    assert pct[0] == 1.0 and pct[-1] == 0.0 and 0.49 < pct[1] < 0.51
    with pytest.raises(ValueError, match="decile, percentile"):
        need_weight(rank, dec, 10, "quintile")


def test_relevant_existing_keeps_covering_and_nearest():
    dem = np.array([[0.0, 0.0], [10_000.0, 0.0]])
    ex = np.array([[500.0, 0.0], [900.0, 0.0], [30_000.0, 0.0], [14_000.0, 0.0]])
    # 0 and 1 cover the first point within 1 km; 3 is the second point's nearest; 2 never matters
    assert relevant_existing(dem, ex, 1.0).tolist() == [0, 1, 3]


def test_points_frame_lonlat_and_errors():
    f = points_frame(pd.DataFrame({"name": ["Blackpool Central"], "lon": [-3.0497],
                                   "lat": [53.8175]}), "list")
    assert 330_000 < f.at[0, "x"] < 332_000 and 436_000 < f.at[0, "y"] < 437_500
    with pytest.raises(ValueError, match=r"row\(s\) \[2\].*easting/northing"):
        points_frame(pd.DataFrame({"easting": [1.0, None], "northing": [2.0, 3.0]}), "list")
    with pytest.raises(ValueError, match="needs easting/northing or lon/lat"):
        points_frame(pd.DataFrame({"postcode": ["FY1 1AN"]}), "list")
    assert candidate_types("schools")[0] == "school_primary"


def test_candidate_buffer_admits_sites_just_across_the_border(bp):
    inside = read_inputs(bp, "Blackpool", existing=None, candidates="libraries")
    near = read_inputs(bp, "Blackpool", existing=None, candidates="libraries",
                       candidate_buffer_km=2.0)
    assert set(inside.candidates["lad_name"]) == {"Blackpool"}
    extra = near.candidates[near.candidates["lad_name"] != "Blackpool"]
    assert len(extra) >= 1 and set(inside.candidates["site_id"]) < set(near.candidates["site_id"])
    # each one admitted lies within 2 km of a Blackpool LSOA polygon
    for x, y in extra[["x", "y"]].itertuples(index=False):
        d = bp.execute("SELECT min(ST_Distance(geom, ST_Point(?, ?))) FROM lsoa "
                       "WHERE lad_name = 'Blackpool'", [x, y]).fetchone()[0]
        assert d <= 2000.0

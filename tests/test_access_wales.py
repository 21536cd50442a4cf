"""Services, access, Target and siting for Welsh LAs (issue 21), on the real files of the mirror.

The store is Newport (Wales) and the Forest of Dean (England) across the border
(``border_store``). Checked by hand, from the store's inputs rather than its outputs:

* every Welsh LSOA has a representative point inside its polygon, and its nearest GP practice
  (a brute-force search over every GP practice in the store) is ``lsoa_access``'s;
* one Welsh ward's (Bettws) children's mean distance to the nearest GP practice, recomputed from
  ``lsoa_access``, the LSOA -> ward weights and the Census children;
* Target's thresholds and percentiles for Newport are computed among the 762 Welsh wards only
  (recomputed with numpy from ``ward_access_wales``), need deciles among Welsh wards, and no
  table or output column holds a rank over both nations;
* siting for Newport runs on Welsh LSOAs with need from the Welsh index, and refuses to mix
  English and Welsh LAs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from needsmap.access import gaps

BETTWS = "W05001630"
NEWPORT = "W06000022"
DEAN = "E07000080"


@pytest.fixture(scope="module")
def con(border_con):
    return border_con


def q(con, sql: str, params: dict | None = None) -> pd.DataFrame:  # noqa: ANN001
    return con.execute(sql, params or {}).df()


def test_welsh_lsoa_points_lie_in_their_lsoas(con):
    n = q(con, "SELECT count(*) AS n, count(*) FILTER (WHERE ST_Contains(geom, "
               "ST_Point(centroid_x, centroid_y))) AS inside, "
               "count(DISTINCT centroid_method) AS methods, any_value(centroid_method) AS m "
               "FROM lsoa_wales").iloc[0]
    assert n["n"] == 1917 and n["inside"] == 1917
    assert n["methods"] == 1 and n["m"] == "point_on_surface"


def test_welsh_nearest_gp_matches_a_brute_force_search(con, report_figure):
    pts = q(con, "SELECT lsoa_code, centroid_x, centroid_y FROM lsoa_wales WHERE lad_code = $l "
                 "ORDER BY lsoa_code", {"l": NEWPORT})
    gp = q(con, "SELECT easting, northing FROM service WHERE type = 'gp_practice'")
    d = np.sqrt((pts["centroid_x"].to_numpy()[:, None] - gp["easting"].to_numpy()[None, :]) ** 2
                + (pts["centroid_y"].to_numpy()[:, None] - gp["northing"].to_numpy()[None, :]) ** 2)
    mine = pd.Series(d.min(axis=1) / 1000.0, index=pts["lsoa_code"])
    got = q(con, "SELECT lsoa_code, distance_km, in_coverage FROM lsoa_access WHERE "
                 "service_type = 'gp_practice' AND lsoa_code IN (SELECT lsoa_code FROM "
                 "lsoa_wales WHERE lad_code = $l)", {"l": NEWPORT}).set_index("lsoa_code")
    assert len(got) == len(pts) == 100
    np.testing.assert_allclose(got.loc[mine.index, "distance_km"], mine, rtol=0, atol=1e-9)
    assert got["in_coverage"].all()
    report_figure(f"Newport LSOAs: nearest GP practice {mine.median():.2f} km median, "
                  f"{mine.max():.2f} km furthest (straight line, 100 LSOAs)")


def test_bettws_child_weighted_gp_distance_by_hand(con, report_figure):
    k = q(con, "SELECT k.lsoa_code, k.w, i.children_0_15 AS c, a.distance_km AS d "
               "FROM lsoa_ward_weight k JOIN lsoa_indicators_wales i USING (lsoa_code) "
               "JOIN lsoa_access a ON a.lsoa_code = k.lsoa_code AND a.service_type = 'gp_practice' "
               "WHERE k.ward_code = $w", {"w": BETTWS})
    assert len(k) >= 1
    p = k["w"] * k["c"]
    mean = float((p * k["d"]).sum() / p.sum())
    within1 = float((p * (k["d"] <= 1.0)).sum() / p.sum())
    row = q(con, "SELECT * FROM ward_access_wales WHERE ward_code = $w AND service_type = "
                 "'gp_practice'", {"w": BETTWS}).iloc[0]
    assert row["mean_km_child_weighted"] == pytest.approx(mean, abs=1e-12)
    assert row["share_children_within_1km"] == pytest.approx(within1, abs=1e-12)
    assert row["max_km"] == pytest.approx(k["d"].max())
    assert row["n_lsoa"] == len(k)
    kids = q(con, "SELECT children_0_15 FROM ward_indicators_wales WHERE ward_code = $w",
             {"w": BETTWS}).iloc[0, 0]
    assert row["children_0_15"] == kids
    report_figure(f"Bettws (Newport): children's mean distance to the nearest GP practice "
                  f"{mean:.3f} km over {len(k)} LSOAs, {within1:.0%} within 1 km")


def test_coverage_in_wales_is_gp_practices_and_libraries_only(con):
    cov = q(con, "SELECT service_type, count(DISTINCT lad_code) AS n FROM service_coverage "
                 "WHERE lad_code LIKE 'W%' GROUP BY 1")
    assert dict(zip(cov["service_type"], cov["n"], strict=True)) == {"gp_practice": 22,
                                                                     "library": 22}
    wa = q(con, "SELECT service_type, bool_and(in_coverage) AS all_in, "
                "bool_or(in_coverage) AS any_in, count(*) AS n FROM ward_access_wales GROUP BY 1")
    cov_types = set(wa.loc[wa["any_in"], "service_type"])
    assert cov_types == {"gp_practice", "library"}
    assert wa.loc[wa["any_in"], "all_in"].all() and (wa["n"] == 762).all()


def test_the_nations_tables_hold_one_nation_each(con):
    for table, nation in (("ward_access", "E"), ("ward_need", "E"), ("ward_access_wales", "W"),
                          ("ward_need_wales", "W")):
        first = set(q(con, f"SELECT DISTINCT left(ward_code, 1) AS n FROM {table}")["n"])  # noqa: S608
        assert first == {nation}, table
    need = q(con, "SELECT need_measure, count(*) AS n, max(need_rank) AS r, "
                  "max(need_decile) AS d FROM ward_need_wales GROUP BY 1")
    assert (need["n"] == 762).all() and (need["r"] <= 762).all() and (need["d"] == 10).all()
    assert "welsh_ace" in set(need["need_measure"])
    ace = q(con, "SELECT n.need_decile, a.welsh_ace_decile FROM ward_need_wales n JOIN "
                 "ward_ace_wales a USING (ward_code) WHERE n.need_measure = 'welsh_ace'")
    assert (ace["need_decile"] == ace["welsh_ace_decile"]).all()


def _percent_rank(x: np.ndarray) -> np.ndarray:
    """SQL percent_rank: (rank - 1) / (n - 1), rank = 1 + the number of smaller values."""
    s = np.sort(x)
    return np.searchsorted(s, x, side="left") / (len(x) - 1)


def test_newport_target_is_ranked_among_welsh_wards_only(con, report_figure):
    df = gaps(con, "gp_practice", need=None, lad_code=NEWPORT)
    assert df["need_measure"].iloc[0] == "welsh_ace"
    assert len(df) == 21 and set(df["lad_code"]) == {NEWPORT}
    wa = q(con, "SELECT ward_code, lad_code, mean_km_child_weighted AS d FROM ward_access_wales "
                "WHERE service_type = 'gp_practice' AND in_coverage")
    assert len(wa) == 762
    assert (df["n_covered"] == 762).all() and (df["need_n"] == 762).all()
    pr = pd.Series(_percent_rank(wa["d"].to_numpy()), index=wa["ward_code"])
    np.testing.assert_allclose(df["access_percentile"], pr.loc[df["ward_code"]], atol=1e-12)
    national = wa["d"][pr.to_numpy() >= 0.8].min()
    assert df["national_km"].iloc[0] == pytest.approx(national)
    mine = wa[wa["lad_code"] == NEWPORT]
    la_pr = _percent_rank(mine["d"].to_numpy())
    assert df["la_km"].iloc[0] == pytest.approx(mine["d"][la_pr >= 0.75].min())
    # not what an England-and-Wales ranking would give
    both = q(con, "SELECT mean_km_child_weighted AS d FROM ward_access WHERE service_type = "
                  "'gp_practice' AND in_coverage UNION ALL SELECT mean_km_child_weighted FROM "
                  "ward_access_wales WHERE service_type = 'gp_practice' AND in_coverage")["d"]
    assert both.quantile(0.8) != pytest.approx(df["national_km"].iloc[0], abs=1e-6)
    # no column mentions England's ranks
    assert not [c for c in df.columns if "england" in c.lower()]
    # high need = the top two deciles among Welsh wards, flags as the rule says
    assert (df["high_need"] == (df["need_decile"] <= 2)).all()
    far = np.minimum(df["la_km"], df["national_km"])
    assert (df["flag_local"] == (df["high_need"] & (df["mean_km_child_weighted"] >= far))).all()
    report_figure(f"Newport Target (GP practices, Welsh index): {int(df['high_need'].sum())} of "
                  f"21 wards high need, {int(df['gap_flag'].sum())} flagged; far = "
                  f"{df['far_km'].iloc[0]:.2f} km (Newport's furthest quarter "
                  f"{df['la_km'].iloc[0]:.2f} km, Wales's furthest fifth "
                  f"{df['national_km'].iloc[0]:.2f} km)")


def test_a_target_run_never_mixes_the_nations(con):
    with pytest.raises(ValueError, match="never ranked together"):
        gaps(con, "gp_practice", lad_code=NEWPORT, nation="England")
    with pytest.raises(ValueError, match="children's distances only"):
        gaps(con, "gp_practice", lad_code=NEWPORT, basis="under5")
    eng = gaps(con, "gp_practice", need="ace", lad_code=DEAN)
    assert set(eng["ward_code"].str[0]) == {"E"}
    assert (eng["n_covered"] == 6817).all()
    wales = gaps(con, "gp_practice", need="wimd_score", nation="Wales")
    assert len(wales) == 762 and set(wales["ward_code"].str[0]) == {"W"}


def test_an_uploaded_list_is_measured_for_welsh_wards(con):
    from needsmap.access.measures import access_for_points

    lib = q(con, "SELECT easting, northing, lsoa_code, lad_code FROM service WHERE type = "
                 "'library' AND lad_code = $l ORDER BY service_id", {"l": NEWPORT})
    ward, lsoa = access_for_points(con, lib["easting"].to_numpy(), lib["northing"].to_numpy(),
                                   lib["lsoa_code"].to_numpy(), lib["lad_code"].to_numpy(),
                                   nation="Wales")
    assert set(ward["ward_code"].str[0]) == {"W"} and len(ward) == 762
    assert set(ward.loc[ward["in_coverage"], "lad_code"]) == {NEWPORT}
    df = gaps(con, "your list", need="welsh_ace", lad_code=NEWPORT, custom=(ward, lsoa))
    assert len(df) == 21 and (df["n_covered"] == 21).all()


def test_siting_for_newport(con, report_figure):
    from needsmap.access.siting import SitingProblem, solve
    from needsmap.access.siting_inputs import read_inputs
    from needsmap.access.siting_report import assumptions
    from needsmap.index.wales import CAVEAT_WALES

    con.execute("LOAD spatial")
    inputs = read_inputs(con, "Newport", existing="gp_practice", candidates="libraries")
    assert inputs.settings["nation"] == "Wales" and inputs.settings["need"] == "welsh_ace"
    assert len(inputs.demand) == 100 and set(inputs.demand["lsoa_code"].str[0]) == {"W"}
    assert inputs.demand["need_decile"].notna().all()
    assert "Welsh wards" in inputs.settings["need_scale"]
    problem = SitingProblem.from_frames(inputs.demand, inputs.existing, inputs.candidates, 1.0)
    result = solve(problem, 2, "mclp")
    cov = result.coverage.set_index("scenario")
    assert cov.loc["after", "children_covered"] > cov.loc["before", "children_covered"]
    proposed = result.sites[result.sites["status"] == "proposed"]
    assert len(proposed) == 2 and set(proposed["lad_code"]) == {NEWPORT}
    assert CAVEAT_WALES in assumptions(result, inputs)
    report_figure("Newport siting (GP practices fixed, libraries as candidates, 1 km, MCLP, "
                  f"Welsh index decile weight): {', '.join(proposed['name'])}; children within "
                  f"1 km {cov.loc['before', 'children_covered']:,.0f} -> "
                  f"{cov.loc['after', 'children_covered']:,.0f} of "
                  f"{cov.loc['after', 'children']:,.0f}")
    with pytest.raises(ValueError, match="one nation at a time"):
        read_inputs(con, ["Newport", "Forest of Dean"], existing="gp_practice",
                    candidates="libraries")

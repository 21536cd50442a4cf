"""The engine on messy frames (ties, gaps), the recorded-crime hook and the frame cache."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from test_index_methods import random_frame

from needsmap.index import compute_index, load_indicator_frame

WEIGHTS = [None, {"child_poverty": 0.4, "income": 0.3, "crime": 0.2, "density": 0.1},
           {"income": 1, "health": 3}, {"child_poverty": 0.3, "income": 0.1, "crime": 0.2,
                                        "density": 0.2, "health": 0.2}]


def messy_frame() -> pd.DataFrame:
    """Ties, missing values and uneven LAD sizes."""
    df = random_frame(n=600, seed=11)
    df["lad_code"] = np.where(np.arange(600) < 20, "E06000001", df["lad_code"])
    df.loc[5:9, "income_rate"] = np.nan
    df.loc[30, ["child_poverty_rate", "income_rate", "crime_score", "density_per_km2"]] = np.nan
    df["crime_score"] = df["crime_score"].round(0)  # heavy ties
    return df


def test_ward_without_indicators_is_unranked():
    df = messy_frame()
    out = compute_index(df, "lewer")
    row = out.loc[out["ward_code"] == df.loc[30, "ward_code"]].iloc[0]
    assert pd.isna(row["ace_score"]) and pd.isna(row["ace_rank_england"])
    assert out["ace_rank_england"].max() == len(df) - 1


def crime_con(df: pd.DataFrame, crime: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.register("f", df)
    con.register("c", crime)
    con.execute("CREATE TABLE ward_indicators_england AS SELECT * FROM f")
    con.execute("CREATE TABLE ward_crime AS SELECT * FROM c")
    return con


def test_recorded_crime_hook_uses_ward_crime_where_coverage_is_full():
    df = pd.DataFrame({
        "ward_code": list("abcdef"), "ward_name": list("ABCDEF"), "lad_code": ["L"] * 6,
        "lad_name": ["La"] * 6, "population": [1000.0] * 6, "children_0_15": [200.0] * 6,
        "child_poverty_rate": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        "income_rate": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        "crime_score": [6.0, 5.0, 4.0, 3.0, 2.0, 1.0],
        "density_per_km2": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        "health_score": [0.0] * 6,
    })
    crime = pd.DataFrame({"ward_code": list("abcd"), "rate_12m_per_1000": [1.0, 2.0, 3.0, 99.0],
                          "full_coverage": [True, True, True, False]})
    con = crime_con(df, crime)
    w = {"recorded_crime": 1}
    sql = compute_index(con, "lewer", w)
    fast = compute_index(load_indicator_frame(con), "lewer", w)
    pd.testing.assert_frame_equal(fast, sql, check_exact=True, check_dtype=False)
    src = dict(zip(sql["ward_code"], sql["crime_source"], strict=True))
    assert src == {"a": "police_recorded_12m", "b": "police_recorded_12m",
                   "c": "police_recorded_12m", "d": "iod_crime_score",
                   "e": "iod_crime_score", "f": "iod_crime_score"}
    # quantiles: a 1/4, b 2/4, c 3/4 (recorded, 3 covered wards); d 3/7, e 2/7, f 1/7 (IoD)
    # -> ranked: f 1, a 2, e 3, d 4, b 5, c 6
    score = dict(zip(sql["ward_code"], sql["ace_score"], strict=True))
    assert score == {"f": 1.0, "a": 2.0, "e": 3.0, "d": 4.0, "b": 5.0, "c": 6.0}
    # without the table every ward keeps the IoD crime score
    con2 = duckdb.connect(":memory:")
    con2.register("f", df)
    con2.execute("CREATE TABLE ward_indicators_england AS SELECT * FROM f")
    out = compute_index(con2, "lewer", w)
    assert (out["crime_source"] == "iod_crime_score").all()
    # crime_source is only per ward when recorded_crime carries weight
    assert (compute_index(con, "lewer", {"crime": 1})["crime_source"] == "iod_crime_score").all()
    assert out["ace_score"].tolist() == compute_index(df, "lewer", {"crime": 1})[
        "ace_score"].tolist()


def test_store_frame_is_cached_per_file_version(tmp_path):
    from needsmap.index import store_frame
    from needsmap.settings import SCHEMA_VERSION

    db = tmp_path / "s.duckdb"
    c = duckdb.connect(str(db))
    c.register("f", random_frame(n=50))
    c.execute("CREATE TABLE ward_indicators_england AS SELECT *, ward_code AS ward_name, "
              "lad_code AS lad_name FROM f")
    c.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    c.execute("INSERT INTO meta VALUES ('schema_version', $v)", {"v": str(SCHEMA_VERSION)})
    c.close()
    a = store_frame(db)
    assert store_frame(str(db)) is a
    out = compute_index(a)
    assert len(out) == 50 and out["ace_rank_england"].min() == 1


def test_average_ranks_match_scipy():
    from scipy.special import ndtri
    from scipy.stats import rankdata

    df = messy_frame()
    out = compute_index(df)
    for col, ns in (("crime_score", "ns_crime"), ("child_poverty_rate", "ns_child_poverty"),
                    ("income_rate", "ns_income")):
        x = df.set_index("ward_code")[col].dropna()
        expected = ndtri(rankdata(x, method="average") / (len(x) + 1))
        got = out.set_index("ward_code").loc[x.index, ns].to_numpy()
        np.testing.assert_array_equal(got, expected)


def test_engine_matches_a_hand_computation_for_three_real_wards(blackpool_store):
    """One scoring path: the ``lewer`` method on the store equals Lewer's mean rank by hand.

    For three Blackpool wards (the highest, middle and lowest of Blackpool by the
    ``lewer`` index), each default indicator is ranked across all English wards with scipy
    (average ranks), the four ranks are averaged, and the ward's England rank, decile and
    normal scores follow from their definitions.
    """
    from scipy.special import ndtri
    from scipy.stats import rankdata

    from needsmap.store.db import open_store

    con = open_store(blackpool_store)
    try:
        w = con.execute("SELECT * FROM ward_indicators_england ORDER BY ward_code").df()
        ace = compute_index(con, "lewer").set_index("ward_code")
    finally:
        con.close()
    values = {"child_poverty": w["child_poverty_rate"], "income": w["income_rate"],
              "crime": w["crime_score"], "density": np.log(w["density_per_km2"])}
    assert all(v.notna().all() for v in values.values())  # no gaps in the real inputs
    n = len(w)
    ranks = {k: pd.Series(rankdata(v, method="average"), index=w["ward_code"])
             for k, v in values.items()}
    mean_rank = sum(ranks.values()) / 4
    bp = ace[ace["lad_name"] == "Blackpool"].sort_values("ace_rank_england")
    three = [bp.index[0], bp.index[len(bp) // 2], bp.index[-1]]
    for code in three:
        row = ace.loc[code]
        assert row["ace_score"] == pytest.approx(mean_rank[code], rel=0, abs=1e-9)
        assert row["ace_rank_england"] == int((mean_rank > mean_rank[code] + 1e-9).sum()) + 1
        position = int((mean_rank > mean_rank[code] + 1e-9).sum()
                       + ((abs(mean_rank - mean_rank[code]) <= 1e-9)
                          & (mean_rank.index < code)).sum()) + 1
        assert row["ace_decile_england"] == (position - 1) * 10 // n + 1
        assert row["ns_child_poverty"] == pytest.approx(
            ndtri(ranks["child_poverty"][code] / (n + 1)), abs=1e-12)
        assert row["ns_density"] == pytest.approx(ndtri(ranks["density"][code] / (n + 1)),
                                                  abs=1e-12)

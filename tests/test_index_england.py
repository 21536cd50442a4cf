"""The modelled ACE risk index on the real whole-England store built from the mirror."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from needsmap.index import (
    DOMAIN_NAMES,
    SCORE_COLUMNS,
    STABILITY_COLUMNS,
    compute_index,
    load_indicator_frame,
)
from needsmap.store.db import open_store

pytestmark = pytest.mark.england

FIXTURE = Path(__file__).parent / "fixtures" / "index" / "top20_lewer_default.csv"


@pytest.fixture(scope="module")
def con(england_store):
    c = open_store(england_store)
    yield c
    c.close()


@pytest.fixture(scope="module")
def frame(con):
    return load_indicator_frame(con)


def test_every_english_ward_has_score_rank_decile_and_band(con):
    n_wards = con.execute("SELECT count(*) FROM ward_indicators_england").fetchone()[0]
    assert n_wards == 6817
    row = con.execute("""
        SELECT count(*), count(DISTINCT ward_code), count(ace_score), count(ace_rank_england),
               count(ace_decile_england), count(ace_rank_in_lad), count(ace_quintile_in_lad),
               count(stability_band), count(stab_rank_p05), count(stab_share_same_class),
               min(ace_rank_england), max(ace_rank_england)
        FROM ward_ace""").fetchone()
    assert row[:10] == (n_wards,) * 10
    assert row[10] == 1 and row[11] <= n_wards
    missing = con.execute("""SELECT count(*) FROM ward_indicators_england
                             ANTI JOIN ward_ace USING (ward_code)""").fetchone()[0]
    assert missing == 0
    bands = dict(con.execute("SELECT stability_band, count(*) FROM ward_ace GROUP BY 1").fetchall())
    assert set(bands) <= {"stable", "moderate", "unstable"} and sum(bands.values()) == n_wards


def test_every_ward_has_the_three_domains(con, report_figure):
    n_wards = con.execute("SELECT count(*) FROM ward_indicators_england").fetchone()[0]
    counts = ", ".join(f"count({d}_score), count({d}_rank), count({d}_decile)"
                       for d in DOMAIN_NAMES)
    row = con.execute(f"""SELECT count(*), {counts}, count(*) FILTER (WHERE n_domains = 3),
                                 count(stab_dropdomain_rank_min), count(DISTINCT method),
                                 any_value(method)
                          FROM ward_ace""").fetchone()
    assert row[:-2] == (n_wards,) * (len(row) - 2)
    assert row[-2:] == (1, "domains")
    for d in DOMAIN_NAMES:
        sizes = dict(con.execute(f"SELECT {d}_decile, count(*) FROM ward_ace GROUP BY 1")
                     .fetchall())
        assert sorted(sizes) == list(range(1, 11))
        assert max(abs(k - n_wards / 10) for k in sizes.values()) <= 1
    lad = con.execute(f"""SELECT count(*), {', '.join(f'count({d}_score), count({d}_rank)'
                                                     for d in DOMAIN_NAMES)} FROM lad_ace""")
    n_lad, *rest = lad.fetchone()
    assert n_lad == 296 and rest == [n_lad] * len(rest)
    bands = dict(con.execute("SELECT stability_band, count(*) FROM ward_ace GROUP BY 1")
                 .fetchall())
    report_figure(f"domains index, whole England: {n_wards} wards with 3 domain scores, "
                  f"rank and decile; {n_lad} LADs; bands {bands}")


def test_national_deciles_each_hold_a_tenth(con):
    sizes = dict(con.execute(
        "SELECT ace_decile_england, count(*) FROM ward_ace GROUP BY 1").fetchall())
    n = sum(sizes.values())
    assert sorted(sizes) == list(range(1, 11))
    for d, k in sizes.items():
        assert abs(k - n / 10) <= 1, (d, k)


def test_rank_one_is_highest_modelled_risk(con):
    top, bottom = con.execute("""
        SELECT max(ace_score) FILTER (WHERE ace_rank_england = 1),
               min(ace_score) FILTER (WHERE ace_decile_england = 10) FROM ward_ace""").fetchone()
    assert top == con.execute("SELECT max(ace_score) FROM ward_ace").fetchone()[0]
    assert bottom == con.execute("SELECT min(ace_score) FROM ward_ace").fetchone()[0]
    cfg = dict(con.execute("SELECT key, value FROM ace_config").fetchall())
    assert cfg["method"] == "domains" and cfg["scope"] == "england"
    assert cfg["weights_over"] == "domains"


def test_lad_ace_covers_every_lad(con):
    n_lad = con.execute("SELECT count(DISTINCT lad_code) FROM ward_indicators_england").fetchone()[0]
    row = con.execute("""SELECT count(*), count(ace_score), count(DISTINCT ace_rank_england),
                                min(ace_rank_england), sum(n_wards) FROM lad_ace""").fetchone()
    assert row == (n_lad, n_lad, n_lad, 1, 6817)
    # children-weighted mean of the ward scores, recomputed independently
    check = con.execute("""
        SELECT max(abs(l.ace_score - w.s)) FROM lad_ace l JOIN (
            SELECT lad_code, sum(children_0_15 * ace_score) / sum(children_0_15) AS s
            FROM ward_ace GROUP BY 1) w USING (lad_code)""").fetchone()[0]
    assert check < 1e-9
    check = con.execute("""
        SELECT max(abs(l.context_score - w.s)) FROM lad_ace l JOIN (
            SELECT lad_code, sum(children_0_15 * context_score) / sum(children_0_15) AS s
            FROM ward_ace GROUP BY 1) w USING (lad_code)""").fetchone()[0]
    assert check < 1e-9


def test_stored_index_equals_fast_path(con, frame):
    stored = con.execute("SELECT * FROM ward_ace ORDER BY ward_code").df()
    fast = compute_index(frame, stability=True)
    assert list(fast.columns) == list(stored.columns) == [*SCORE_COLUMNS, *STABILITY_COLUMNS]
    pd.testing.assert_frame_equal(fast, stored, check_exact=True, check_dtype=False)


@pytest.mark.parametrize("method, weights, scope", [
    ("weighted", {"child_poverty": 0.4, "income": 0.3, "crime": 0.2, "density": 0.1}, "england"),
    ("exponential", {"child_poverty": 1, "income": 1, "crime": 1, "density": 1, "health": 1},
     "england"),
    ("lewer", None, "lad"),
    ("domains", {"abuse_neglect": 2, "household_dysfunction": 1, "context": 1}, "england"),
    ("domains", None, "lad"),
])
def test_kept_frame_equals_a_fresh_read_on_all_england(england_store, frame, method, weights,
                                                       scope):
    """The app's kept IndicatorFrame gives what a fresh read of the store gives."""
    c = duckdb.connect(str(england_store), read_only=True)
    try:
        ref = compute_index(c, method, weights, scope)
    finally:
        c.close()
    fast = compute_index(frame, method, weights, scope)
    pd.testing.assert_frame_equal(fast, ref, check_exact=True, check_dtype=False)
    assert ref["ace_score"].notna().all()


def test_top_wards_match_reference_output(frame):
    """The ``lewer`` method (the default before issue 16) still gives its reference top 20."""
    ref = pd.read_csv(FIXTURE, comment="#")
    out = compute_index(frame, "lewer")
    got = (out[out["ace_rank_england"] <= 20]
           .sort_values(["ace_rank_england", "ward_code"]).reset_index(drop=True))
    assert got["ward_code"].tolist() == ref["ward_code"].tolist()
    assert got["ace_rank_england"].tolist() == ref["ace_rank_england"].tolist()
    assert (got["ace_score"] - ref["ace_score"]).abs().max() < 1e-6


def test_la_build_keeps_national_ranks(blackpool_store, con):
    c = open_store(blackpool_store)
    try:
        n = c.execute("SELECT count(*) FROM ward_ace").fetchone()[0]
        local = c.execute("""SELECT ward_code, ace_rank_england, ace_decile_england
                             FROM ward_ace WHERE lad_name = 'Blackpool' ORDER BY 1""").fetchall()
    finally:
        c.close()
    national = con.execute("""SELECT ward_code, ace_rank_england, ace_decile_england
                              FROM ward_ace WHERE lad_name = 'Blackpool' ORDER BY 1""").fetchall()
    assert n == 6817
    assert len(local) == 21 and local == national

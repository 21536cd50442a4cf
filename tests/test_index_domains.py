"""The ``domains`` method (issue 16): formulas on hand-made frames, and one real ward by hand.

Hand computation for the four-ward frame ``FRAME`` below (ascending average ranks, n = 4,
normal score y = Φ⁻¹(r / 5)):

===== ======== ======= ========= ====== ======== ===== ========
ward  viol w/o viol w  stalking  mental pub.ord. asb   overcr.
===== ======== ======= ========= ====== ======== ===== ========
a     1        1       4         4      1        1     1
b     2        2       3         3      2        2     2
c     3        3       2         2      3        3     3
d     4        4       1         1      4        4     4
===== ======== ======= ========= ====== ======== ===== ========

Abuse and neglect: D = y(r) with r = 1..4 for a..d; household dysfunction: r = 4..1;
context: r = 1..4. Each domain is then ranked: q = R / 5, so q_abuse = q_context =
(1, 2, 3, 4) / 5 and q_household = (4, 3, 2, 1) / 5; M = mean q = (6, 7, 8, 9) / 15 for
a..d, so d ranks 1 and a ranks 4.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtri
from scipy.stats import rankdata
from test_index_methods import FRAME as FLAT
from test_index_methods import random_frame

from needsmap.index import (
    DOMAIN_NAMES,
    DOMAINS,
    IndexSpecError,
    compare_methods,
    compute_index,
    load_indicator_frame,
    normalise_weights,
    parse_weights,
)
from needsmap.index.indicators import BY_NAME

PROXY_COLUMNS = {i: BY_NAME[i].column for d in DOMAINS for i in d.indicators}

FRAME = FLAT.assign(
    violence_without_injury_rate=[1.0, 2.0, 3.0, 4.0],
    violence_with_injury_rate=[0.5, 0.6, 0.7, 0.8],
    stalking_harassment_rate=[9.0, 8.0, 7.0, 6.0],
    mental_health_indicator=[1.5, 0.5, -0.5, -1.5],
    public_order_weapons_rate=[1.0, 2.0, 3.0, 4.0],
    antisocial_behaviour_rate=[10.0, 20.0, 30.0, 40.0],
    overcrowding_bedrooms_share=[0.01, 0.02, 0.03, 0.04],
)


def by_ward(df: pd.DataFrame, col: str) -> dict[str, object]:
    return dict(zip(df["ward_code"], df[col], strict=True))


def test_registry_has_three_domains_with_their_proxies():
    assert DOMAIN_NAMES == ("abuse_neglect", "household_dysfunction", "context")
    assert {d.name: d.indicators for d in DOMAINS} == {
        "abuse_neglect": ("violence_without_injury", "violence_with_injury"),
        "household_dysfunction": ("stalking_harassment", "mental_health"),
        "context": ("public_order_weapons", "antisocial_behaviour", "overcrowding"),
    }
    assert [d.name for d in DOMAINS if d.weak] == ["abuse_neglect"]


def test_domains_hand_computed():
    out = compute_index(FRAME)  # the default method
    assert (out["method"] == "domains").all()
    y = {w: ndtri(r / 5) for w, r in zip("abcd", [1, 2, 3, 4], strict=True)}
    for w in "abcd":
        r = out.set_index("ward_code").loc[w]
        assert r["abuse_neglect_score"] == pytest.approx(y[w], abs=1e-15)
        assert r["household_dysfunction_score"] == pytest.approx(-y[w], abs=1e-15)
        assert r["context_score"] == pytest.approx(y[w], abs=1e-15)
    assert by_ward(out, "ace_score") == pytest.approx(
        {"a": 6 / 15, "b": 7 / 15, "c": 8 / 15, "d": 9 / 15}, abs=1e-15)
    assert by_ward(out, "ace_rank_england") == {"a": 4, "b": 3, "c": 2, "d": 1}
    assert by_ward(out, "abuse_neglect_rank") == {"a": 4, "b": 3, "c": 2, "d": 1}
    assert by_ward(out, "household_dysfunction_rank") == {"a": 1, "b": 2, "c": 3, "d": 4}
    # deciles (p - 1) * 10 // 4 + 1 on positions
    assert by_ward(out, "context_decile") == {"a": 8, "b": 6, "c": 3, "d": 1}
    assert (out["n_indicators"] == 7).all() and (out["n_domains"] == 3).all()
    assert by_ward(out, "n_context_indicators") == {w: 3 for w in "abcd"}
    assert (out["crime_source"] == "iod2025_file8_rates").all()


def test_domain_weights_weight_the_domain_quantiles():
    out = compute_index(FRAME, "domains", {"abuse_neglect": 3, "household_dysfunction": 1})
    # q_abuse = (1..4)/5, q_household = (4..1)/5: M = (3 q_a + q_h) / 4
    expected = {w: (3 * a + h) / 20 for w, a, h in zip("abcd", [1, 2, 3, 4], [4, 3, 2, 1],
                                                         strict=True)}
    assert by_ward(out, "ace_score") == pytest.approx(expected, abs=1e-15)
    assert (out["n_indicators"] == 4).all()  # the proxies of the two weighted domains
    # the domain scores are shown whatever the weights
    assert out["context_score"].notna().all()


def test_missing_proxy_and_missing_domain():
    df = FRAME.copy()
    df.loc[df["ward_code"] == "a", "violence_with_injury_rate"] = np.nan
    df.loc[df["ward_code"] == "b", ["stalking_harassment_rate", "mental_health_indicator"]] = np.nan
    out = compute_index(df).set_index("ward_code")
    # a: abuse and neglect from violence without injury alone (rank 1 of 4)
    assert out.loc["a", "abuse_neglect_score"] == pytest.approx(ndtri(1 / 5), abs=1e-15)
    assert out.loc["a", "n_abuse_neglect_indicators"] == 1
    # b has no household dysfunction domain: it drops out of b's mean, the rest re-rank
    # among a, c, d (m = 3): household q for a, c, d = 3/4, 2/4, 1/4
    assert pd.isna(out.loc["b", "household_dysfunction_score"])
    assert pd.isna(out.loc["b", "household_dysfunction_rank"])
    assert out.loc["b", "n_domains"] == 2
    assert out.loc["b", "ace_score"] == pytest.approx((2 / 5 + 2 / 5) / 2, abs=1e-15)
    assert out.loc["c", "ace_score"] == pytest.approx((3 / 5 + 2 / 4 + 3 / 5) / 3, abs=1e-15)
    assert out["ace_rank_england"].notna().all()


def test_domain_weights_are_validated():
    assert parse_weights("abuse=2, household_dysfunction=1,wider_context=1", "domains") == {
        "abuse_neglect": 2.0, "household_dysfunction": 1.0, "context": 1.0}
    np.testing.assert_allclose(normalise_weights(None, "domains"), [1 / 3] * 3)
    for weights, msg in [({"abuse_neglect": -1}, "negative"),
                         ({"context": 0}, "all weights are zero"),
                         ({"child_poverty": 1}, "indicator weights need one of the methods"),
                         ({"nonsense": 1}, "valid domains: abuse_neglect")]:
        with pytest.raises(IndexSpecError, match=msg):
            compute_index(FRAME, "domains", weights)


def test_frame_without_proxies_is_a_clear_error():
    with pytest.raises(IndexSpecError, match="no input values.*violence_without_injury_rate"):
        compute_index(FLAT)
    assert compute_index(FLAT, "lewer")["ace_score"].notna().all()


def test_stability_drops_each_domain_and_each_proxy():
    df = random_frame(n=500)
    out = compute_index(df, stability=True)
    for c in ("stab_dropdomain_rank_min", "stab_dropdomain_rank_max"):
        assert out[c].notna().all()
    # the domain runs are among the drop-one runs
    assert (out["stab_dropone_rank_min"] <= out["stab_dropdomain_rank_min"]).all()
    assert (out["stab_dropone_rank_max"] >= out["stab_dropdomain_rank_max"]).all()
    # the flat methods have no domain runs
    assert compute_index(df, "lewer", stability=True)["stab_dropdomain_rank_min"].isna().all()


def test_drop_runs_recompute_by_hand():
    """Every drop run, recomputed with pandas/scipy: the min and max positions agree."""
    df = random_frame(n=120, seed=3)
    out = compute_index(df, stability=True).set_index("ward_code")
    codes = df.sort_values("ward_code")["ward_code"].to_numpy()
    x = df.set_index("ward_code").loc[codes]
    n = len(x)
    y = {i: ndtri(rankdata(x[c]) / (n + 1)) for i, c in PROXY_COLUMNS.items()}

    def rank(names):  # R_d; no gaps, so q_d = R_d / (n + 1) orders as R_d does
        d = np.mean([y[i] for i in names], axis=0)
        return rankdata(np.round(d, 12))  # equal means of permuted scores are ties

    # sums of half-integer ranks are exact, so ties are exact ties
    full = {d.name: rank(d.indicators) for d in DOMAINS}
    runs = []
    for drop in DOMAIN_NAMES:  # drop one domain
        runs.append(sum(full[d] for d in DOMAIN_NAMES if d != drop))
    for d in DOMAINS:  # drop one proxy
        for i in d.indicators:
            rr = dict(full, **{d.name: rank([j for j in d.indicators if j != i])})
            runs.append(sum(rr[k] for k in DOMAIN_NAMES))
    assert len(runs) == 3 + 7

    def positions(s):  # descending, ties by ward code (input order)
        p = np.empty(n, dtype=int)
        p[np.lexsort((np.arange(n), -s))] = np.arange(1, n + 1)
        return p

    pos = np.array([positions(s) for s in runs])
    got = out.loc[codes]
    assert got["stab_dropdomain_rank_min"].tolist() == pos[:3].min(axis=0).tolist()
    assert got["stab_dropdomain_rank_max"].tolist() == pos[:3].max(axis=0).tolist()
    assert got["stab_dropone_rank_min"].tolist() == pos.min(axis=0).tolist()
    assert got["stab_dropone_rank_max"].tolist() == pos.max(axis=0).tolist()


def test_compare_methods_on_a_frame():
    frame = load_indicator_frame(random_frame(n=400))
    cmp = compare_methods(frame, top=5)
    assert len(cmp.pairs) == 6  # four methods
    assert set(cmp.pairs["a"]) | set(cmp.pairs["b"]) == {"domains", "lewer", "weighted",
                                                         "exponential"}
    assert cmp.pairs["spearman_ward"].between(-1, 1).all()
    assert cmp.pairs["share_decile_changed"].between(0, 1).all()
    assert (cmp.pairs["n_lads"] == 12).all()
    # lewer and weighted share the four correlates: they agree far more than with domains
    pair = cmp.pairs.set_index(["a", "b"])["spearman_ward"]
    assert pair[("lewer", "weighted")] > 0.9
    assert len(cmp.movers) == 5
    assert cmp.movers["rank_range"].is_monotonic_decreasing
    r = cmp.movers[[f"rank_{m}" for m in ("domains", "lewer", "weighted", "exponential")]]
    assert (r.max(axis=1) - r.min(axis=1) == cmp.movers["rank_range"]).all()
    # a configuration compared with itself agrees perfectly
    same = compare_methods(frame, [("a", "lewer", None), ("b", "lewer", None)])
    assert same.pairs.loc[0, "spearman_ward"] == pytest.approx(1.0)
    assert same.pairs.loc[0, "share_decile_changed"] == 0.0


def test_one_real_ward_by_hand(blackpool_store):
    """The store's ward_ace for a real ward equals the domains method computed by hand.

    From the store's indicator columns (``ward_indicators_england``, every English
    ward), each proxy is ranked across England (scipy average ranks) and turned into a
    normal score; a domain score is the mean of its proxies' normal scores; each domain
    is ranked and divided by n + 1; the ward's score is the mean of the three; its rank
    and decile follow from their definitions. Checked for Blackpool's highest ward and
    the Blackpool ward in the middle.
    """
    from needsmap.store.db import open_store

    con = open_store(blackpool_store)
    try:
        w = con.execute("SELECT * FROM ward_indicators_england ORDER BY ward_code").df()
        ace = con.execute("SELECT * FROM ward_ace").df().set_index("ward_code")
    finally:
        con.close()
    assert (ace["method"] == "domains").all()
    n = len(w)
    codes = w["ward_code"]
    y = {}
    for name, col in PROXY_COLUMNS.items():
        assert w[col].notna().all()  # no gaps in the real inputs
        y[name] = pd.Series(ndtri(rankdata(w[col], method="average") / (n + 1)), index=codes)
    dom = {d.name: sum(y[i] for i in d.indicators) / len(d.indicators) for d in DOMAINS}
    q = {d: pd.Series(rankdata(s, method="average") / (n + 1), index=codes)
         for d, s in dom.items()}
    m = sum(q.values()) / 3
    bp = ace[ace["lad_name"] == "Blackpool"].sort_values("ace_rank_england")
    for code in (bp.index[0], bp.index[len(bp) // 2]):
        row = ace.loc[code]
        for d in DOMAIN_NAMES:
            assert row[f"{d}_score"] == pytest.approx(dom[d][code], abs=1e-12)
            assert row[f"{d}_rank"] == int((dom[d] > dom[d][code] + 1e-12).sum()) + 1
        for name in y:
            assert row[f"ns_{name}"] == pytest.approx(y[name][code], abs=1e-12)
        assert row["ace_score"] == pytest.approx(m[code], abs=1e-12)
        assert row["ace_rank_england"] == int((m > m[code] + 1e-12).sum()) + 1
        position = int((m > m[code] + 1e-12).sum()
                       + ((abs(m - m[code]) <= 1e-12) & (m.index < code)).sum()) + 1
        assert row["ace_decile_england"] == (position - 1) * 10 // n + 1
        print(f"{row['ward_name']} ({code}): domains "
              + ", ".join(f"{d} {dom[d][code]:+.3f}" for d in DOMAIN_NAMES)
              + f"; score {m[code]:.4f}; England rank {row['ace_rank_england']} of {n}, "
                f"decile {row['ace_decile_england']}")

"""Write the ACE index tables ``ward_ace``, ``lad_ace`` and ``ace_config`` into a store.

Used by the build stage ``index`` (default method and weights) and by
``needsmap index`` (any method, weights and scope). The tables cover every
English ward: ranks are national even in a ``--la`` build, because they come
from ``ward_indicators_england``. ``lad_ace`` always aggregates the national
ward scores (a within-LA re-rank has no between-LA comparison).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import duckdb
import numpy as np

from needsmap.context import BuildContext
from needsmap.index.compute import load_indicator_frame, prepare_inputs, score_sql
from needsmap.index.indicators import BY_NAME, NAMES
from needsmap.index.methods import check_scope, get_method, normalise_weights, weights_dict
from needsmap.index.stability import (
    CONCENTRATION,
    DRAWS,
    SEED,
    STABLE_SHARE,
    UNSTABLE_SHARE,
    rank_stability,
)
from needsmap.sql import run_sql


def write_tables(con: duckdb.DuckDBPyConnection, method: str = "lewer",
                 weights: Mapping[str, float] | None = None, scope: str = "england",
                 draws: int = DRAWS, seed: int = SEED, concentration: float = CONCENTRATION,
                 transaction: bool = True) -> dict[str, object]:
    """Compute the index with the SQL path and write ``ward_ace``, ``lad_ace``, ``ace_config``.

    Parameters
    ----------
    con
        Writable store connection holding ``ward_indicators_england``.
    method, weights, scope
        As for :func:`needsmap.index.compute_index`.
    draws, seed, concentration
        Rank-stability settings (:mod:`needsmap.index.stability`).
    transaction
        Replace the three tables inside one transaction, so readers see the
        old tables or the new ones, never a mix.

    Returns
    -------
    dict
        Summary: number of wards, of LADs, of unstable wards, method, weights.
    """
    m = get_method(method)
    scope = check_scope(scope)
    w = normalise_weights(weights)
    prepare_inputs(con)
    frame = load_indicator_frame(con)
    # national scores first: lad_ace is always national
    score_sql(con, m.name, weights, "england")
    run_sql(con, "ace_lad")
    if scope != "england":
        score_sql(con, m.name, weights, scope)
    cls = con.execute(
        "SELECT coalesce(ace_decile_england, 0) AS e, coalesce(ace_quintile_in_lad, 0) AS l "
        "FROM ace_scored ORDER BY ward_code"
    ).fetchnumpy()
    base = cls["e"] if scope == "england" else cls["l"]
    st = rank_stability(frame.components[scope][m.component], w, np.asarray(base),
                        frame.lad_ids, frame.n_lads, scope, draws, seed, concentration)
    st.insert(0, "ward_code", frame.ward["ward_code"].to_numpy())
    con.register("ace_stability_df", st)
    con.execute("CREATE OR REPLACE TEMP TABLE ace_stability AS SELECT * FROM ace_stability_df")
    con.unregister("ace_stability_df")
    crime_weighted = bool(w[NAMES.index("recorded_crime")] > 0)
    config = {
        "method": m.name,
        "scope": scope,
        "weights": json.dumps(weights_dict(w)),
        "indicators": json.dumps({n: BY_NAME[n].column for n in weights_dict(w)}),
        "stability_draws": str(draws),
        "stability_seed": str(seed),
        "stability_concentration": str(concentration),
        "stability_thresholds": json.dumps({"stable": STABLE_SHARE,
                                            "unstable_below": UNSTABLE_SHARE}),
        "reference": "Lewer D, et al. The ACE Index: mapping childhood adversity in England. "
                     "J Public Health 2020;42(4):e487-e495",
    }
    if transaction:
        con.execute("BEGIN TRANSACTION")
    try:
        run_sql(con, "ace_tables", {"method": m.name, "scope": scope,
                                    "crime_weighted": crime_weighted})
        con.execute("CREATE OR REPLACE TABLE ace_config (key VARCHAR PRIMARY KEY, value VARCHAR)")
        con.executemany("INSERT INTO ace_config VALUES (?, ?)", list(config.items()))
        if transaction:
            con.execute("COMMIT")
    except BaseException:
        if transaction:
            con.execute("ROLLBACK")
        raise
    n_wards, n_unstable = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE unstable) FROM ward_ace"
    ).fetchone()
    n_lads = con.execute("SELECT count(*) FROM lad_ace").fetchone()[0]
    return {"ace_wards": n_wards, "ace_lads": n_lads, "ace_unstable_wards": n_unstable,
            "ace_method": m.name, "ace_scope": scope, "ace_weights": weights_dict(w)}


def stage(ctx: BuildContext) -> None:
    """Build stage ``index``: the default Lewer index for all English wards."""
    summary = write_tables(ctx.con, transaction=False)
    ctx.summary.update({k: v for k, v in summary.items() if k != "ace_weights"})

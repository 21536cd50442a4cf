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

from needsmap.context import BuildContext
from needsmap.index.domains import BY_NAME as DOMAIN_BY_NAME
from needsmap.index.domains import DOMAINS
from needsmap.index.engine import compute_index, load_indicator_frame
from needsmap.index.indicators import BY_NAME
from needsmap.index.methods import (
    DEFAULT_METHOD,
    check_scope,
    get_method,
    normalise_weights,
    weights_dict,
)
from needsmap.index.stability import (
    CONCENTRATION,
    DRAWS,
    SEED,
    STABLE_SHARE,
    UNSTABLE_SHARE,
)
from needsmap.sql import run_sql


def write_tables(con: duckdb.DuckDBPyConnection, method: str = DEFAULT_METHOD,
                 weights: Mapping[str, float] | None = None, scope: str = "england",
                 draws: int = DRAWS, seed: int = SEED, concentration: float = CONCENTRATION,
                 transaction: bool = True) -> dict[str, object]:
    """Compute the index (:func:`~needsmap.index.engine.compute_index`) and write it.

    Writes ``ward_ace`` (every English ward, with stability bands), ``lad_ace`` (from
    the national ward scores, ``queries/ace_tables.sql``) and ``ace_config``.

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
    w = normalise_weights(weights, m.over)
    frame = load_indicator_frame(con)
    wards = compute_index(frame, m.name, weights, scope, stability=True, draws=draws, seed=seed,
                          concentration=concentration)
    # lad_ace always aggregates the national scores
    national = wards if scope == "england" else compute_index(frame, m.name, weights, "england")
    wd = weights_dict(w, m.over)
    if m.over == "domains":  # domain -> its proxies' store columns
        used = {d: [BY_NAME[i].column for i in DOMAIN_BY_NAME[d].indicators] for d in wd}
    else:
        used = {n: BY_NAME[n].column for n in wd}
    config = {
        "method": m.name,
        "scope": scope,
        "weights_over": m.over,
        "weights": json.dumps(wd),
        "indicators": json.dumps(used),
        "stability_draws": str(draws),
        "stability_seed": str(seed),
        "stability_concentration": str(concentration),
        "stability_thresholds": json.dumps({"stable": STABLE_SHARE,
                                            "unstable_below": UNSTABLE_SHARE}),
        "reference": "Lewer D, et al. The ACE Index: mapping childhood adversity in England. "
                     "J Public Health 2020;42(4):e487-e495",
    }
    con.register("_ward_ace_df", wards)
    con.register("_national_df", national[[
        "ward_code", "lad_code", "lad_name", "population", "children_0_15", "ace_score",
        "ace_decile_england", *(d.score_column for d in DOMAINS)]])
    if transaction:
        con.execute("BEGIN TRANSACTION")
    try:
        run_sql(con, "ace_tables", {"method": m.name})
        con.executemany("INSERT INTO ace_config VALUES (?, ?)", list(config.items()))
        if transaction:
            con.execute("COMMIT")
    except BaseException:
        if transaction:
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:
                pass  # DuckDB already ended the transaction; keep the error that did it
        raise
    finally:
        con.unregister("_ward_ace_df")
        con.unregister("_national_df")
    n_wards, n_unstable, n_lads = run_sql(con, "ace_summary").fetchone()
    return {"ace_wards": n_wards, "ace_lads": n_lads, "ace_unstable_wards": n_unstable,
            "ace_method": m.name, "ace_scope": scope, "ace_weights": wd}


def stage(ctx: BuildContext) -> None:
    """Build stage ``index``: the default index (``domains``) for all English wards."""
    summary = write_tables(ctx.con, transaction=False)
    ctx.summary.update({k: v for k, v in summary.items() if k != "ace_weights"})

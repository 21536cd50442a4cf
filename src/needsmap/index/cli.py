"""``needsmap index``: compute the modelled ACE risk index into an existing store.

::

    needsmap index [--db PATH] [--method domains|lewer|weighted|exponential]
                   [--weights abuse_neglect=1,household_dysfunction=1,context=1]
                   [--scope england|lad] [--draws 200] [--seed N] [--top 20]
    needsmap index --compare [--db PATH] [--method M --weights ...] [--top 20]

The tables are written into a copy of the store that then replaces it
(:func:`needsmap.store.writer.update_store`): the app can keep serving the store,
readers see the old store or the new one, and a second writer (``build``,
``crime``, another ``index``) waits for this one (``--wait``) rather than
overwriting it. The top wards in England are printed with the caveat.
``--compare`` writes nothing: it prints how the methods agree on the store
(:mod:`needsmap.index.compare`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from needsmap import CAVEAT
from needsmap.argtypes import WAIT_SECONDS, Number
from needsmap.index.compare import compare_methods, default_configs
from needsmap.index.domains import DOMAIN_NAMES
from needsmap.index.engine import load_indicator_frame
from needsmap.index.indicators import NAMES
from needsmap.index.methods import (
    DEFAULT_METHOD,
    METHODS,
    SCOPES,
    IndexSpecError,
    get_method,
    normalise_weights,
    parse_weights,
)
from needsmap.index.stability import CONCENTRATION, DRAWS, SEED
from needsmap.index.tables import write_tables
from needsmap.settings import default_db_path
from needsmap.store.db import StoreError, open_store
from needsmap.store.writer import DEFAULT_WAIT, update_store

#: Checked ranges of the numeric options (:mod:`needsmap.argtypes`).
DRAWS_RANGE = Number(int, 200, 5_000)  # 5,000 draws of all English wards take ~1.7 GB
SEED_RANGE = Number(int, 0, 2**32 - 1)
CONCENTRATION_RANGE = Number(float, 0, 1e6, low_open=True)
TOP_RANGE = Number(int, 0, 10_000)


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``index`` subcommand."""
    p = subparsers.add_parser(
        "index", parents=[common],
        help="compute the modelled ACE risk index into the store (ward_ace, lad_ace)",
        description="Compute the modelled ACE risk index into an existing store (a copy that "
                    "replaces it, so the app can keep serving) and print the wards with the "
                    "highest modelled risk.",
    )
    p.add_argument("--method", default=DEFAULT_METHOD,
                   help="combination method: " + "; ".join(
                       f"{k} = {m.description}" for k, m in METHODS.items()))
    p.add_argument("--weights", default=None, metavar="NAME=W,...",
                   help="weights, normalised to sum 1; names not given get 0. For the "
                        f"domains method, domain weights ({', '.join(DOMAIN_NAMES)}; default "
                        "equal); for the others, indicator weights "
                        f"({', '.join(NAMES)}; default: equal weights on child_poverty, "
                        "income, crime, density)")
    p.add_argument("--scope", default="england", choices=SCOPES,
                   help="england: national ranks (default); lad: re-rank within each LA")
    p.add_argument("--draws", type=DRAWS_RANGE, default=DRAWS,
                   help=f"Dirichlet draws for the stability bands, {DRAWS_RANGE.describe()} "
                        f"(default {DRAWS})")
    p.add_argument("--seed", type=SEED_RANGE, default=SEED,
                   help=f"seed for the stability draws, {SEED_RANGE.describe()}")
    p.add_argument("--concentration", type=CONCENTRATION_RANGE, default=CONCENTRATION,
                   help="Dirichlet precision of the weight draws, "
                        f"{CONCENTRATION_RANGE.describe()} (default {CONCENTRATION})")
    p.add_argument("--top", type=TOP_RANGE, default=20,
                   help=f"wards to print, {TOP_RANGE.describe()} (default 20)")
    p.add_argument("--compare", action="store_true",
                   help="write nothing; print the sensitivity report: Spearman correlation "
                        "between every pair of methods at ward and LA level, the share of "
                        "wards whose national decile changes, and the wards that move most "
                        "(each method at its default weights; --method/--weights set one)")
    p.add_argument("--wait", type=WAIT_SECONDS, default=DEFAULT_WAIT, metavar="SECONDS",
                   help="wait this long for another command writing the store to finish "
                        f"(default {DEFAULT_WAIT:g}; 0: fail at once)")
    p.set_defaults(func=cmd_index)


def cmd_index(args: argparse.Namespace) -> int:
    """Run ``needsmap index``; return an exit code."""
    err = Console(stderr=True)
    db = Path(args.db).expanduser() if args.db else default_db_path()
    try:
        m = get_method(args.method)
        weights = parse_weights(args.weights, m.over) if args.weights else None
        normalise_weights(weights, m.over)
        if args.compare:
            return _compare(db, m.name, weights, args.top, args.weights is not None)
        if args.draws < 200:
            raise IndexSpecError("--draws must be at least 200")
        open_store(db).close()  # exists, readable, right schema version
    except (IndexSpecError, StoreError) as exc:
        err.print(f"[bold red]index failed:[/bold red] {exc}")
        return 2
    try:
        with update_store(db, wait=args.wait, command="index",
                          on_wait=lambda m: err.print(f"[yellow]index:[/yellow] {m}")) as con:
            summary = write_tables(con, args.method, weights, args.scope, args.draws,
                                   args.seed, args.concentration, transaction=False)
            top = _top(con, args.scope, args.top)
    except (IndexSpecError, StoreError, duckdb.Error, OSError) as exc:
        err.print(f"[bold red]index failed:[/bold red] {exc}")
        err.print("The store is untouched.")
        return 1
    out = Console()
    w = ", ".join(f"{k}={v:.3g}" for k, v in summary["ace_weights"].items())
    where = "England" if args.scope == "england" else "each LA (within-LA ranks)"
    cls = "decile" if args.scope == "england" else "LA quintile"
    t = Table(title=f"Highest modelled ACE risk in {where}: method {summary['ace_method']} ({w})")
    for col, just in (("rank", "right"), ("ward", "left"), ("code", "left"), ("LA", "left"),
                      ("score", "right"), (cls, "right"), ("rank 5-95%", "right"),
                      ("stability", "left")):
        t.add_column(col, justify=just)
    for r, name, code, lad, score, dec, p05, p95, band in top:
        t.add_row(str(r), str(name), str(code), str(lad), f"{score:.4g}", str(dec),
                  f"{p05}-{p95}", str(band))
    out.print(t)
    out.print(f"{summary['ace_wards']} wards, {summary['ace_lads']} LADs written to {db}; "
              f"{summary['ace_unstable_wards']} wards have an unstable class.")
    out.print(f"[dim]{CAVEAT}[/dim]")
    return 0


def _compare(db: Path, method: str, weights: dict[str, float] | None, top: int,
             given: bool) -> int:
    """``needsmap index --compare``: the sensitivity report (read-only)."""
    con = open_store(db)
    try:
        frame = load_indicator_frame(con)
    finally:
        con.close()
    configs = [(m, m, weights if (given and m == method) else None)
               for _, m, _ in default_configs()]
    cmp = compare_methods(frame, configs, top=max(top, 0))
    out = Console()
    t = Table(title=f"Agreement between index methods ({frame.n:,} wards, {frame.n_lads} LADs)")
    for col, just in (("method a", "left"), ("method b", "left"),
                      ("Spearman, wards", "right"), ("Spearman, LAs", "right"),
                      ("wards changing decile", "right")):
        t.add_column(col, justify=just)
    for r in cmp.pairs.itertuples(index=False):
        t.add_row(r.a, r.b, f"{r.spearman_ward:.3f}", f"{r.spearman_lad:.3f}",
                  f"{100 * r.share_decile_changed:.1f}%")
    out.print(t)
    labels = [c[0] for c in configs]
    t = Table(title=f"The {len(cmp.movers)} wards whose England rank moves most between methods "
                    "(rank 1 = highest modelled risk; decile in brackets)")
    t.add_column("ward")
    t.add_column("LA")
    for lab in labels:
        t.add_column(lab, justify="right")
    t.add_column("range", justify="right")
    for r in cmp.movers.to_dict("records"):
        t.add_row(str(r["ward_name"]), str(r["lad_name"]),
                  *(f"{r[f'rank_{lab}']:,} ({r[f'decile_{lab}']})" for lab in labels),
                  f"{r['rank_range']:,}")
    out.print(t)
    w = "default weights" if not given else f"{method} with the given weights, the others at defaults"
    out.print(f"Each method at its {w}. Scores are on each method's own scale; ranks compare.")
    out.print(f"[dim]{CAVEAT}[/dim]")
    return 0


def _top(con: duckdb.DuckDBPyConnection, scope: str, k: int) -> list[tuple]:
    """The ``k`` wards with the highest modelled risk (England), or each LA's highest ward."""
    if scope == "england":
        return con.execute(
            "SELECT ace_rank_england, ward_name, ward_code, lad_name, ace_score, "
            "ace_decile_england, stab_rank_p05, stab_rank_p95, stability_band "
            "FROM ward_ace WHERE ace_rank_england IS NOT NULL "
            "ORDER BY ace_rank_england, ward_code LIMIT $k", {"k": k},
        ).fetchall()
    return con.execute(  # within-LA ranks: each LA's highest ward
        "SELECT ace_rank_in_lad, ward_name, ward_code, lad_name, ace_score, "
        "ace_quintile_in_lad, stab_rank_p05, stab_rank_p95, stability_band "
        "FROM ward_ace WHERE ace_rank_in_lad = 1 "
        "ORDER BY lad_name, ward_code LIMIT $k", {"k": k},
    ).fetchall()

"""``needsmap site``: where N more sites would reach the most children (MCLP / p-median).

::

    needsmap site --la NAME --type family_hub --candidates libraries --n 3 --radius 1.5 \\
                  [--model mclp|pmedian] [--out DIR]

Prints the proposed sites, coverage before and after, the gain curve and the
wards left beyond the radius, with the assumptions; with ``--out DIR`` writes the
CSV, XLSX and GeoPackage files of :func:`needsmap.access.siting_report.export_files`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from needsmap.argtypes import Number


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``site`` subcommand."""
    from needsmap.access.siting import MODELS, NEED_SCALES, SOLVERS
    from needsmap.access.siting_inputs import CANDIDATE_SETS, DEMAND_COLUMNS

    p = subparsers.add_parser(
        "site", parents=[common],
        help="where N more sites would reach the most children (MCLP / p-median)",
        description="Choose N new sites among candidates, with the existing services fixed "
                    "open. The result is a model, not a decision.")
    p.add_argument("--la", action="append", required=True, metavar="NAME_OR_CODE",
                   help="local authority (repeatable: several LAs are one area)")
    p.add_argument("--type", default="family_hub", metavar="TYPE",
                   help="service type of the existing services, fixed open "
                        "(default family_hub; 'none' for none)")
    p.add_argument("--existing-csv", metavar="CSV",
                   help="a list of the existing services (service template CSV); replaces --type")
    p.add_argument("--candidates", default="schools", metavar="SET_OR_CSV",
                   help=f"candidate sites: {', '.join(CANDIDATE_SETS)}, any service type, or a "
                        "CSV list (service template)")
    p.add_argument("--n", type=Number(int, 1, 500), default=3,
                   help="new sites to open, 1 to 500 (default 3)")
    p.add_argument("--radius", type=Number(float, 0, 100, low_open=True), default=1.5,
                   metavar="KM", help="coverage radius in km, straight line, more than 0 and at "
                                      "most 100 (default 1.5)")
    p.add_argument("--model", choices=list(MODELS), default="mclp")
    p.add_argument("--curve-to", type=Number(int, 1, 500), metavar="N",
                   help="solve every count up to N for the gain curve (default --n)")
    p.add_argument("--demand", choices=list(DEMAND_COLUMNS), default="children_0_15")
    p.add_argument("--need", default="ace", metavar="MEASURE",
                   help="need weight: 'ace' (modelled risk; for a Welsh LA the Welsh index, "
                        "welsh_ace), an indicator such as imd_score (Wales: wimd_score, "
                        "cilif_rate), or 'none' (default ace); ranked among the LA's nation's "
                        "wards only")
    p.add_argument("--need-scale", choices=list(NEED_SCALES), default="decile")
    p.add_argument("--candidate-buffer", type=Number(float, 0, 50), default=0.0, metavar="KM",
                   help="also take service candidates within KM of the area (default 0)")
    p.add_argument("--solver", choices=list(SOLVERS), default="highs")
    p.add_argument("--time-limit", type=Number(float, 0, 86_400, low_open=True), default=None,
                   metavar="S",
                   help="seconds per solve (default none: prove optimality)")
    p.add_argument("--out", metavar="DIR", help="write CSV, XLSX and GeoPackage files here")
    p.set_defaults(func=cmd_site)


def _quiet_highs_banner() -> None:
    """Build highspy's first model with stdout (fd 1) on /dev/null.

    highspy prints a two-line banner to the C-level stdout when a process builds
    its first model, even with output off; it would land in the middle of the
    command's output (or in a file it is piped to).
    """
    import os
    import sys

    try:
        import highspy
    except ImportError:  # CBC only
        return
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _read_list(con, path: str, what: str, console: Console):  # noqa: ANN001, ANN202
    """Validate a user's CSV with the Upload view's rules; rejected rows are listed."""
    from needsmap.access.upload import validate_upload

    f = Path(path)
    if not f.is_file():
        raise ValueError(f"{what} list not found: {path}")
    accepted, rejected = validate_upload(f.read_bytes(), con, filename=f.name)
    console.print(f"{what} list {f.name}: {len(accepted)} rows accepted, {len(rejected)} rejected")
    for r in rejected.head(10).itertuples():
        console.print(f"  row {r.row}, column {r.column}: {r.reason}")
    if accepted.empty:
        raise ValueError(f"{what} list {f.name}: no usable rows")
    accepted = accepted.assign(site_id=[f"{f.stem}:{r}" for r in accepted["row"]])
    return accepted


def _fmt(v: object, digits: int = 0) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return "" if v is None else str(v)
    if x != x:  # NaN
        return ""
    return f"{x:,.{digits}f}"


def cmd_site(args: argparse.Namespace) -> int:
    """Run the subcommand; returns an exit code."""
    import duckdb

    from needsmap.access.siting import SitingProblem, solve
    from needsmap.access.siting_inputs import read_inputs
    from needsmap.access.siting_report import assumptions, export_files
    from needsmap.settings import Settings
    from needsmap.store.db import StoreError, open_store

    err = Console(stderr=True)
    out = Console()
    if args.n < 1:
        err.print("[bold red]site:[/bold red] --n must be at least 1")
        return 2
    try:
        con = open_store(Settings.from_args(args.db).db_path)
    except StoreError as exc:
        err.print(f"[bold red]site:[/bold red] {exc}")
        return 1
    try:
        existing = args.type if args.type.lower() != "none" else None
        if args.existing_csv:
            existing = _read_list(con, args.existing_csv, "existing services", err)
        candidates = args.candidates
        if candidates.lower().endswith(".csv"):
            candidates = _read_list(con, candidates, "candidate", err)
        inputs = read_inputs(con, args.la, existing=existing, candidates=candidates,
                             demand=args.demand,
                             need=None if args.need.lower() == "none" else args.need,
                             need_scale=args.need_scale,
                             candidate_buffer_km=args.candidate_buffer)
        if inputs.candidates.empty:
            err.print("[bold red]site:[/bold red] no candidate sites in the area "
                      f"({inputs.settings['candidates']})")
            return 1
        if args.solver == "highs":
            _quiet_highs_banner()
        problem = SitingProblem.from_frames(inputs.demand, inputs.existing, inputs.candidates,
                                            args.radius)
        result = solve(problem, args.n, args.model, curve_to=args.curve_to, solver=args.solver,
                       time_limit=args.time_limit)
    except (KeyError, ValueError, RuntimeError, duckdb.Error) as exc:
        err.print(f"[bold red]site:[/bold red] {exc.args[0] if exc.args else exc}")
        return 1
    finally:
        con.close()

    s, p = inputs.settings, result.params
    out.print(f"[bold]Siting: {p['n']} new site(s) among {s['candidates']} in {s['area']}[/bold] "
              f"({p['model']}, radius {p['radius_km']:g} km, need: {s['need']})")
    t = Table(title="Proposed sites (in the order each adds most)")
    for c in ("#", "site", "ward", "children newly reached", "need-weighted",
              "children nearest to it"):
        t.add_column(c, justify="right" if c not in ("site", "ward") else "left")
    prop = result.sites[result.sites["status"] == "proposed"] if len(result.sites) else result.sites
    for r in prop.itertuples():
        t.add_row(_fmt(r.order), str(r.name), str(getattr(r, "ward_name", "") or ""),
                  _fmt(r.children_newly_covered), _fmt(r.weighted_newly_covered),
                  _fmt(r.children_nearest))
    out.print(t)
    t = Table(title=f"Coverage within {p['radius_km']:g} km, before and after")
    for c in ("", "children reached", "share", "need-weighted share", "mean km (need-weighted)"):
        t.add_column(c, justify="right")
    for r in result.coverage.itertuples():
        t.add_row(r.scenario, _fmt(r.children_covered), f"{r.share_children_covered:.1%}",
                  f"{r.share_weighted_covered:.1%}", _fmt(r.mean_km_weighted, 3))
    out.print(t)
    t = Table(title="Gain curve: the best choice for each number of new sites")
    for c in ("new sites", "children reached", "gain", "need-weighted gain", "mean km",
              "status", "s"):
        t.add_column(c, justify="right")
    for r in result.gains.itertuples():
        t.add_row(str(r.new_sites), _fmt(r.children_covered), _fmt(r.gain_children_covered),
                  _fmt(r.gain_weighted_covered), _fmt(r.mean_km_weighted, 3), r.status,
                  _fmt(r.solve_s, 2))
    out.print(t)
    if p["model_build_s"]:
        out.print(f"model built once in {p['model_build_s']:.1f} s (the first time in a process "
                  "this includes loading spopt), then solved for each count", highlight=False)
    unc = result.uncovered_wards
    if len(unc):
        t = Table(title=f"Wards with children still beyond {p['radius_km']:g} km "
                        f"({len(unc)}; most need-weighted first)")
        for c in ("ward", "LA", "need decile", "children beyond", "share"):
            t.add_column(c, justify="left" if c in ("ward", "LA") else "right")
        for r in unc.head(10).itertuples():
            t.add_row(str(r.ward_name), str(r.lad_name), _fmt(r.need_decile),
                      _fmt(r.children_uncovered), f"{r.share_uncovered:.0%}")
        out.print(t)
    for line in assumptions(result, inputs):
        out.print(f"- {line}", highlight=False)
    if args.out:
        d = Path(args.out)
        d.mkdir(parents=True, exist_ok=True)
        files = export_files(result, inputs)
        for name, data in files.items():
            tmp = d / f".{name}.part"
            tmp.write_bytes(data)
            tmp.replace(d / name)
        out.print(f"wrote {len(files)} files to {d}: {', '.join(files)}")
    else:
        out.print("(add --out DIR to write CSV, XLSX and GeoPackage files)")
    return 0

"""``needsmap snapshot``: write one-page locality snapshots (HTML, PDF, map PNG) and an index.

::

    needsmap snapshot [--db PATH] --locality-file F [--la NAME] --out DIR [--format html,pdf,png]
                      [--lens children|early-years]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``snapshot`` subcommand."""
    p = subparsers.add_parser("snapshot", parents=[common],
                              help="write one-page locality snapshots (HTML/PDF/PNG)")
    p.add_argument("--locality-file", metavar="F",
                   help="CSV (locality,ward_code) or TOML defining the localities")
    p.add_argument("--la", metavar="NAME_OR_CODE",
                   help="also write the whole LA's snapshot, and compare localities with this LA "
                        "(every locality must then lie in it; without --la each locality is "
                        "compared with the LA holding most of its residents)")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--format", default="html,pdf,png",
                   help="comma-separated formats: html, pdf (A4, one page), png (the map)")
    p.add_argument("--lens", choices=["children", "early-years"], default="children",
                   help="whose figures weight the index's area figures and access: children "
                        "aged 0-15 (default) or under-5s (early-years)")
    p.set_defaults(func=cmd_snapshot)


def cmd_snapshot(args: argparse.Namespace) -> int:
    """Run the subcommand; returns an exit code."""
    from needsmap.settings import Settings
    from needsmap.snapshot.batch import parse_formats, write_snapshots
    from needsmap.snapshot.localities import LocalityFileError, known_wards, read_localities
    from needsmap.store.db import StoreError, open_store

    console = Console(stderr=True)
    if not args.locality_file and not args.la:
        console.print("[bold red]snapshot:[/bold red] give --locality-file F, --la NAME, or both")
        return 2
    try:
        formats = parse_formats(args.format)
    except ValueError as exc:
        console.print(f"[bold red]snapshot:[/bold red] {exc}")
        return 2
    db = Settings.from_args(args.db).db_path
    try:
        con = open_store(db)
    except StoreError as exc:
        console.print(f"[bold red]snapshot:[/bold red] {exc}")
        return 1
    try:
        locs = None
        if args.locality_file:
            try:
                locs = read_localities(args.locality_file, known_wards(con), la=args.la)
            except LocalityFileError as exc:
                console.print(f"[bold red]locality file rejected[/bold red]\n{exc}")
                return 1
            except KeyError as exc:  # needsmap.scope.UnknownArea: --la is not an LA
                console.print(f"[bold red]snapshot:[/bold red] {exc.args[0]}")
                return 1
            for note in locs.notes:
                console.print(f"[yellow]{args.locality_file}:[/yellow] {note}")
        total = (len(locs) if locs else 0) + (1 if args.la else 0)
        with Progress(TextColumn("[bold]snapshots[/bold]"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=console) as prog:
            task = prog.add_task("", total=total)
            try:
                written = write_snapshots(
                    con, locs, Path(args.out), formats=formats, la=args.la,
                    advance=lambda name: prog.update(task, advance=1, description=name),
                    basis="under5" if args.lens == "early-years" else "children")
            except KeyError as exc:
                console.print(f"[bold red]snapshot:[/bold red] {exc.args[0]}")
                return 1
            except RuntimeError as exc:  # chromium missing
                console.print(f"[bold red]snapshot:[/bold red] {exc}")
                return 1
    finally:
        con.close()
    Console().print(f"wrote {len(written.files)} files; open {written.index}")
    return 0

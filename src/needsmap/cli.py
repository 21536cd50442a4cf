"""The ``needsmap`` command line.

Subcommands are registered from their topic modules so each stays small::

    needsmap build     build the store (atomic)
    needsmap index     compute the modelled ACE index into the store
    needsmap crime     (re)load police.uk street-level files into the store
    needsmap snapshot  write locality snapshots (HTML/PDF/PNG)
    needsmap site      where N more sites would reach the most children (MCLP / p-median)
    needsmap app       open the Streamlit app on the store
    needsmap serve     the app as N replicas behind nginx (docs/deploy.md)
    needsmap run       build the store if needed, then open the app
    needsmap sources   every source: found or missing, links, what the build does without it
    needsmap fetch     download the sources with a direct link; manual steps for the rest

Every subcommand takes ``--db PATH`` (default ``$NEEDSMAP_DB`` or
``~/.local/share/needsmap/needsmap.duckdb``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

from rich.console import Console
from rich.table import Table

from needsmap import replicas
from needsmap.access import siting_cli
from needsmap.argtypes import PORT, WAIT_SECONDS
from needsmap.crime import cli as crime_cli
from needsmap.index import cli as index_cli
from needsmap.serve import streamlit_command
from needsmap.settings import REPO_ROOT, Settings, default_db_path
from needsmap.snapshot import cli as snapshot_cli
from needsmap.sources import cli as sources_cli

#: Subcommands implemented in topic modules: each ``register(subparsers, common)`` adds a
#: parser whose ``func(args)`` returns an exit code.
TOPIC_COMMANDS = (index_cli, crime_cli, snapshot_cli, siting_cli, replicas, sources_cli)


def common_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--db", default=None,
                   help=f"store path (default: $NEEDSMAP_DB or {default_db_path()})")
    return p


def _add_source_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mirror", default=None,
                   help="directory mirroring the official files (default: $NEEDSMAP_MIRROR)")
    p.add_argument("--cache", default=None, help="download cache (default: $NEEDSMAP_CACHE)")
    p.add_argument("--offline", action="store_true", help="never download")


def _add_wait_arg(p: argparse.ArgumentParser) -> None:
    from needsmap.store.writer import DEFAULT_WAIT

    p.add_argument("--wait", type=WAIT_SECONDS, default=DEFAULT_WAIT, metavar="SECONDS",
                   help="wait this long for another command writing the store to finish "
                        f"(default {DEFAULT_WAIT:g}; 0: fail at once)")


def _add_ward_weights_arg(p: argparse.ArgumentParser) -> None:
    """``--ward-weights`` (``build`` and ``run``, which builds when the store is missing)."""
    from needsmap.areas.weights import METHODS

    p.add_argument("--ward-weights", choices=list(METHODS), default="best_fit",
                   help="how LSOA figures are carried to wards: best_fit (default: the ONS "
                        "best-fit lookup, with area shares for wards it leaves empty) or areal "
                        "(area shares for every LSOA); see docs/method.md")


def cmd_build(args: argparse.Namespace) -> int:
    from needsmap.context import BuildOptions
    from needsmap.ingest.report import InputError
    from needsmap.pipeline import BuildError, build
    from needsmap.scope import UnknownArea
    from needsmap.sources import ChecksumError, SourceUnavailable
    from needsmap.store.db import StoreError

    console = Console(stderr=True)
    settings = Settings.from_args(args.db, args.mirror, args.cache, args.offline)
    options = BuildOptions(police_paths=tuple(args.police or ()),
                           user_services=tuple(args.services or ()),
                           ward_weights=args.ward_weights)
    try:
        summary = build(settings, las=args.la or None, console=console, options=options,
                        wait=getattr(args, "wait", None))
    except (InputError, SourceUnavailable, ChecksumError, BuildError, UnknownArea,
            StoreError) as exc:
        console.print(f"[bold red]build failed:[/bold red] {exc}")
        console.print("The previous store (if any) is untouched.")
        return 1
    out = Console()
    t = Table(title=f"needsmap store {summary['db']}")
    t.add_column("item")
    t.add_column("value", justify="right")
    for k, v in summary.items():
        if k in ("timings", "db", "sources_unavailable"):
            continue
        t.add_row(str(k), str(v))
    for k, v in summary.get("timings", {}).items():
        t.add_row(f"stage {k} (s)", f"{v:.2f}")
    out.print(t)
    missing = summary.get("sources_unavailable") or {}
    if missing:
        out.print(f"[bold]Built without {len(missing)} source(s)[/bold] (`needsmap sources` "
                  "lists them all; `needsmap fetch` downloads those with a direct link):")
        for sid, what in missing.items():
            out.print(f"  - {sid}: {what}")
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    env["NEEDSMAP_DB"] = str(Path(args.db).expanduser() if args.db else default_db_path())
    return subprocess.call(streamlit_command(address=args.address, port=args.port), env=env,
                           cwd=REPO_ROOT)


def cmd_run(args: argparse.Namespace) -> int:
    db = Path(args.db).expanduser() if args.db else default_db_path()
    if args.rebuild or not db.exists():
        if not prepare_sources(args):
            return 1
        args.la, args.police, args.services = args.la, None, None
        rc = cmd_build(args)
        if rc:
            return rc
    return cmd_app(args)


def prepare_sources(args: argparse.Namespace) -> bool:
    """Before a first build: download what has a direct link and is in neither the cache nor
    the mirror (everything, without a mirror; with one, the publisher-only files such as the
    DfE family hub list and IoD2025 File 7); then say what is missing and how to get it.
    False if a required source is still missing."""
    from needsmap.sources import Resolver, load_catalogue
    from needsmap.sources.cli import fetch
    from needsmap.sources.status import manual_steps, missing_required, source_status

    console = Console(stderr=True)
    settings = Settings.from_args(args.db, args.mirror, args.cache, args.offline)
    cat = load_catalogue()
    r = Resolver(settings.cache_dir, settings.mirror, offline=settings.offline, console=console)
    if settings.mirror is None and not settings.offline:
        console.print("[bold]No mirror (NEEDSMAP_MIRROR): downloading the sources that have a "
                      f"direct link into {settings.cache_dir}[/bold]")
        rows, _failures = fetch(r, cat, console=console)
    elif not settings.offline:
        # the mirror lacks some publishers' files (family hubs, File 7): a user online gets
        # them here rather than building without them (a build never downloads an optional
        # file by itself)
        names = [s.id for s in cat if s.download and not s.unused and r.find(s) is None]
        rows = []
        if names:
            console.print(f"[bold]Downloading what the mirror does not have into "
                          f"{settings.cache_dir}:[/bold] {', '.join(names)}")
            rows, _failures = fetch(r, cat, names, console=console)
    else:
        rows = []
    for sid, res, detail in rows:
        if res == "failed":
            console.print(f"  [red]{sid}[/red]: {detail}")
    status = source_status(r, cat)
    missing = [s for s in status if s.where == "missing"]
    required = missing_required(status, cat)
    if missing:
        console.print(f"[bold]{len(missing)} sources are missing[/bold]; the build does without "
                      "the optional ones:")
        for s in missing:
            if s not in required:
                console.print(f"  - {s.id} ({s.need}): {s.without}")
    if required:
        console.print("[bold red]Cannot build: required sources are missing.[/bold red] "
                      "Get them, then run again:")
        for line in manual_steps(required):
            console.print(f"  - {line}")
        console.print("(`needsmap sources` lists every source; `needsmap fetch` retries the "
                      "downloads.)")
        return False
    return True


def make_parser() -> argparse.ArgumentParser:
    common = common_parser()
    parser = argparse.ArgumentParser(prog="needsmap", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", parents=[common], help="build the store from the official files")
    b.add_argument("--la", action="append", metavar="NAME_OR_CODE",
                   help="local authority to build (repeatable), or Wales for its 22 LAs; default all "
                        "England and Wales")
    _add_source_args(b)
    b.add_argument("--police", action="append", metavar="PATH",
                   help="police.uk street CSV file or directory (default: the catalogue's collection)")
    b.add_argument("--services", action="append", metavar="CSV",
                   help="a user service list (template: geodata/service_template.csv)")
    _add_ward_weights_arg(b)
    _add_wait_arg(b)
    b.set_defaults(func=cmd_build)

    a = sub.add_parser("app", parents=[common], help="open the Streamlit app")
    a.add_argument("--address", default="127.0.0.1")
    a.add_argument("--port", type=PORT, default=8501)
    a.set_defaults(func=cmd_app)

    r = sub.add_parser("run", parents=[common], help="build the store if missing, then open the app")
    r.add_argument("--la", action="append", metavar="NAME_OR_CODE")
    _add_source_args(r)
    _add_ward_weights_arg(r)
    r.add_argument("--rebuild", action="store_true")
    r.add_argument("--address", default="127.0.0.1")
    r.add_argument("--port", type=PORT, default=8501)
    r.set_defaults(func=cmd_run)

    for topic in TOPIC_COMMANDS:
        topic.register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = make_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0), or a bad option: argparse printed why (2)
        return 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())

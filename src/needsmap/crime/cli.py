"""``needsmap crime [--db PATH] PATH...``: (re)load police.uk files into an existing store.

Under the store's writer lock, the store is copied to a temporary file beside it,
the crime tables and the police.uk rows of the load report are replaced there, and
the copy then replaces the store with :func:`os.replace`
(:func:`needsmap.store.writer.update_store`). A failure leaves the store as it was;
a concurrent ``index`` or ``build`` waits for this command (or this one for it),
so neither overwrites the other's tables. Other tables (e.g. ``ward_ace``) are not
recomputed; run ``needsmap index`` afterwards if the index uses recorded crime.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from needsmap.argtypes import WAIT_SECONDS
from needsmap.settings import default_db_path
from needsmap.store.writer import DEFAULT_WAIT


def reload(db: Path, paths: list[str], lookup: Path | None = None, wait: float = DEFAULT_WAIT,
           on_wait: Callable[[str], None] | None = None) -> list:
    """Replace the crime tables of the store ``db`` with ``paths``, atomically.

    Parameters
    ----------
    db
        An existing store (with ``lsoa`` and ``ward_indicators_england``).
    paths
        police.uk street-level files or directories.
    lookup
        The LSOA 2011 -> 2021 lookup CSV for the agreement check (optional).
    wait, on_wait
        Seconds to wait for another writer of the store, and a callback told when
        waiting starts (:func:`needsmap.store.writer.writer_lock`).

    Returns
    -------
    list of CrimeFileReport
        One per file loaded.

    Raises
    ------
    needsmap.ingest.report.InputError
        For a structurally bad file; the store is untouched.
    """
    from needsmap.crime.build import build_outputs, drop_crime_tables, load
    from needsmap.ingest.police import discover
    from needsmap.ingest.report import LoadReport
    from needsmap.store.db import StoreError, open_store
    from needsmap.store.writer import update_store

    db = Path(db)
    open_store(db).close()  # checks it exists and has this schema version
    files = discover(paths)
    with update_store(db, wait=wait, command="crime", on_wait=on_wait) as con:
        missing = [t for t in ("lsoa", "ward_indicators_england") if not con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
            [t]).fetchone()[0]]
        if missing:
            raise StoreError(f"{db} has no {', '.join(missing)} table; rebuild it first")
        drop_crime_tables(con)
        reports = load(con, files, lookup)
        build_outputs(con)
        rep = LoadReport()
        rep.files.extend(reports)
        rep.write(con)
        _record_sources(con, files)
    return reports


def _record_sources(con: duckdb.DuckDBPyConnection, files: list) -> None:
    """Replace the police.uk rows of the ``source`` table with the files just loaded."""
    from needsmap.sources import load_catalogue
    from needsmap.sources.resolve import sha256_file as sha256_of

    if not con.execute("SELECT count(*) FROM information_schema.tables "
                       "WHERE table_name = 'source'").fetchone()[0]:
        return
    coll = load_catalogue().collection("police_uk")
    con.execute("DELETE FROM source WHERE source_id LIKE 'police_uk:%'")
    rows = []
    for pf in files:
        m = coll.member(f"{pf.month}/{pf.path.name}")
        rows.append((m.id, m.publisher, m.title, m.url, m.licence, m.vintage, m.form,
                     str(pf.path), "user", sha256_of(pf.path)))
    if rows:
        con.executemany("INSERT INTO source VALUES (?,?,?,?,?,?,?,?,?,?)", rows)


def _lookup_path(mirror: str | None) -> Path | None:
    from needsmap.settings import Settings
    from needsmap.sources import Resolver, load_catalogue

    s = Settings.from_args(mirror=mirror, offline=True)
    src = load_catalogue().get("lsoa11_lsoa21_lookup")
    path, _ = Resolver(s.cache_dir, s.mirror, offline=True).where(src)
    return path


def cmd_crime(args: argparse.Namespace) -> int:
    """Run ``needsmap crime``."""
    from needsmap.ingest.report import InputError
    from needsmap.store.db import StoreError

    console = Console(stderr=True)
    db = Path(args.db).expanduser() if args.db else default_db_path()
    try:
        reports = reload(db, args.paths, _lookup_path(args.mirror), wait=args.wait,
                         on_wait=lambda m: console.print(f"[yellow]crime:[/yellow] {m}"))
    except (InputError, StoreError, duckdb.Error, OSError) as exc:
        console.print(f"[bold red]crime load failed:[/bold red] {exc}")
        console.print("The store is untouched.")
        return 1
    t = Table(title=f"police.uk files loaded into {db}")
    t.add_column("file", no_wrap=True)
    for c in ("read", "kept", "rejected"):
        t.add_column(c, justify="right")
    t.add_column("note")
    for r in reports:
        t.add_row(Path(r.file).name, f"{r.rows_read:,}", f"{r.rows_kept:,}",
                  f"{r.rows_rejected:,}", r.note)
    Console().print(t)
    return 0


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``crime`` subcommand."""
    p = subparsers.add_parser(
        "crime", parents=[common],
        help="(re)load police.uk street-level files into an existing store (atomic)")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="YYYY-MM-<force>-street.csv files or directories of them")
    p.add_argument("--mirror", default=None,
                   help="mirror directory, for the LSOA 2011->2021 lookup (default: $NEEDSMAP_MIRROR)")
    p.add_argument("--wait", type=WAIT_SECONDS, default=DEFAULT_WAIT, metavar="SECONDS",
                   help="wait this long for another command writing the store to finish "
                        f"(default {DEFAULT_WAIT:g}; 0: fail at once)")
    p.set_defaults(func=cmd_crime)

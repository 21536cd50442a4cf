"""The build: every stage, in the order the data flows, into one atomically written store.

:func:`build` resolves the LA scope once (from the ONS LSOA21->WD24->LAD24 lookup),
then runs the stages into a new DuckDB file and replaces the store only when
all of them succeeded and the load report balances
(:func:`needsmap.store.writer.new_store`). A failed or interrupted build leaves
the previous store untouched.

===========  ==============================================  ==========================================
stage        module                                          writes
===========  ==============================================  ==========================================
areas        :func:`needsmap.areas.build.stage`              ``lsoa``, ``ward``, LSOA/ward/LAD/England
                                                             indicators (boundaries, IoD2025, Census
                                                             2021, CiLIF)
wales        :func:`needsmap.areas.wales.stage`              Welsh rows of ``ward`` (``nation``) and
                                                             ``lsoa_ward_weight``, the ``*_wales``
                                                             tables, ``wales_indicators`` (WIMD 2019,
                                                             Census 2021, CiLIF)
services     :func:`needsmap.access.services.stage`          ``service``, ``service_coverage``,
                                                             ``postcode`` (GIAS, epraccur, libraries,
                                                             local and user lists)
crime        :func:`needsmap.crime.build.stage`              ``crime_*``, ``ward_crime`` (police.uk)
index        :func:`needsmap.index.tables.stage`             ``ward_ace``, ``lad_ace``, ``ace_config``
wales_index  :func:`needsmap.index.wales.stage`              ``ward_ace_wales``, ``lad_ace_wales`` (the
                                                             Welsh index, Welsh wards only)
access       :func:`needsmap.access.measures.stage`          ``lsoa_access`` (English and Welsh
                                                             LSOAs), ``ward_access``,
                                                             ``ward_need``, ``ward_gaps``;
                                                             ``ward_access_wales``,
                                                             ``ward_need_wales`` (Welsh wards)
===========  ==============================================  ==========================================

Each stage is ``stage(ctx: BuildContext)`` (:mod:`needsmap.context`). After the last
stage the store is checked against :mod:`needsmap.store.schema`: a table with a
missing or unexpected column fails the build.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console

from needsmap import __version__
from needsmap.access import measures as access_measures
from needsmap.access import services as access_services
from needsmap.areas import build as areas
from needsmap.areas import wales
from needsmap.context import BuildContext, BuildOptions
from needsmap.crime import build as crime
from needsmap.index import tables as index_tables
from needsmap.index import wales as wales_index
from needsmap.ingest import lookup, wimd
from needsmap.ingest.report import LoadReport
from needsmap.scope import Scope, resolve_las
from needsmap.settings import SCHEMA_VERSION, Settings
from needsmap.sources import Resolver, load_catalogue
from needsmap.sources.resolve import MIRROR_COPY, PUBLISHER_FILE
from needsmap.sql import run_sql
from needsmap.store import schema
from needsmap.store.db import load_spatial
from needsmap.store.writer import DEFAULT_WAIT, StoreWriteError, new_store

#: The stages, in order.
STAGES: dict[str, Callable[[BuildContext], None]] = {
    "areas": areas.stage,
    "wales": wales.stage,
    "services": access_services.stage,
    "crime": crime.stage,
    "index": index_tables.stage,
    "wales_index": wales_index.stage,
    "access": access_measures.stage,
}

#: Compression methods the areas stage does not try (slow to analyse; see docs/decisions.md).
DISABLED_COMPRESSION = "fsst,alp,alprd,chimp,patas,zstd"


class BuildError(RuntimeError):
    """The build failed; the previous store is untouched."""


def build(settings: Settings, las: Sequence[str] | None = None, console: Console | None = None,
          stages: Sequence[str] | None = None, threads: int | None = None,
          options: BuildOptions | None = None, wait: float | None = None) -> dict[str, object]:
    """Build the store at ``settings.db_path`` atomically and return a summary.

    Parameters
    ----------
    settings
        Paths (db, mirror, cache).
    las
        Local authorities to build (names or LAD24 codes); ``None`` for all England.
    stages
        Subset of :data:`STAGES` to run (default: all, in order). Unknown names are
        rejected with the valid list.
    threads
        DuckDB threads (default: DuckDB's own).
    options
        Police files and user service lists (:class:`~needsmap.context.BuildOptions`).
    wait
        Seconds to wait for another command writing the same store (default
        :data:`~needsmap.store.writer.DEFAULT_WAIT`; see :func:`~needsmap.store.writer.writer_lock`).
    """
    console = console or Console(stderr=True)
    wanted = list(STAGES) if stages is None else list(stages)
    unknown = [s for s in wanted if s not in STAGES]
    if unknown:
        raise BuildError(f"unknown stage(s) {unknown}; valid stages: {', '.join(STAGES)}")
    target = Path(settings.db_path)
    resolver = Resolver(settings.cache_dir, settings.mirror, offline=settings.offline,
                        console=console)
    t0 = time.perf_counter()
    try:
        ctx = _run_stages(target, settings, las, console, wanted, stages is None, threads,
                          options or BuildOptions(), resolver, t0,
                          DEFAULT_WAIT if wait is None else wait)
    except StoreWriteError as exc:  # disk full, directory not writable, another writer: the
        raise BuildError(str(exc)) from exc  # old store is kept
    ctx.summary["wall_s"] = round(time.perf_counter() - t0, 3)
    ctx.summary["timings"] = {k: round(v, 3) for k, v in ctx.timings.items()}
    ctx.summary["db"] = str(target)
    return ctx.summary


def _run_stages(target: Path, settings: Settings, las: Sequence[str] | None, console: Console,
                wanted: list[str], complete: bool, threads: int | None, options: BuildOptions,
                resolver: Resolver, t0: float, wait: float = DEFAULT_WAIT) -> BuildContext:
    """Run ``wanted`` into a new store that replaces ``target`` if all goes well."""
    with new_store(target, threads=threads, spatial=False, wait=wait, command="build",
                   on_wait=lambda m: console.print(f"[yellow]build:[/yellow] {m}")) as con:
        # For the areas stage: checkpoints where the build chooses instead of automatic
        # ones, and compression without the costly analysers (see docs/decisions.md).
        con.execute("SET checkpoint_threshold = '16GB'")
        con.execute(f"SET disabled_compression_methods = '{DISABLED_COMPRESSION}'")
        ctx = BuildContext(con=con, settings=settings, resolver=resolver,
                           catalogue=load_catalogue(), report=LoadReport(), console=console,
                           options=options)
        t = time.perf_counter()
        ctx.scope = resolve_scope(ctx, las)
        ctx.timings["scope"] = time.perf_counter() - t
        for name in wanted:
            t = time.perf_counter()
            if name != "areas":  # the areas stage needs only DuckDB's core GEOMETRY functions
                load_spatial(con)
            with console.status(f"[bold]build: {name}[/bold]"):
                STAGES[name](ctx)
            ctx.timings[name] = time.perf_counter() - t
            if name == "areas" and len(wanted) > 1:
                # areas tables to disk now, then DuckDB's defaults for the later stages
                # (crime: millions of rows, where full compression keeps the store small)
                con.execute("CHECKPOINT")
                con.execute("RESET checkpoint_threshold")
                con.execute("RESET disabled_compression_methods")
            console.log(f"stage {name} done in {ctx.timings[name]:.2f}s")
        ctx.report.write(con)
        _write_meta(ctx, time.perf_counter() - t0)
        if complete:
            problems = schema.check_store(con)
            if problems:
                raise BuildError("the built store does not match needsmap.store.schema:\n  "
                                 + "\n  ".join(problems))
    return ctx


def resolve_scope(ctx: BuildContext, las: Sequence[str] | None) -> Scope:
    """Load the LSOA21->WD24->LAD24 lookup and resolve ``las`` against its LADs.

    Writes ``lookup_lsoa21_wd24``, ``lookup_lsoa21_wd24_wales`` and ``scope_lad``. An unknown LA raises
    :class:`~needsmap.scope.UnknownArea` before any stage has run.
    """
    p = ctx.resolve("lsoa21_wd24_lookup")
    lookup.load_lookup(ctx.con, p, ctx.report.file("lsoa21_wd24_lookup", str(p)))
    # Wales (issue 21): its rows go to their own table, so Welsh LAs resolve too
    wimd.load_lookup_wales(ctx.con, p, ctx.report.file("lsoa21_wd24_lookup_wales", str(p)))
    pairs = ctx.con.execute("SELECT DISTINCT lad_code, lad_name FROM lookup_lsoa21_wd24 UNION "
                            "SELECT DISTINCT lad_code, lad_name FROM lookup_lsoa21_wd24_wales"
                            ).fetchall()
    wales = [r[0] for r in ctx.con.execute(
        "SELECT DISTINCT lad_code FROM lookup_lsoa21_wd24_wales ORDER BY 1").fetchall()]
    scope = resolve_las(las, pairs, nations={"Wales": wales})
    run_sql(ctx.con, "scope_lad", {"lads": scope.codes_or_none()})
    return scope


def _write_meta(ctx: BuildContext, wall: float) -> None:
    meta = {
        "schema_version": str(SCHEMA_VERSION),
        "needsmap_version": __version__,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scope": json.dumps(list(ctx.scope.lad_codes)) if ctx.scope.lad_codes else "england",
        "build_seconds": f"{wall:.3f}",
    }
    run_sql(ctx.con, "store_meta")
    ctx.con.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
    seen = set()
    rows = []
    for src, found in ctx.sources_used:
        if src.id in seen:
            continue
        seen.add(src.id)
        form = src.form if found.form == MIRROR_COPY else found.form
        layout = src.layout if found.form == PUBLISHER_FILE else None
        rows.append((src.id, src.publisher, src.title, src.landing, src.licence, src.vintage,
                     form, str(found.path), found.origin, ctx.sha256(src, found),
                     found.url or src.download, layout, found.check))
    if rows:
        ctx.con.executemany("INSERT INTO source VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)

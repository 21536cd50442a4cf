"""Atomic store build.

The build writes a new DuckDB file beside the target (``<db>.building-<pid>``),
runs every stage into it, checks the load report balances, writes ``meta``
and only then replaces the target with :func:`os.replace`. An interrupted or
failed build leaves the previous store untouched; the temporary file is
removed on failure.

Stages run in order; each is a callable ``stage(ctx)`` that reads sources via
``ctx.resolve`` and writes tables with ``ctx.con``:

1. ``core``      boundaries, lookup, IoD2025, Census 2021, CiLIF -> lsoa/ward/lad indicators
2. ``services``  GIAS, epraccur, libraries, user lists -> ``service``
3. ``crime``     police.uk street-level files -> ``ward_crime`` (if present)
4. ``index``     the default Lewer ACE index -> ``ward_ace``, ``lad_ace``
5. ``access``    nearest-service distances -> ``lsoa_access``, ``ward_access``, ``ward_gaps``
"""

from __future__ import annotations

import datetime as dt
import glob
import importlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from rich.console import Console

from needsmap import __version__
from needsmap.ingest.report import LoadReport
from needsmap.settings import SCHEMA_VERSION, Settings
from needsmap.sources import Resolver, load_catalogue
from needsmap.sources.catalogue import Catalogue, Source
from needsmap.store.db import connect, load_spatial

#: Build stages: (name, "module:function"). Order matters.
STAGES: list[tuple[str, str]] = [
    ("core", "needsmap.store.core:stage"),
    ("services", "needsmap.access.build:services_stage"),
    ("crime", "needsmap.crime.build:stage"),
    ("index", "needsmap.index.build:stage"),
    ("access", "needsmap.access.build:access_stage"),
]


#: Compression methods the build does not try (slow to analyse; see docs/decisions.md).
DISABLED_COMPRESSION = "fsst,alp,alprd,chimp,patas,zstd"


class BuildError(RuntimeError):
    """The build failed; the previous store is untouched."""


@dataclass
class BuildContext:
    """What a stage gets: the open temporary store, sources and the load report."""

    con: duckdb.DuckDBPyConnection
    settings: Settings
    resolver: Resolver
    catalogue: Catalogue
    report: LoadReport
    las: list[str] | None = None  # LAD24 codes in scope; None = all England
    console: Console = field(default_factory=Console)
    timings: dict[str, float] = field(default_factory=dict)
    summary: dict[str, object] = field(default_factory=dict)
    sources_used: list[tuple[Source, Path, str]] = field(default_factory=list)
    extra: dict[str, object] = field(default_factory=dict)

    def resolve(self, source_id: str, required: bool = True) -> Path | None:
        """Resolve a catalogue id to a local path and record it in ``source`` table."""
        src = self.catalogue.get(source_id)
        if required:
            path, origin = self.resolver.resolve_with_origin(src)
        else:
            found = self.resolver.resolve_optional(src)
            if found is None:
                return None
            path, origin = found
        self.sources_used.append((src, path, origin))
        return path

    def record_source(self, src: Source, path: Path, origin: str) -> None:
        self.sources_used.append((src, path, origin))


def _load_stage(spec: str) -> Callable[[BuildContext], None] | None:
    """Import a stage; ``None`` if its topic module is not installed in this checkout."""
    mod, fn = spec.split(":")
    try:
        module = importlib.import_module(mod)
    except ModuleNotFoundError as exc:
        if exc.name is not None and mod.startswith(exc.name):
            return None
        raise
    return getattr(module, fn)


def build(settings: Settings, las: list[str] | None = None, console: Console | None = None,
          stages: list[str] | None = None, threads: int | None = None,
          extra: dict[str, object] | None = None) -> dict[str, object]:
    """Build the store at ``settings.db_path`` atomically and return a summary.

    Parameters
    ----------
    settings
        Paths (db, mirror, cache).
    las
        Local authorities to build (names or LAD24 codes); ``None`` for all England.
    stages
        Subset of stage names to run (default: all).
    extra
        Stage options, e.g. ``{"police_files": [...], "user_services": [...]}``.
    """
    console = console or Console(stderr=True)
    target = Path(settings.db_path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(f"cannot create the store directory {target.parent}: {exc}") from exc
    if not os.access(target.parent, os.W_OK):
        raise BuildError(f"the store directory {target.parent} is not writable")
    tmp = target.with_name(f"{target.name}.building-{os.getpid()}")
    _sweep_killed_builds(target)
    resolver = Resolver(settings.cache_dir, settings.mirror, offline=settings.offline,
                        console=console)
    t0 = time.perf_counter()
    con = None
    try:
        con = connect(tmp, threads=threads, spatial=False)
        # For the core stage: checkpoints where the build chooses instead of automatic
        # ones (measured 0.3-0.5 s of a 2.6 s core stage), and compression without the
        # costly analysers (FSST strings, ALP floats, ...): 0.3 CPU-s less for core tables
        # a third larger (see docs/decisions.md). Dictionary, RLE, bit-packing and
        # constant compression stay on.
        con.execute("SET checkpoint_threshold = '16GB'")
        con.execute(f"SET disabled_compression_methods = '{DISABLED_COMPRESSION}'")
        ctx = BuildContext(con=con, settings=settings, resolver=resolver,
                           catalogue=load_catalogue(), report=LoadReport(),
                           console=console, extra=dict(extra or {}))
        ctx.extra["las_requested"] = las
        wanted = stages or [name for name, _ in STAGES]
        for name, spec in STAGES:
            if name not in wanted:
                continue
            t = time.perf_counter()
            if name != "core":  # the core stage needs only DuckDB's core GEOMETRY functions
                load_spatial(con)
            fn = _load_stage(spec)
            if fn is None:
                ctx.summary.setdefault("stages_skipped", []).append(name)
                console.log(f"stage {name} skipped: {spec.split(':')[0]} is not available")
                continue
            with console.status(f"[bold]build: {name}[/bold]"):
                fn(ctx)
            ctx.timings[name] = time.perf_counter() - t
            if name == "core" and any(n in wanted for n, _ in STAGES[1:]):
                # core tables to disk now, then DuckDB's defaults for the later stages (crime:
                # millions of rows, where full compression keeps the store small); a core-only
                # build leaves this to the final checkpoint
                con.execute("CHECKPOINT")
                con.execute("RESET checkpoint_threshold")
                con.execute("RESET disabled_compression_methods")
            console.log(f"stage {name} done in {ctx.timings[name]:.2f}s")
        ctx.report.write(con)
        _write_meta(ctx, time.perf_counter() - t0)
        con.execute("CHECKPOINT")
        con.close()
        con = None
        os.replace(tmp, target)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
    except BaseException as exc:
        if con is not None:
            try:
                con.close()
            except duckdb.Error:
                pass
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        if (isinstance(exc, OSError) and exc.errno == 28) or (
                isinstance(exc, duckdb.Error) and "No space left on device" in str(exc)):
            raise BuildError(f"disk full while building {target}; the previous store is untouched") from exc
        raise
    ctx.summary["wall_s"] = round(time.perf_counter() - t0, 3)
    ctx.summary["timings"] = {k: round(v, 3) for k, v in ctx.timings.items()}
    ctx.summary["db"] = str(target)
    return ctx.summary


def _sweep_killed_builds(target: Path) -> None:
    """Delete ``<db>.building-<pid>*`` files of builds that were killed (pid not running).

    A SIGKILLed build cannot clean up after itself; without this sweep every kill
    leaves a store-sized temporary file beside the target.
    """
    prefix = f"{target.name}.building-"
    for p in target.parent.glob(f"{glob.escape(prefix)}*"):
        pid_text = p.name[len(prefix):].split(".")[0]
        if not pid_text.isdigit():
            continue
        pid = int(pid_text)
        if pid != os.getpid():
            try:
                os.kill(pid, 0)
                continue  # still running: another build's file
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
        try:
            shutil.rmtree(p) if p.is_dir() else p.unlink()
        except OSError:
            pass


def _write_meta(ctx: BuildContext, wall: float) -> None:
    con = ctx.con
    con.execute("CREATE OR REPLACE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    meta = {
        "schema_version": str(SCHEMA_VERSION),
        "needsmap_version": __version__,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scope": json.dumps(ctx.las) if ctx.las else "england",
        "build_seconds": f"{wall:.3f}",
    }
    con.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
    con.execute("""CREATE OR REPLACE TABLE source (source_id VARCHAR, publisher VARCHAR,
        title VARCHAR, url VARCHAR, licence VARCHAR, vintage VARCHAR, form VARCHAR,
        path VARCHAR, origin VARCHAR, sha256 VARCHAR)""")
    seen = set()
    rows = []
    for src, path, origin in ctx.sources_used:
        if src.id in seen:
            continue
        seen.add(src.id)
        rows.append((src.id, src.publisher, src.title, src.url, src.licence, src.vintage,
                     src.form, str(path), origin, src.sha256))
    if rows:
        con.executemany("INSERT INTO source VALUES (?,?,?,?,?,?,?,?,?,?)", rows)

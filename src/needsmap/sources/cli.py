"""``needsmap sources`` and ``needsmap fetch``: where the data is, and getting it.

``needsmap sources [--json]`` prints one table, every source: where it was found (cache,
mirror, missing), vintage, licence, landing page, direct link, the file name to save it
as, and what the build does without it.

``needsmap fetch [SOURCE ...]`` downloads, into the cache, every source that has a direct
link and is not already in the cache or the mirror (or the sources named, even if
present, with ``--force``), with a progress bar and retries, each checked (a mirror copy
by its SHA-256, a publisher's file by its layout). It then prints the manual steps for
the rest. Exit status 1 if a download failed or a required source is still missing.
"""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.table import Table

from needsmap.argtypes import RETRIES
from needsmap.settings import Settings
from needsmap.sources.catalogue import Catalogue, Source, load_catalogue
from needsmap.sources.resolve import Resolver, SourceUnavailable
from needsmap.sources.status import (
    POLICE,
    manual_steps,
    missing_required,
    source_status,
)


def _add_source_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mirror", default=None,
                   help="directory mirroring the official files (default: $NEEDSMAP_MIRROR)")
    p.add_argument("--cache", default=None, help="download cache (default: $NEEDSMAP_CACHE)")


def _resolver(args: argparse.Namespace, console: Console | None = None,
              progress: bool = True) -> tuple[Settings, Resolver]:
    settings = Settings.from_args(None, args.mirror, args.cache, getattr(args, "offline", False))
    return settings, Resolver(settings.cache_dir, settings.mirror, offline=settings.offline,
                              console=console, progress=progress,
                              retries=getattr(args, "retries", 3))


def cmd_sources(args: argparse.Namespace) -> int:
    """Run ``needsmap sources``."""
    cat = load_catalogue()
    settings, r = _resolver(args)
    rows = source_status(r, cat)
    if args.json:
        print(json.dumps([x.as_dict() for x in rows], indent=1))
        return 0
    out = Console(width=max(Console().width, 160))
    t = Table(title=f"needsmap sources (cache {settings.cache_dir}; mirror "
                    f"{settings.mirror or 'none'})", show_lines=True)
    for col in ("source", "where", "vintage", "licence", "landing page / direct link",
                "save as", "without it"):
        t.add_column(col, overflow="fold")
    colour = {"cache": "green", "mirror": "green", "missing": "red"}
    for x in rows:
        links = x.landing + (f"\n[bold]direct:[/bold] {x.download}" if x.download
                             else "\n(no direct link: by hand)")
        where = f"[{colour.get(x.where, 'white')}]{x.where}[/]" + (f"\n{x.note}" if x.note else "")
        t.add_row(x.id, where, x.vintage, x.licence, links, x.save_as,
                  f"{x.need}: {x.without}" if x.without else x.need)
    out.print(t)
    miss = missing_required(rows, cat)
    n_missing = sum(x.where == "missing" for x in rows)
    out.print(f"{len(rows)} sources: {len(rows) - n_missing} found, {n_missing} missing"
              + (f"; required and missing: {', '.join(m.id for m in miss)}" if miss else "")
              + ". `needsmap fetch` downloads those with a direct link.")
    return 0


def _targets(cat: Catalogue, names: list[str]) -> list[Source]:
    """The sources named (``police_uk`` is the police.uk archive); unknown ids are refused."""
    out = []
    for n in names:
        if n == POLICE:
            arch = cat.collection(POLICE).archive()
            if arch is not None:
                out.append(arch)
            continue
        out.append(cat.get(n))  # KeyError names the valid ids
    return out


def fetch(resolver: Resolver, cat: Catalogue, names: list[str] | None = None,
          force: bool = False, console: Console | None = None) -> tuple[list[tuple], int]:
    """Download what has a direct link; return ``(rows, failures)``.

    ``rows`` are ``(source id, result, detail)``: ``downloaded``, ``present``,
    ``failed`` or ``by hand``.
    """
    console = console or Console(stderr=True)
    named = names or []
    if named:
        todo = _targets(cat, named)
    else:
        todo = [s for s in cat if not s.unused]
        arch = cat.collection(POLICE).archive()
        if arch is not None:
            todo.append(arch)
    rows, failures = [], 0
    for src in todo:
        found = resolver.find(src)
        if found is not None and not force:
            rows.append((src.id, "present", f"{found.origin}: {found.path}"))
            continue
        if src.id == f"{POLICE}:archive" and not named:
            coll = cat.collection(POLICE)
            monthly = [resolver.find(coll.member(r)) for r in sorted(coll.sha256)]
            if any(monthly):
                rows.append((POLICE, "present", "the mirror's monthly files (the archive, "
                                                "about 1.7 GB, only when named)"))
                continue
        if not src.downloadable:
            rows.append((src.id, "by hand", src.manual or src.landing))
            continue
        try:
            f = resolver.download_found(src)
        except (SourceUnavailable, OSError) as exc:
            failures += 1
            rows.append((src.id, "failed", str(exc).split(" Tried:")[0]))
            console.print(f"[red]failed[/red] {src.id}")
            continue
        rows.append((src.id, "downloaded", f"{f.path} ({f.check})"))
        console.print(f"[green]downloaded[/green] {src.id} -> {f.path}")
    return rows, failures


def cmd_fetch(args: argparse.Namespace) -> int:
    """Run ``needsmap fetch``."""
    console = Console(stderr=True)
    cat = load_catalogue()
    try:
        _targets(cat, args.sources)
    except KeyError as exc:
        console.print(f"[bold red]fetch:[/bold red] {exc.args[0]}")
        return 2
    settings, r = _resolver(args, console=console, progress=not args.no_progress)
    rows, failures = fetch(r, cat, args.sources, args.force, console)
    out = Console()
    t = Table(title=f"needsmap fetch into {settings.cache_dir}")
    for c in ("source", "result", "detail"):
        t.add_column(c, overflow="fold")
    colour = {"downloaded": "green", "present": "green", "failed": "red", "by hand": "yellow"}
    for sid, res, detail in rows:
        t.add_row(sid, f"[{colour[res]}]{res}[/]", detail)
    out.print(t)
    status = source_status(r, cat)
    by_id = {s.id: s for s in status}
    hand = [by_id[sid] for sid, res, _ in rows if res in ("by hand", "failed") and sid in by_id]
    if hand:
        out.print("[bold]To get by hand[/bold] (then run the build again):")
        for line in manual_steps(hand):
            out.print(f"  - {line}")
    miss = missing_required(status, cat)
    if miss:
        out.print("[bold red]Required and still missing:[/bold red] "
                  + ", ".join(m.id for m in miss))
    return 1 if failures or miss else 0


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``sources`` and ``fetch`` subcommands."""
    s = subparsers.add_parser("sources", help="list every source: found or missing, links, "
                                              "where to save it, what the build does without it")
    _add_source_args(s)
    s.add_argument("--json", action="store_true", help="print the rows as JSON")
    s.set_defaults(func=cmd_sources)
    f = subparsers.add_parser("fetch", help="download the sources that have a direct link "
                                            "into the cache; print the manual steps for the rest")
    f.add_argument("sources", nargs="*", metavar="SOURCE",
                   help="source ids (default: every missing source with a direct link; "
                        "police_uk = the police.uk archive)")
    _add_source_args(f)
    f.add_argument("--force", action="store_true", help="download even if present")
    f.add_argument("--retries", type=RETRIES, default=3, help="attempts per file (default 3)")
    f.add_argument("--no-progress", action="store_true", help="no progress bar")
    f.set_defaults(func=cmd_fetch)


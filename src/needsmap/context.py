"""What every build stage receives: :class:`BuildContext` and :class:`BuildOptions`.

A stage is a function ``stage(ctx: BuildContext) -> None`` (see
:mod:`needsmap.pipeline`). It reads catalogued files through :meth:`BuildContext.resolve`
(which records each one for the store's ``source`` table), records every input
file's rows in ``ctx.report`` and writes tables with ``ctx.con`` (the build's
temporary store). The LA scope is resolved once, before any stage runs, and
given to every stage as ``ctx.scope``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from rich.console import Console

from needsmap.ingest.report import LoadReport
from needsmap.scope import ALL, Scope
from needsmap.settings import Settings
from needsmap.sources import Resolver
from needsmap.sources.catalogue import Catalogue, Source
from needsmap.sources.resolve import MIRROR_COPY, Found


@dataclass(frozen=True)
class BuildOptions:
    """What a user asked for beyond the scope.

    Attributes
    ----------
    police_paths
        police.uk street-level files or folders to load instead of the catalogue's.
    user_services
        The user's own service lists (CSV paths).
    ward_weights
        How LSOA figures are carried to wards: ``best_fit`` (default) or ``areal``
        (:data:`needsmap.areas.weights.METHODS`).
    """

    police_paths: tuple[str, ...] = ()
    user_services: tuple[str, ...] = ()
    ward_weights: str = "best_fit"


@dataclass
class BuildContext:
    """The open temporary store, the sources, the load report and the resolved scope."""

    con: duckdb.DuckDBPyConnection
    settings: Settings
    resolver: Resolver
    catalogue: Catalogue
    report: LoadReport
    scope: Scope = ALL
    options: BuildOptions = field(default_factory=BuildOptions)
    console: Console = field(default_factory=Console)
    timings: dict[str, float] = field(default_factory=dict)
    summary: dict[str, object] = field(default_factory=dict)
    #: Every source file read: the catalogue entry and how it was found and checked.
    sources_used: list[tuple[Source, Found]] = field(default_factory=list)
    #: Facts one stage leaves for a later one (e.g. ``cilif_available``).
    facts: dict[str, object] = field(default_factory=dict)

    def resolve(self, source_id: str, required: bool = True) -> Path | None:
        """Resolve a catalogue id to a local path and record it for the ``source`` table.

        With ``required=False`` a source found nowhere gives ``None`` instead of
        raising :class:`~needsmap.sources.SourceUnavailable` (and no publisher's
        download is attempted: ``needsmap fetch`` does that).
        """
        found = self.resolve_found(source_id, required)
        return found.path if found else None

    def resolve_found(self, source_id: str, required: bool = True) -> Found | None:
        """Like :meth:`resolve`, returning how the file was found and checked."""
        src = self.catalogue.get(source_id)
        if required:
            found = self.resolver.resolve_found(src)
        else:
            found = self.resolver.resolve_optional_found(src)
            if found is None:
                return None
        self.sources_used.append((src, found))
        return found

    def record_source(self, src: Source, path: Path, origin: str, check: str = "user file",
                      form: str = "user file") -> None:
        """Record a file that did not come through :meth:`resolve` (a user's file)."""
        self.sources_used.append((src, Found(Path(path), origin, form, check)))

    def available(self, source_id: str) -> bool:
        """True if the source is in the cache or mirror (no download)."""
        return self.resolver.find(self.catalogue.get(source_id)) is not None

    def sha256(self, src: Source, found: Found) -> str:
        """The SHA-256 of a used file (the catalogue's for a verified mirror copy)."""
        if found.form == MIRROR_COPY and src.sha256 and found.check.startswith("sha256"):
            return src.sha256
        return self.resolver.sha256(found.path)  # memoised by path, size and mtime

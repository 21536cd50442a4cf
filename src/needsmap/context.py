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
    sources_used: list[tuple[Source, Path, str]] = field(default_factory=list)
    #: Facts one stage leaves for a later one (e.g. ``cilif_available``).
    facts: dict[str, object] = field(default_factory=dict)

    def resolve(self, source_id: str, required: bool = True) -> Path | None:
        """Resolve a catalogue id to a local path and record it for the ``source`` table.

        With ``required=False`` a source found nowhere gives ``None`` instead of
        raising :class:`~needsmap.sources.SourceUnavailable`.
        """
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
        """Record a file that did not come through :meth:`resolve` (a user's file)."""
        self.sources_used.append((src, path, origin))

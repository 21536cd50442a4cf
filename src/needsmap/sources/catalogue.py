"""The ``geodata/catalogue.toml`` catalogue of every source file.

Each entry names the publisher, the dataset, its official URL, licence, vintage,
the file's place in the mirror layout, its expected columns and, where the file
is fixed, its SHA-256.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from needsmap.settings import CATALOGUE_PATH


@dataclass(frozen=True)
class Source:
    """One catalogued file (or, for collections, one member file)."""

    id: str
    path: str
    publisher: str
    title: str
    url: str
    licence: str
    vintage: str
    form: str
    columns: tuple[str, ...] = ()
    sha256: str | None = None
    optional: bool = False


@dataclass(frozen=True)
class Collection:
    """A family of files such as police.uk's monthly street-level CSVs."""

    id: str
    path: str
    pattern: str
    publisher: str
    title: str
    url: str
    licence: str
    vintage: str
    form: str
    columns: tuple[str, ...] = ()
    sha256: dict[str, str] = field(default_factory=dict)

    def member(self, relpath: str) -> Source:
        """Return a :class:`Source` for one file inside the collection."""
        return Source(
            id=f"{self.id}:{relpath}", path=f"{self.path}/{relpath}", publisher=self.publisher,
            title=self.title, url=f"{self.url.rstrip('/')}/{relpath}", licence=self.licence,
            vintage=relpath.split("/")[0], form=self.form, columns=self.columns,
            sha256=self.sha256.get(relpath),
        )


class Catalogue:
    """Registry of sources; :meth:`get` rejects unknown ids by listing the valid ones."""

    def __init__(self, sources: dict[str, Source], collections: dict[str, Collection]):
        self.sources = sources
        self.collections = collections

    def get(self, source_id: str) -> Source:
        try:
            return self.sources[source_id]
        except KeyError:
            valid = ", ".join(sorted(self.sources))
            raise KeyError(f"unknown source {source_id!r}; valid sources: {valid}") from None

    def collection(self, cid: str) -> Collection:
        try:
            return self.collections[cid]
        except KeyError:
            valid = ", ".join(sorted(self.collections))
            raise KeyError(f"unknown collection {cid!r}; valid: {valid}") from None

    def __iter__(self):
        return iter(self.sources.values())


@lru_cache(maxsize=4)
def load_catalogue(path: Path = CATALOGUE_PATH) -> Catalogue:
    """Read the catalogue TOML."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    sources = {
        sid: Source(id=sid, columns=tuple(d.pop("columns", ())), **d)
        for sid, d in data.get("source", {}).items()
    }
    collections = {}
    for cid, d in data.get("collection", {}).items():
        d = dict(d)
        collections[cid] = Collection(
            id=cid, columns=tuple(d.pop("columns", ())), sha256=dict(d.pop("sha256", {})), **d
        )
    return Catalogue(sources, collections)

"""The ``geodata/catalogue.toml`` catalogue of every source file.

Each entry says where a person reads about the data (``landing``), where a program
can download it (``download``: a direct link or URL pattern, where the publisher has
one), which reader reads the publisher's own file and which header variant it has
(``layout``, a name in :mod:`needsmap.sources.layouts`), the licence and vintage,
and what the build does without it (``required``, ``instead``, ``without``).

A source can come in two forms:

* the **mirror's copy** (``path``): the file's place in the offline mirror, checked
  by its ``sha256`` (a re-serialised table or a byte copy, see the mirror README);
* the **publisher's file** (``save_as``): where a download, or a file fetched by
  hand, is kept in the cache. It is checked by its layout (expected columns,
  plausible row count) and its SHA-256 is recorded in the store's ``source`` table.

A source has at least one of the two. Unknown ids are rejected with the valid list.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from needsmap.settings import CATALOGUE_PATH

#: How a download is made (``fetch`` in the catalogue).
FETCH_KINDS = {
    "file": "one GET of the direct link",
    "dated": "a date-stamped link ({date:%Y%m%d}): today's file, else up to a week back",
    "arcgis": "an ONS ArcGIS feature service, read page by page (resultOffset) into one file",
    "gias_extract": "a GIAS extract made on request: the Downloads form (tags), a wait, a zip "
                    "(member)",
}


@dataclass(frozen=True)
class Source:
    """One catalogued file (or, for collections, one member file).

    Attributes
    ----------
    id, publisher, title, licence, vintage
        What it is.
    landing
        The page a person reads (the publisher's dataset page).
    path, sha256, form, columns
        The mirror's copy: its place in the mirror layout (and in the cache), its
        SHA-256, its form (``re-serialised``, ``official file``...) and columns.
    download
        Direct link or URL pattern of the publisher's file (``None``: by hand only).
    fetch
        How to download it (:data:`FETCH_KINDS`).
    save_as
        Cache path of the publisher's file (default: ``path``).
    layout
        Layout of the publisher's file (:data:`needsmap.sources.layouts.LAYOUTS`).
    where
        For ``fetch = "arcgis"``: the feature-service ``where`` clause.
    tags, member
        For ``fetch = "gias_extract"``: the Downloads form's tags to tick, and the glob of
        the data CSV in the zip (:mod:`needsmap.sources.gias_extract`).
    required, instead, without
        Whether the build needs it; ids of sources that make it unnecessary when one of
        them is present; what the build does without it.
    manual
        How to get it by hand, when there is no direct link (or the link fails).
    unused
        Catalogued for reference but not read by the build (``needsmap fetch`` skips it
        unless it is named).
    """

    id: str
    publisher: str
    title: str
    licence: str
    vintage: str
    landing: str = ""
    path: str | None = None
    sha256: str | None = None
    form: str = "official file"
    columns: tuple[str, ...] = ()
    download: str | None = None
    fetch: str = "file"
    save_as: str | None = None
    layout: str | None = None
    where: str = "1=1"
    tags: tuple[str, ...] = ()
    member: str = ""
    required: bool = True
    instead: tuple[str, ...] = ()
    without: str = ""
    manual: str = ""
    unused: bool = False

    def __post_init__(self) -> None:
        if self.fetch not in FETCH_KINDS:
            raise ValueError(f"source {self.id}: unknown fetch {self.fetch!r}; valid: "
                             f"{', '.join(FETCH_KINDS)}")
        if self.fetch == "gias_extract" and not (self.tags and self.member and self.download):
            raise ValueError(f"source {self.id}: fetch = 'gias_extract' needs download, tags "
                             "and member")
        if not (self.path or self.save_as):
            raise ValueError(f"source {self.id}: needs a mirror path or a save_as name")

    @property
    def url(self) -> str:
        """The best link for a person: the direct link if fixed, else the landing page."""
        if self.download and "{" not in self.download:
            return self.download
        return self.landing

    @property
    def cache_name(self) -> str:
        """Cache path of the publisher's file (``save_as``, else the mirror ``path``)."""
        return self.save_as or self.path  # type: ignore[return-value]

    @property
    def downloadable(self) -> bool:
        """True if the publisher has a direct link (or URL pattern) for it."""
        return bool(self.download)


@dataclass(frozen=True)
class Collection:
    """A family of files such as police.uk's monthly street-level CSVs.

    The mirror holds members ``<path>/<relpath>`` (checked by ``sha256[relpath]``);
    the publisher's archive (``download``) is kept in the cache as ``save_as``.
    """

    id: str
    path: str
    pattern: str
    publisher: str
    title: str
    licence: str
    vintage: str
    form: str
    landing: str = ""
    columns: tuple[str, ...] = ()
    sha256: dict[str, str] = field(default_factory=dict)
    download: str | None = None
    save_as: str | None = None
    layout: str | None = None
    required: bool = False
    without: str = ""
    manual: str = ""

    @property
    def url(self) -> str:
        return self.download or self.landing

    def member(self, relpath: str) -> Source:
        """Return a :class:`Source` for one file inside the collection (mirror copy)."""
        return Source(
            id=f"{self.id}:{relpath}", path=f"{self.path}/{relpath}", publisher=self.publisher,
            title=self.title, landing=self.landing, licence=self.licence,
            vintage=relpath.split("/")[0], form=self.form, columns=self.columns,
            sha256=self.sha256.get(relpath), layout="police_street_csv", required=False,
        )

    def archive(self) -> Source | None:
        """The publisher's archive as a :class:`Source` (``None`` if not catalogued)."""
        if not self.save_as:
            return None
        return Source(
            id=f"{self.id}:archive", save_as=self.save_as, publisher=self.publisher,
            title=f"{self.title} (archive)", landing=self.landing, licence=self.licence,
            vintage="latest", form="official file", download=self.download,
            layout=self.layout, required=False, without=self.without, manual=self.manual,
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


def _tuple_fields(d: dict, *names: str) -> dict:
    for n in names:
        if n in d:
            d[n] = tuple(d[n])
    return d


@lru_cache(maxsize=4)
def load_catalogue(path: Path = CATALOGUE_PATH) -> Catalogue:
    """Read the catalogue TOML (unknown keys are an error, naming the source)."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    sources = {}
    for sid, d in data.get("source", {}).items():
        try:
            sources[sid] = Source(id=sid, **_tuple_fields(dict(d), "columns", "instead", "tags"))
        except TypeError as exc:
            raise ValueError(f"catalogue source {sid}: {exc}") from None
    collections = {}
    for cid, d in data.get("collection", {}).items():
        d = dict(d)
        collections[cid] = Collection(
            id=cid, columns=tuple(d.pop("columns", ())), sha256=dict(d.pop("sha256", {})), **d
        )
    for s in sources.values():
        for other in s.instead:
            if other not in sources:
                raise ValueError(f"catalogue source {s.id}: instead names unknown source {other!r}")
    return Catalogue(sources, collections)

"""Where every source is, and what the build does without it (``needsmap sources``).

One row per catalogued source, plus one for police.uk (its archive, or the mirror's
monthly files): found in the cache, the mirror, or missing; vintage, licence, landing
page, direct link, where to save it, and the consequence of its absence. The same rows
decide which *required* sources are missing before a build (:func:`missing_required`),
so ``scripts/run`` can say what to fetch instead of failing with a traceback.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from needsmap.sources.catalogue import Catalogue, Source
from needsmap.sources.resolve import Resolver

POLICE = "police_uk"


@dataclass(frozen=True)
class SourceStatus:
    """One row of ``needsmap sources``."""

    id: str
    title: str
    where: str  # cache, mirror or missing
    path: str  # the file found, or "" when missing
    vintage: str
    licence: str
    landing: str
    download: str  # direct link or URL pattern; "" when there is none (by hand)
    save_as: str  # where a download (or a file fetched by hand) goes
    need: str  # required / required unless ... / optional / not read
    without: str  # what the build does without it
    manual: str  # how to get it by hand
    note: str = ""  # e.g. why a present file was refused

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def need_text(src: Source) -> str:
    """``required``, ``required unless <ids> is present``, ``optional`` or ``not read``."""
    if src.unused:
        return "not read"
    if src.required and src.instead:
        return "required unless " + " or ".join(src.instead) + " is present"
    return "required" if src.required else "optional"


def source_status(resolver: Resolver, catalogue: Catalogue) -> list[SourceStatus]:
    """Every source's row (no download is attempted)."""
    rows = []
    for src in catalogue:
        found = resolver.find(src)
        rows.append(SourceStatus(
            id=src.id, title=src.title, where=found.origin if found else "missing",
            path=str(found.path) if found else "", vintage=src.vintage, licence=src.licence,
            landing=src.landing, download=src.download or "",
            save_as=str(resolver.cache_dir / src.cache_name), need=need_text(src),
            without=src.without, manual=src.manual,
            note=resolver.refused.get(src.id, "")))
    rows.append(police_status(resolver, catalogue))
    return rows


def police_status(resolver: Resolver, catalogue: Catalogue) -> SourceStatus:
    """police.uk: the archive if present, else how many of the mirror's monthly files are."""
    coll = catalogue.collection(POLICE)
    arch = coll.archive()
    found = resolver.find(arch) if arch else None
    where, path, note = "missing", "", ""
    if found is not None:
        where, path = found.origin, str(found.path)
    else:
        got = [resolver.find(coll.member(rel)) for rel in sorted(coll.sha256)]
        have = [g for g in got if g is not None]
        if have:
            where = have[0].origin
            path = str(have[0].path.parent.parent)
            note = f"{len(have)} of the {len(got)} catalogued monthly files"
    return SourceStatus(
        id=POLICE, title=coll.title, where=where, path=path, vintage=coll.vintage,
        licence=coll.licence, landing=coll.landing, download=coll.download or "",
        save_as=str(resolver.cache_dir / coll.save_as) if coll.save_as else "",
        need="optional", without=coll.without, manual=coll.manual,
        note=note or (resolver.refused.get(arch.id, "") if arch else ""))


def missing_required(rows: list[SourceStatus], catalogue: Catalogue) -> list[SourceStatus]:
    """Required sources that are missing, and none of whose stand-ins (``instead``) is present."""
    present = {r.id for r in rows if r.where != "missing"}
    out = []
    for r in rows:
        if r.id == POLICE or r.where != "missing":
            continue
        src = catalogue.get(r.id)
        if src.required and not src.unused and not any(i in present for i in src.instead):
            out.append(r)
    return out


def manual_steps(rows: list[SourceStatus]) -> list[str]:
    """How to get each of ``rows`` by hand: the page, what to download, where to save it."""
    out = []
    for r in rows:
        how = r.manual or "download it"
        link = f"direct link {r.download}" if r.download else f"see {r.landing}"
        out.append(f"{r.id}: {how} ({link}); save it as {r.save_as}")
    return out


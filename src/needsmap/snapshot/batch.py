"""Write snapshots for every locality of a set (and optionally the whole LA), plus an index."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from needsmap import CAVEAT
from needsmap.snapshot import content as C
from needsmap.snapshot import wales as W
from needsmap.snapshot.localities import LocalitySet, slugify
from needsmap.snapshot.render import PdfPrinter, render_html, render_index

FORMATS = ("html", "pdf", "png")


@dataclass
class Written:
    """What one run wrote."""

    index: Path
    files: list[Path] = field(default_factory=list)
    snapshots: list[C.Snapshot] = field(default_factory=list)


def parse_formats(text: str) -> list[str]:
    """Parse ``"html,pdf,png"``; unknown names raise ``ValueError`` listing the valid ones."""
    out = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        raise ValueError(f"unknown format(s) {', '.join(bad) or '(none)'}; choose from {', '.join(FORMATS)}")
    return list(dict.fromkeys(out))


def write_snapshots(con: duckdb.DuckDBPyConnection, localities: LocalitySet | None, out: Path,
                    formats: Sequence[str] = FORMATS, la: str | None = None,
                    advance: Callable[[str], None] | None = None,
                    basis: str = "children") -> Written:
    """Write one snapshot per locality (and for the LA named by ``la``) into ``out``.

    Parameters
    ----------
    con
        An open store.
    localities
        The checked locality set (may be ``None`` when only ``la`` is wanted).
    out
        Output directory (created).
    formats
        Any of ``html``, ``pdf`` (A4, one page, printed by chromium) and ``png`` (the whole
        page as an image, by chromium, plus the map alone as ``<slug>-map.png``).
    la
        An LA name or code: also write its whole-LA snapshot, and use it as every
        locality's comparator.
    advance
        Called with the area name after each snapshot (for a progress bar).
    basis
        ``children`` (aged 0-15) or ``under5`` (the early-years lens), as for
        :func:`~needsmap.snapshot.content.build_snapshot`.
    """
    out.mkdir(parents=True, exist_ok=True)
    la_code = la_name = None
    if la and (welsh := W.welsh_la(con, la)) is not None:
        if localities:
            raise KeyError("localities in Welsh LAs are not supported yet; use --la alone")
        return _write_wales(con, welsh, out, formats, advance)
    if la:
        la_code, la_name = C.resolve_la(con, la)
    england = C.england_row(con)
    areas: list[tuple[str, list[str], str, str]] = []
    for loc in (localities or []):
        areas.append((loc.name, loc.ward_codes, "locality", loc.slug))
    if la_code:
        areas.append((la_name, C.la_wards(con, la_code), "la", "la-" + slugify(la_name)))
    written = Written(index=out / "index.html")
    entries = []
    printer = PdfPrinter() if "pdf" in formats or "png" in formats else None
    set_label = localities.source if localities else None
    try:
        if printer:
            printer.__enter__()
        for name, wards, kind, slug in areas:
            snap = C.build_snapshot(con, name, wards, kind=kind, la_code=la_code, england=england,
                                    with_map=True, basis=basis)
            written.snapshots.append(snap)
            files = []
            html = render_html(snap, locality_set=set_label if kind == "locality" else None)
            if "html" in formats:
                p = out / f"{slug}.html"
                p.write_text(html, encoding="utf-8")
                files.append(("HTML", p.name))
                written.files.append(p)
            if printer and "pdf" in formats:
                p = out / f"{slug}.pdf"
                printer.snapshot_pdf(snap, p, locality_set=set_label if kind == "locality" else None)
                files.append(("PDF", p.name))
                written.files.append(p)
            if printer and "png" in formats:
                p = out / f"{slug}.png"
                printer.png(html, p)
                files.append(("PNG", p.name))
                written.files.append(p)
            if "png" in formats and snap.map is not None:
                p = out / f"{slug}-map.png"
                p.write_bytes(snap.map.png)
                files.append(("map PNG", p.name))
                written.files.append(p)
            cp = next((r for r in snap.headline if r.label.startswith("Child poverty")), None)
            ch = next((r for r in snap.headline if r.label == "Children aged 0\u201315"), None)
            entries.append({"name": snap.name + (" (whole LA)" if kind == "la" else ""), "n_wards": len(snap.ward_codes),
                            "children": ch.value if ch else "", "child_poverty": cp.value if cp else "",
                            "cmp": cp.eng_cmp if cp else C.F.Comparison("", "none"), "files": files})
            if advance:
                advance(name)
    finally:
        if printer:
            printer.__exit__(None, None, None)
    title = "Locality snapshots" + (f": {localities.name}" if localities else "") + \
        (f" ({la_name})" if la_name else "")
    written.index.write_text(render_index(title, entries, dt.date.today().isoformat(), CAVEAT),
                             encoding="utf-8")
    written.files.append(written.index)
    return written


def _write_wales(con: duckdb.DuckDBPyConnection, la: tuple[str, str], out: Path,
                 formats: Sequence[str], advance: Callable[[str], None] | None) -> Written:
    """A Welsh LA's snapshot, compared with the LA and Wales (:mod:`needsmap.snapshot.wales`)."""
    from needsmap.index.wales import CAVEAT_WALES

    code, name = la
    written = Written(index=out / "index.html")
    written.files.extend(W.write(con, code, out, formats))
    if advance:
        advance(name)
    entries = [{"name": f"{name} (whole LA, Wales)", "n_wards": None, "children": "",
                "child_poverty": "", "cmp": C.F.Comparison("", "none"),
                "files": [(p.suffix.lstrip(".").upper(), p.name) for p in written.files]}]
    written.index.write_text(render_index(f"Local authority snapshot ({name}, Wales)", entries,
                                          dt.date.today().isoformat(), CAVEAT_WALES),
                             encoding="utf-8")
    written.files.append(written.index)
    return written

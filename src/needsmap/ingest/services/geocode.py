"""Turn source rows into located *candidates*: one shape for every service source.

Every service parser returns a frame with :data:`CANDIDATE_COLUMNS`; ``row`` is
the 1-based data row of the input file (the header is row 0), so a rejection
can name it. The helpers here are vectorised and record each rejected row in
the file's :class:`~needsmap.ingest.report.FileReport`:

* :func:`geocode_postcodes` -- postcode -> easting/northing from Code-Point Open.
* :func:`needsmap.crs.bng_from_lonlat` / :func:`~needsmap.crs.lonlat_from_bng`
  -- EPSG:4326 <-> EPSG:27700 with pyproj (offline grid-free transform, about 2 m;
  ``PROJ_NETWORK`` off).
* :func:`reject_outside_gb` -- coordinates outside the British National Grid
  extent.
* :func:`reject_duplicates` -- the second and later copies of a row.

Which LSOA (and so ward and LAD) a candidate is in is decided afterwards by
point-in-polygon in SQL (``queries/services_locate.sql``), never from a code
column of the source.
"""

from __future__ import annotations

import pandas as pd

from needsmap.ingest.codepoint import (
    COUNTRY_NAMES,
    ENGLAND,
    PostcodeIndex,
    normalise_postcodes,
    valid_postcode_mask,
)
from needsmap.ingest.report import FileReport

#: Postcode areas outside Code-Point Open's Great Britain coverage.
NON_GB_AREAS = {"BT": "Northern Ireland", "GY": "Guernsey", "JE": "Jersey", "IM": "Isle of Man"}

CANDIDATE_COLUMNS = ["row", "name", "type", "source_ref", "source_category", "postcode",
                     "easting", "northing", "geocode", "pupils"]

ZERO_WIDTH = "[\u200b\u200c\u200d\u2060\ufeff]"

#: British National Grid extent (metres) used for sanity checks.
BNG_BOUNDS = (0.0, 0.0, 700_000.0, 1_300_000.0)

def empty_candidates() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("easting", "northing") else object)
                         for c in CANDIDATE_COLUMNS})


def candidates(df: pd.DataFrame, *, name: object, type: object, source_ref: object,
               source_category: object, postcode: object = None, geocode: object = None,
               pupils: object = pd.NA) -> pd.DataFrame:
    """Build a parser's :data:`CANDIDATE_COLUMNS` frame from its kept rows ``df``.

    ``row``, ``easting`` and ``northing`` come from ``df``; every other column is
    given as a Series aligned to ``df`` or as one value for all rows.
    """
    def val(v: object) -> object:
        return v.to_numpy() if isinstance(v, pd.Series) else v

    out = empty_candidates().reindex(range(len(df)))
    out["row"] = df["row"].to_numpy()
    out["name"] = val(name)
    out["type"] = val(type)
    out["source_ref"] = val(source_ref)
    out["source_category"] = val(source_category)
    out["postcode"] = val(postcode)
    out["easting"] = df["easting"].to_numpy(dtype="float64")
    out["northing"] = df["northing"].to_numpy(dtype="float64")
    out["geocode"] = val(geocode)
    out["pupils"] = val(pupils)
    return out


def raw_text(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    """Comma-joined text of ``cols`` for the load report's ``raw`` column."""
    out = df[cols[0]].astype("string").fillna("")
    for c in cols[1:]:
        out = out + "," + df[c].astype("string").fillna("")
    return out


def reject(fr: FileReport, df: pd.DataFrame, mask: pd.Series, reason: str | pd.Series,
           column: str | None, raw: pd.Series) -> pd.DataFrame:
    """Record rows of ``df`` where ``mask`` as rejected; return the remaining rows.

    ``reason`` may be one string or a Series aligned with ``df`` (one reason per row).
    """
    mask = mask.fillna(False).astype(bool)
    if mask.any():
        reasons = reason[mask] if isinstance(reason, pd.Series) else pd.Series(reason, index=df.index[mask])
        from needsmap.escape import escape_cell

        idx = mask.index[mask]
        for r, why, text in zip(df.loc[idx, "row"].tolist(), reasons.loc[idx].tolist(),
                                raw.loc[idx].tolist(), strict=True):
            fr.reject(int(r), column, str(why), escape_cell(str(text)[:500]))
    return df.loc[~mask]


def geocode_postcodes(df: pd.DataFrame, fr: FileReport, postcodes: PostcodeIndex,
                      raw: pd.Series, column: str = "postcode",
                      only: pd.Series | None = None) -> pd.DataFrame:
    """Fill ``easting``/``northing`` from Code-Point Open for rows selected by ``only``.

    Rejects, with reasons, rows whose postcode is blank, badly formed, not in
    Code-Point Open, without coordinates (positional quality 90) or outside
    England. Sets ``geocode='postcode'`` on the located rows and stores the
    normalised postcode.
    """
    sel = pd.Series(True, index=df.index) if only is None else only.reindex(df.index).fillna(False)
    pc = normalise_postcodes(df[column])
    df = df.assign(postcode=pc.astype(object).where(pc.notna(), None))
    blank = sel & pc.isna()
    df = reject(fr, df, blank, "missing coordinates: no postcode (and no latitude/longitude "
                "or easting/northing)", column, raw)
    sel, pc = sel[df.index], pc[df.index]
    bad = sel & ~valid_postcode_mask(pc)
    df = reject(fr, df, bad, "postcode not valid (not the shape of a UK postcode)", column, raw)
    sel, pc = sel[df.index], pc[df.index]
    hit = postcodes.lookup(pc.where(sel))
    vintage = f" {postcodes.vintage}" if postcodes.vintage else ""
    area = pc.str.extract(r"^([A-Z]{1,2})", expand=False)
    non_gb = sel & ~hit["found"] & area.isin(list(NON_GB_AREAS))
    why = ("point outside England (" + area.map(NON_GB_AREAS).fillna("") + " postcode; "
           "Code-Point Open covers Great Britain only)")
    df = reject(fr, df, non_gb, why, column, raw)
    sel, pc, hit = sel[df.index], pc[df.index], hit.loc[df.index]
    missing = sel & ~hit["found"]
    sector_country = postcodes.sector_country(pc.where(missing))
    kept = list(getattr(postcodes, "countries", (ENGLAND,)))
    where = " and ".join(COUNTRY_NAMES.get(c, c) for c in kept)
    elsewhere = missing & sector_country.notna() & ~sector_country.isin(kept)
    why = (f"point outside {where} (postcode not in Code-Point Open" + vintage + "; its sector "
           + pc.str.slice(0, -2) + " is in " + sector_country.map(COUNTRY_NAMES).fillna("?") + ")")
    df = reject(fr, df, elsewhere, why, column, raw)
    sel, hit = sel[df.index], hit.loc[df.index]
    df = reject(fr, df, sel & ~hit["found"],
                f"postcode not found in Code-Point Open{vintage} (terminated or mistyped)",
                column, raw)
    sel, hit = sel[df.index], hit.loc[df.index]
    df = reject(fr, df, sel & hit["easting"].isna(),
                "missing coordinates: postcode has no grid reference in Code-Point Open "
                "(positional quality 90)", column, raw)
    sel, hit = sel[df.index], hit.loc[df.index]
    country = hit["country_code"]
    outside = sel & ~country.isin(kept)
    why = f"point outside {where} (postcode in " + country.map(COUNTRY_NAMES).fillna(country.astype(str)) + ")"
    df = reject(fr, df, outside, why, column, raw)
    sel, hit = sel[df.index], hit.loc[df.index]
    df = df.copy()
    df.loc[sel, "easting"] = hit.loc[sel, "easting"]
    df.loc[sel, "northing"] = hit.loc[sel, "northing"]
    df.loc[sel, "geocode"] = "postcode"
    return df


def reject_outside_gb(df: pd.DataFrame, fr: FileReport, raw: pd.Series,
                      column: str = "easting") -> pd.DataFrame:
    """Reject rows whose easting/northing lie outside the British National Grid extent."""
    x0, y0, x1, y1 = BNG_BOUNDS
    e, n = df["easting"].astype("float64"), df["northing"].astype("float64")
    bad = e.notna() & ~((e >= x0) & (e <= x1) & (n >= y0) & (n <= y1))
    return reject(fr, df, bad, "point outside England (coordinates outside Great Britain)",
                  column, raw)


def reject_duplicates(df: pd.DataFrame, fr: FileReport, keys: list[str], raw: pd.Series,
                      what: str) -> pd.DataFrame:
    """Reject every row that repeats an earlier row's ``keys`` (the first copy is kept)."""
    if df.empty:
        return df
    norm = df[keys].astype("string").apply(
        lambda s: s.str.replace(ZERO_WIDTH, "", regex=True).str.strip().str.upper()).fillna("")
    dup = norm.duplicated(keep="first")
    if not dup.any():
        return df
    first_row = df.groupby([norm[k] for k in keys], sort=False)["row"].transform("first")
    why = "duplicate row: same " + what + " as row " + first_row.astype(int).astype(str)
    return reject(fr, df, dup, why, None, raw)

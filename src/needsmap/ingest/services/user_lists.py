"""Users' own service lists (family hubs, children's centres, youth services, ...).

A CSV with a header row and the columns (see ``geodata/service_template.csv``
and ``docs/services.md``):

``name`` (required), ``type`` (required; one of
:data:`needsmap.ingest.services.vocab.SERVICE_TYPES`), and a location given by
``easting``/``northing`` (EPSG:27700 metres) **or** ``latitude``/``longitude``
(WGS84 degrees) **or** ``postcode``. When a row gives more than one, the first
complete one in that order wins (explicit coordinates are more precise than a
postcode centroid). Header names are case-insensitive; ``lat``, ``lon``,
``lng``, ``long``, ``x``/``y`` are not guessed except the listed
:data:`HEADER_ALIASES`. Other columns are ignored and named in the load-report
note.

Parsing is strict: the text must be UTF-8 (a BOM is allowed; Windows-1252 is
accepted as a fallback and noted), quoting must be well formed, the header must
not repeat a column, and every row is either kept or rejected with its row
number, column and reason: wrong field count, blank row, missing name,
formula-like text (a cell starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return: OWASP CSV injection), unknown type (the reason lists the valid
types), unparseable or non-finite numbers, incomplete coordinate pairs,
swapped latitude/longitude, coordinates outside Great Britain, postcode
failures (see :func:`~needsmap.ingest.services.geocode.geocode_postcodes`), and
duplicates (same name, type and location as an earlier row). File-level
problems raise :class:`~needsmap.ingest.report.InputError`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from needsmap.crs import bng_from_lonlat
from needsmap.escape import FORMULA_PREFIXES
from needsmap.ingest.codepoint import PostcodeIndex
from needsmap.ingest.csvio import delimiter_hint, read_csv_table
from needsmap.ingest.report import FileReport, InputError
from needsmap.ingest.services.geocode import (
    BNG_BOUNDS,
    candidates,
    geocode_postcodes,
    reject,
    reject_duplicates,
)
from needsmap.ingest.services.vocab import SERVICE_TYPES, normalise_type, unknown_type_reason

HEADER_ALIASES = {
    "service_name": "name", "service": "name", "service_type": "type", "category": "type",
    "post_code": "postcode", "lat": "latitude", "lon": "longitude", "lng": "longitude",
    "long": "longitude", "east": "easting", "north": "northing",
}
LOCATION_COLUMNS = ("postcode", "latitude", "longitude", "easting", "northing")
MAX_NAME = 200
#: WGS84 box around Great Britain (degrees).
GB_LONLAT = (-8.7, 49.8, 1.8, 60.9)


def _header_key(h: str) -> str:
    k = "_".join(h.strip().lower().replace("-", " ").replace("/", " ").split())
    return HEADER_ALIASES.get(k, k)


def _num(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse numbers; return (values, bad mask) where bad = given but not a finite number."""
    txt = s.fillna("").str.strip()
    val = pd.to_numeric(txt.where(txt != ""), errors="coerce")
    bad = (txt != "") & (val.isna() | ~np.isfinite(val.fillna(0.0)))
    return val.where(~bad), bad


def parse_service_table(table: pd.DataFrame, fr: FileReport, postcodes: PostcodeIndex | None,
                        default_type: str | None = None,
                        label: str = "user list") -> pd.DataFrame:
    """Validate a read list (``row`` + text columns, from the CSV reader) into candidates."""
    cols = [c for c in table.columns if c != "row"]
    needed = {"name"} | (set() if default_type else {"type"})
    missing = sorted(needed - set(cols))
    if missing:
        raise InputError(label, f"missing required column(s) {missing}; the template is "
                         "name,type,postcode,latitude,longitude,easting,northing"
                         + delimiter_hint(cols), row=0)
    has_pc = "postcode" in cols
    has_ll = {"latitude", "longitude"} <= set(cols)
    has_en = {"easting", "northing"} <= set(cols)
    if not (has_pc or has_ll or has_en):
        raise InputError(label, "no location columns: give postcode, latitude and longitude, "
                         "or easting and northing", row=0)
    ignored = [c for c in cols if c and c not in {"name", "type", *LOCATION_COLUMNS}]
    if ignored:
        fr.note = (fr.note + "; " if fr.note else "") + "ignored columns: " + ", ".join(ignored)
    body = table[[c for c in cols if c]]
    raw = body.fillna("").astype(str).agg(",".join, axis=1) if len(body) else \
        pd.Series(dtype=object)
    df = pd.concat([table[["row"]], body.add_prefix("in_")], axis=1)

    def col(name: str) -> pd.Series:
        c = f"in_{name}"
        return df[c].astype(object) if c in df.columns else pd.Series(None, index=df.index, dtype=object)

    # formula-like text in any kept text cell
    for c in ["name", "type", "postcode"]:
        s = col(c).fillna("")
        starts = s.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_PREFIXES))
        first = s.str.slice(0, 1).map(repr)
        df = reject(fr, df, starts, f"formula-like text in {c} (starts with " + first
                    + "); not loaded (CSV injection)", c, raw)
        raw = raw.loc[df.index]
    name = col("name").fillna("").str.strip()
    df = reject(fr, df, name == "", "missing name", "name", raw)
    raw, name = raw.loc[df.index], name.loc[df.index]
    ctrl = name.str.contains(r"[\x00-\x1f\x7f]", regex=True)
    df = reject(fr, df, ctrl, "name contains control characters", "name", raw)
    raw, name = raw.loc[df.index], name.loc[df.index]
    df = reject(fr, df, name.str.len() > MAX_NAME, f"name longer than {MAX_NAME} characters",
                "name", raw)
    raw, name = raw.loc[df.index], name.loc[df.index]
    ttext = col("type").fillna("").str.strip()
    if default_type:
        ttext = ttext.where(ttext != "", default_type)
    stype = ttext.map(normalise_type)
    why = ttext.map(lambda t: "missing type; valid types: " + ", ".join(SERVICE_TYPES)
                    if t == "" else unknown_type_reason(t))
    df = reject(fr, df, stype.isna(), why, "type", raw)
    raw, name, stype = raw.loc[df.index], name.loc[df.index], stype.loc[df.index]

    e, e_bad = _num(col("easting"))
    n, n_bad = _num(col("northing"))
    lat, lat_bad = _num(col("latitude"))
    lon, lon_bad = _num(col("longitude"))
    for bad, c in ((e_bad, "easting"), (n_bad, "northing"), (lat_bad, "latitude"),
                   (lon_bad, "longitude")):
        df = reject(fr, df, bad.loc[df.index], f"{c} is not a number", c, raw)
        raw = raw.loc[df.index]
    idx = df.index
    e, n, lat, lon = e.loc[idx], n.loc[idx], lat.loc[idx], lon.loc[idx]
    pc_given = col("postcode").fillna("").str.strip() != ""
    for a, b, an, bn in ((e, n, "easting", "northing"), (lat, lon, "latitude", "longitude")):
        half = a.notna() ^ b.notna()
        col_at = pd.Series(np.where(a.isna(), an, bn), index=a.index)
        why = ("missing coordinates: " + np.where(a.isna(), bn, an).astype(object)
               + " given without " + col_at.astype(object))
        # an incomplete pair is only an error if no other complete location is given
        other = (pc_given | (lat.notna() & lon.notna())) if an == "easting" else \
            (pc_given | (e.notna() & n.notna()))
        mask = half & ~other
        df = reject(fr, df, mask, pd.Series(why, index=a.index), an, raw)
        raw = raw.loc[df.index]
        e, n, lat, lon, pc_given = (x.loc[df.index] for x in (e, n, lat, lon, pc_given))
    use_en = e.notna() & n.notna()
    use_ll = ~use_en & lat.notna() & lon.notna()
    use_pc = ~use_en & ~use_ll
    x0, y0, x1, y1 = BNG_BOUNDS
    en_out = use_en & ~((e >= x0) & (e <= x1) & (n >= y0) & (n <= y1))
    df = reject(fr, df, en_out, "point outside England (easting/northing outside Great Britain)",
                "easting", raw)
    raw = raw.loc[df.index]
    e, n, lat, lon, use_en, use_ll, use_pc = (x.loc[df.index] for x in
                                              (e, n, lat, lon, use_en, use_ll, use_pc))
    lo0, la0, lo1, la1 = GB_LONLAT
    inside = (lon >= lo0) & (lon <= lo1) & (lat >= la0) & (lat <= la1)
    swapped = (lat >= lo0) & (lat <= lo1) & (lon >= la0) & (lon <= la1)
    df = reject(fr, df, use_ll & ~inside & swapped,
                "latitude and longitude look swapped (latitude must be about 50-61, "
                "longitude about -8 to 2)", "latitude", raw)
    raw = raw.loc[df.index]
    e, n, lat, lon, use_en, use_ll, use_pc, inside = (
        x.loc[df.index] for x in (e, n, lat, lon, use_en, use_ll, use_pc, inside))
    df = reject(fr, df, use_ll & ~inside,
                "point outside England (latitude/longitude outside Great Britain)",
                "latitude", raw)
    raw = raw.loc[df.index]
    e, n, lat, lon, use_en, use_ll, use_pc = (x.loc[df.index] for x in
                                              (e, n, lat, lon, use_en, use_ll, use_pc))
    df = df.assign(name=name.loc[df.index], type=stype.loc[df.index],
                   easting=e.where(use_en), northing=n.where(use_en), geocode=None,
                   postcode=col("postcode").loc[df.index])
    if use_ll.any():
        x, y = bng_from_lonlat(lon[use_ll].to_numpy(), lat[use_ll].to_numpy())
        df.loc[use_ll, "easting"] = x
        df.loc[use_ll, "northing"] = y
    df.loc[use_en, "geocode"] = "user_easting_northing"
    df.loc[use_ll, "geocode"] = "user_latitude_longitude"
    if use_pc.any():
        if postcodes is None:
            df = reject(fr, df, use_pc, "postcode geocoding unavailable (no Code-Point Open "
                        "table); give latitude/longitude or easting/northing", "postcode", raw)
        else:
            df = df.assign(postcode=df["postcode"].fillna(""))
            df = geocode_postcodes(df, fr, postcodes, raw, column="postcode",
                                   only=use_pc.loc[df.index])
        raw = raw.loc[df.index]
    if "postcode" in df.columns:
        from needsmap.ingest.codepoint import normalise_postcodes

        pcn = normalise_postcodes(df["postcode"].fillna("").astype(object))
        df = df.assign(postcode=pcn.astype(object).where(pcn.notna(), None))
    df = df.assign(_e=df["easting"].round(0), _n=df["northing"].round(0))
    df = reject_duplicates(df, fr, ["name", "type", "_e", "_n"], raw, "name, type and location")
    return candidates(df, name=df["name"], type=df["type"], source_ref=df["row"].astype(str),
                      source_category=None, postcode=df["postcode"], geocode=df["geocode"])


def read_service_csv(data: bytes, fr: FileReport, postcodes: PostcodeIndex | None,
                     default_type: str | None = None, label: str = "user list",
                     column_map: dict[str, str] | None = None) -> pd.DataFrame:
    """Read and validate one service list given as bytes.

    Parameters
    ----------
    data
        The file's bytes (never a path: uploads are validated in memory).
    fr
        The file's load report.
    postcodes
        Code-Point lookup; ``None`` rejects rows that only give a postcode.
    default_type
        Type for rows with a blank ``type`` (and makes the column optional), e.g.
        ``"childrens_centre"`` for the Trafford list.
    label
        Name used in messages (a display label, never a path).
    column_map
        Renames of (normalised) source headers, e.g. ``{"pharmacy_name": "name"}``.
    """
    def key(h: str) -> str:
        k = _header_key(h)
        return (column_map or {}).get(k, k)

    table = read_csv_table(data, fr, label=label, header_key=key)
    return parse_service_table(table, fr, postcodes, default_type, label)

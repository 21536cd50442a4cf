"""Search: a postcode, a ward or an LA name -> where it is, its ward and LA, nearby services.

:func:`search` takes what a user types and returns a :class:`SearchResult` whose
``kind`` says what was found:

``postcode``
    A postcode in Code-Point Open (any case and spacing, normalised by
    :func:`needsmap.ingest.codepoint.normalise_postcodes`): its point, the LSOA it
    lies in (point in polygon, with the shore snap of
    :func:`needsmap.areas.locate.lsoa_of_points`), so its ward and LA, and the nearest
    service of each type with its straight-line distance. A Welsh postcode does the
    same in a store with Wales (``lsoa_wales``, issue 21: its Welsh ward and LA);
    a postcode elsewhere (Scotland, Northern Ireland, or Wales in a store built
    without it) gets its point and a message.
``ward`` / ``la``
    One ward or LA matched by name or code (case-insensitive; an exact match wins
    over partial ones): its population-weighted centre and extent, for a map to
    open on. Nearby services are given for postcodes only: for an area, the
    ward's access figures are the honest summary.
``matches``
    Several wards or LAs match; they are listed in ``matches`` for the user to pick.
``not_found``
    Nothing matched. A postcode-shaped text missing from Code-Point Open says so:
    "not found in Code-Point Open <vintage>; terminated postcodes are not included".

``nation`` says whose wards a result is among ("England" or "Wales"), so a view shows
each ward's figures from its own nation's tables, never ranking across the border.
The LSOAs searched are the temporary view ``_search_lsoa`` (``queries/search_places.sql``,
or ``search_places_ew.sql`` in a store with Wales). Every value the user typed is bound
as a query parameter.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import duckdb
import numpy as np
import pandas as pd

from needsmap.crs import lonlat_from_bng
from needsmap.ingest.codepoint import (
    COUNTRY_NAMES,
    ENGLAND,
    WALES,
    normalise_postcodes,
    valid_postcode_mask,
)
from needsmap.ingest.services.vocab import SERVICE_TYPES
from needsmap.sql import query as sql_query
from needsmap.sql import run_sql

KINDS = ("postcode", "ward", "la", "matches", "not_found")
#: At most this many name matches are listed.
MAX_MATCHES = 50

MATCH_COLUMNS = ["kind", "code", "name", "lad_code", "lad_name", "nation", "exact",
                 "in_scope"]
NEAREST_COLUMNS = ["service_type", "type_label", "rank", "name", "distance_km", "postcode",
                   "service_id", "easting", "northing", "lon", "lat", "lad_code",
                   "list_covers_area"]


@dataclass
class SearchResult:
    """What :func:`search` found. ``to_frame()`` gives it as one tidy row."""

    query: str
    kind: str
    message: str
    code: str | None = None  # normalised postcode, ward code or LAD code
    name: str | None = None
    easting: float | None = None
    northing: float | None = None
    lon: float | None = None
    lat: float | None = None
    lsoa_code: str | None = None
    ward_code: str | None = None
    ward_name: str | None = None
    lad_code: str | None = None
    lad_name: str | None = None
    nation: str | None = None  # "England" or "Wales": whose wards the ward/LA is among
    in_scope: bool | None = None  # the LA is one the store was built for
    bounds: tuple[float, float, float, float] | None = None  # xmin, ymin, xmax, ymax (m)
    matches: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=MATCH_COLUMNS))
    nearest: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=NEAREST_COLUMNS))

    def to_frame(self) -> pd.DataFrame:
        row = {k: v for k, v in asdict(self).items() if k not in ("matches", "nearest", "bounds")}
        return pd.DataFrame([row])


def _vintage(con: duckdb.DuckDBPyConnection) -> str:
    try:
        row = con.execute("SELECT vintage FROM source WHERE source_id = 'codepoint_open'").fetchone()
    except duckdb.Error:
        return ""
    return str(row[0]) if row and row[0] else ""


def _lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = lonlat_from_bng(np.array([x], dtype="float64"), np.array([y], dtype="float64"))
    return float(lon[0]), float(lat[0])


def _in_scope(con: duckdb.DuckDBPyConnection, lad_code: str | None) -> bool | None:
    if lad_code is None:
        return None
    return bool(con.execute("SELECT count(*) FROM scope_lad WHERE lad_code = ?",
                            [lad_code]).fetchone()[0])


def _places(con: duckdb.DuckDBPyConnection) -> bool:
    """Create the temporary view ``_search_lsoa`` on ``con``; True if it holds Welsh LSOAs."""
    from needsmap.areas.locate import has_wales

    wales = has_wales(con)
    run_sql(con, "search_places_ew" if wales else "search_places")
    alt = bool(run_sql(con, "store_has_table", {"name": "lad_name_wales"}).fetchone()[0])
    run_sql(con, "search_alt_names" if alt else "search_alt_none")
    return wales


def nearest_services(con: duckdb.DuckDBPyConnection, easting: float, northing: float,
                     lad_code: str | None = None, k: int = 1) -> pd.DataFrame:
    """The ``k`` nearest services of each type to a point (straight-line km), in vocabulary order.

    ``list_covers_area`` is false where the type's list does not cover ``lad_code``
    (a local list kept by another area).
    """
    df = sql_query(con, "search_nearest", {"x": float(easting), "y": float(northing), "k": int(k),
                                       "lad_code": lad_code}).df()
    order = {t: i for i, t in enumerate(SERVICE_TYPES)}
    df["type_label"] = df["service_type"].map(SERVICE_TYPES).fillna(df["service_type"])
    df = df.sort_values(["service_type", "rank"], key=lambda s: s.map(order).fillna(99)
                        if s.name == "service_type" else s, kind="stable")
    return df.reindex(columns=NEAREST_COLUMNS).reset_index(drop=True)


def _search_postcode(con: duckdb.DuckDBPyConnection, query: str, pc: str, k: int) -> SearchResult:
    from needsmap.areas.locate import lsoa_of_points

    row = con.execute("SELECT easting, northing, country_code FROM postcode WHERE postcode = ?",
                      [pc]).fetchone()
    vintage = _vintage(con)
    if row is None:
        return SearchResult(query, "not_found", f"{pc} not found in Code-Point Open "
                            f"{vintage}; terminated postcodes are not included".replace("  ", " "),
                            code=pc)
    e, n, country = row
    if e is None or n is None:
        return SearchResult(query, "not_found", f"{pc} is in Code-Point Open {vintage} but has no "
                            "coordinates (positional quality 90), so it cannot be placed", code=pc)
    e, n = float(e), float(n)
    lon, lat = _lonlat(e, n)
    res = SearchResult(query, "postcode", "", code=pc, name=pc, easting=e, northing=n, lon=lon,
                       lat=lat)
    wales = _places(con)
    if country not in (ENGLAND, WALES) or (country == WALES and not wales):
        res.message = (f"{pc} is in {COUNTRY_NAMES.get(country, country)}; the search finds "
                       + ("English and Welsh wards only" if wales else "English wards only")
                       + ("; choose a Welsh local authority (or All Wales) in the area list"
                          if country == WALES else ""))
        return res
    loc = lsoa_of_points(con, np.array([e]), np.array([n]))
    lsoa = loc["lsoa_code"].iloc[0]
    if not isinstance(lsoa, str):
        res.message = (f"{pc} is not inside (or within reach of) an "
                       + ("English or Welsh LSOA" if wales else "English LSOA"))
        return res
    names = sql_query(con, "search_lsoa", {"lsoa": lsoa}).fetchone()
    res.lsoa_code = lsoa
    res.ward_code, res.ward_name, res.lad_code, res.lad_name, res.nation = names
    res.in_scope = _in_scope(con, res.lad_code)
    res.nearest = nearest_services(con, e, n, res.lad_code, k)
    res.message = f"{pc} is in {res.ward_name} ward, {res.lad_name}"
    if not res.in_scope:
        res.message += " (outside the area this store was built for)"
    return res


def _search_names(con: duckdb.DuckDBPyConnection, query: str, text: str) -> SearchResult:
    _places(con)
    m = sql_query(con, "search_names", {"text": text}).df()
    if m.empty:
        if re.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]?", text.upper().replace(" ", "")):
            return SearchResult(query, "not_found", f"{text!r} looks like the first half of a "
                                "postcode; type the whole postcode (e.g. FY1 1AN)")
        return SearchResult(query, "not_found", f"no postcode, ward or local authority matches "
                            f"{text!r}")
    exact = m[m["exact"]]
    pick = None
    if (exact["kind"] == "la").sum() == 1:
        pick = exact[exact["kind"] == "la"].iloc[0]
    elif len(exact) == 1:
        pick = exact.iloc[0]
    elif exact.empty and len(m) == 1:
        pick = m.iloc[0]
    shown = m.head(MAX_MATCHES).reset_index(drop=True)
    if pick is None:
        more = f" (first {MAX_MATCHES} shown)" if len(m) > MAX_MATCHES else ""
        return SearchResult(query, "matches", f"{len(m)} wards or local authorities match "
                            f"{text!r}{more}; pick one", matches=shown)
    a = sql_query(con, "search_area", {"kind": pick["kind"], "code": pick["code"]}).fetchone()
    x, y, xmin, ymin, xmax, ymax, ward_name, lad_code, lad_name, nation = a
    lon, lat = _lonlat(x, y)
    res = SearchResult(query, pick["kind"], "", code=pick["code"], name=pick["name"],
                       easting=float(x), northing=float(y), lon=lon, lat=lat,
                       ward_code=pick["code"] if pick["kind"] == "ward" else None,
                       ward_name=ward_name, lad_code=lad_code, lad_name=lad_name, nation=nation,
                       in_scope=bool(pick["in_scope"]), bounds=(xmin, ymin, xmax, ymax),
                       matches=shown)
    what = f"{pick['name']} ward, {lad_name}" if pick["kind"] == "ward" else str(pick["name"])
    res.message = what + ("" if res.in_scope else
                          " (outside the area this store was built for)")
    if len(m) > 1:
        res.message += f"; {len(m) - 1} other match(es) listed"
    return res


def search(con: duckdb.DuckDBPyConnection, text: str, k: int = 1) -> SearchResult:
    """Find a postcode, ward or LA from what a user typed.

    Parameters
    ----------
    con
        Open store (read-only is fine; needs the spatial extension for postcodes).
    text
        A postcode in any case and spacing (``fy11an``, `` FY1  1AN ``), or a ward
        or LA name or code (case-insensitive; partial names list the matches).
    k
        Nearest services of each type to list for a postcode.

    Returns
    -------
    SearchResult
        ``kind`` is one of :data:`KINDS`; ``message`` says what was found in words.
    """
    query = str(text or "")
    clean = " ".join(query.split())
    if not clean:
        return SearchResult(query, "not_found", "type a postcode, a ward or a local authority")
    if len(clean) > 100:
        return SearchResult(query, "not_found", "that is too long for a postcode or a place name")
    pc = normalise_postcodes(pd.Series([clean])).iloc[0]
    if isinstance(pc, str) and bool(valid_postcode_mask(pd.Series([pc])).iloc[0]):
        return _search_postcode(con, query, pc, k)
    return _search_names(con, query, clean)


__all__ = ["KINDS", "SearchResult", "nearest_services", "search"]

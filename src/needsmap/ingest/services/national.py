"""The two national lists of early-help sites the mirror lacks: family hubs and children's centres.

* **DfE list of family hub sites** (``family_hubs``): one row per site, geocoded by
  postcode (the list has no coordinates). Columns are found by name, case and
  spacing aside: ``Family_Hub`` (the site's name; also ``Family hub``),
  ``Local_Authority``, ``Postcode`` (``Region`` ignored). Every row is a ``family_hub``.
* **GIAS open children's centres** (``gias_childrens_centres``, the
  ``edubaseallchildrencentre*.csv`` of the GIAS Downloads page): ``EstablishmentName``,
  ``Postcode`` and, where present, ``URN``, ``EstablishmentStatus (name)`` (rows not open
  are rejected), ``TypeOfEstablishment (name)`` and ``Easting``/``Northing`` (used before
  the postcode). Every row kept is a ``childrens_centre``; its ``source_category`` is its
  GIAS type. UTF-8 or Windows-1252 (:mod:`needsmap.ingest.csvio`). ``needsmap fetch``
  gets it from GIAS's Downloads form (:mod:`needsmap.sources.gias_extract`).

  **Linked sites are kept.** A "Children's centre linked site" is a further place where
  a children's centre offers its services to families (GIAS gives it its own URN and
  address); for the distance a family travels to early help it is a place they can go,
  so it counts as a ``childrens_centre`` like the main site. ``source_category`` ("...
  linked site") tells the two apart. A row of any other type (a school, say, in a file
  saved under this name by mistake) is rejected with its type, so it never becomes a
  children's centre.

Both are read with the one strict CSV reader; every row is kept or rejected with a
reason (no name, a postcode that cannot be placed, a duplicate, a site not open).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from needsmap.ingest.codepoint import PostcodeIndex
from needsmap.ingest.csvio import finite_number, read_csv_table
from needsmap.ingest.report import FileReport, InputError
from needsmap.ingest.services.geocode import (
    candidates,
    geocode_postcodes,
    raw_text,
    reject,
    reject_duplicates,
    reject_outside_gb,
)


def _key(h: str) -> str:
    return "".join(ch for ch in h.strip().lower() if ch.isalnum())


def _pick(cols: list[str], *names: str) -> str | None:
    keys = {_key(c): c for c in cols}
    return next((keys[_key(n)] for n in names if _key(n) in keys), None)


def _need(path: str | os.PathLike[str], cols: list[str], what: str, **wanted: tuple[str, ...]
          ) -> dict[str, str]:
    out, missing = {}, []
    for role, names in wanted.items():
        c = _pick(cols, *names)
        if c is None:
            missing.append(names[0])
        else:
            out[role] = c
    if missing:
        raise InputError(str(path), f"not the {what} layout: no column {missing}; found "
                         f"{cols}", row=0, column=missing[0])
    return out


def read_family_hubs(path: str | os.PathLike[str], fr: FileReport,
                     postcodes: PostcodeIndex) -> pd.DataFrame:
    """Parse the DfE list of family hub sites into geocoded ``family_hub`` candidates."""
    df = read_csv_table(path, fr, what="family hub list")
    cols = [c for c in df.columns if c != "row"]
    c = _need(path, cols, "DfE family hub list", name=("Family_Hub", "Family hub", "Name"),
              postcode=("Postcode", "Post code"))
    la = _pick(cols, "Local_Authority", "Local authority", "LA")
    df = df.rename(columns={c["name"]: "_name", c["postcode"]: "_postcode"})
    df["_la"] = df[la] if la else None
    raw = raw_text(df, ["_la", "_name", "_postcode"])
    name = df["_name"].fillna("").str.strip()
    df = reject(fr, df, name == "", "no family hub name", c["name"], raw)
    df = reject_duplicates(df.assign(_pc=df["_postcode"].fillna("").str.upper()
                                     .str.replace(r"\s+", "", regex=True)),
                           fr, ["_la", "_name", "_pc"], raw, "local authority, name and postcode")
    df = df.assign(easting=np.nan, northing=np.nan, geocode=None)
    df = geocode_postcodes(df, fr, postcodes, raw, column="_postcode")
    ref = df["_la"].fillna("").astype(str) + ": " + df["_name"].str.strip()
    return candidates(df, name=df["_name"].str.strip(), type="family_hub", source_ref=ref,
                      source_category="DfE list of family hub sites", postcode=df["postcode"],
                      geocode=df["geocode"])


def is_childrens_centre_type(name: str) -> bool:
    """True for GIAS's "Children's centre" and "Children's centre linked site" (any apostrophe)."""
    return _key(name).startswith("childrenscentre")


def read_gias_childrens_centres(path: str | os.PathLike[str], fr: FileReport,
                                postcodes: PostcodeIndex) -> pd.DataFrame:
    """Parse a GIAS children's centres extract into ``childrens_centre`` candidates."""
    df = read_csv_table(path, fr, what="GIAS children's centres")
    cols = [c for c in df.columns if c != "row"]
    c = _need(path, cols, "GIAS children's centres", name=("EstablishmentName",),
              postcode=("Postcode",))
    urn = _pick(cols, "URN")
    status = _pick(cols, "EstablishmentStatus (name)")
    etype = _pick(cols, "TypeOfEstablishment (name)")
    east, north = _pick(cols, "Easting"), _pick(cols, "Northing")
    df = df.rename(columns={c["name"]: "_name", c["postcode"]: "_postcode"})
    raw = raw_text(df, [x for x in (urn, "_name", "_postcode", status) if x])
    name = df["_name"].fillna("").str.strip()
    df = reject(fr, df, name == "", "no children's centre name", c["name"], raw)
    if status:
        st = df[status].fillna("").str.strip()
        df = reject(fr, df, ~st.str.lower().str.startswith("open"),
                    "not open (status " + st.where(st != "", "blank") + ")", status, raw)
    if etype:
        t = df[etype].fillna("").str.strip()
        df = reject(fr, df, ~t.map(is_childrens_centre_type),
                    "not a children's centre (type " + t.where(t != "", "blank") + ")", etype, raw)
    df = reject_duplicates(df, fr, [urn] if urn else ["_name", "_postcode"], raw,
                           "URN" if urn else "name and postcode")
    e = finite_number(df[east]) if east else pd.Series(np.nan, index=df.index)
    n = finite_number(df[north]) if north else pd.Series(np.nan, index=df.index)
    has_xy = e.notna() & n.notna() & ~((e == 0) & (n == 0))
    df = df.assign(easting=e.where(has_xy), northing=n.where(has_xy),
                   geocode=np.where(has_xy, "source_easting_northing", None))
    df = reject_outside_gb(df, fr, raw)
    df = geocode_postcodes(df, fr, postcodes, raw, column="_postcode",
                           only=df["easting"].isna())
    ref = df[urn].astype(str) if urn else df["_name"].str.strip() + " (" + df["postcode"].fillna("") + ")"
    cat = (df[etype].fillna("Children's centre") if etype else "Children's centre")
    return candidates(df, name=df["_name"].str.strip(), type="childrens_centre", source_ref=ref,
                      source_category=cat, postcode=df["postcode"], geocode=df["geocode"])

"""Libraries Hacked public libraries (the ``libraries`` schema).

One row per library in the UK with ``Local authority``, ``Library name``,
``Postcode``, ``Type of library`` (LAL local authority run, LAL- LA run
unstaffed, CRL community run, CL commissioned, ICL independent community) and
``Year closed``. Every type maps to ``library``. Rejected with reasons: closed
libraries (a ``Year closed``), repeated rows (same authority, name and
postcode), unknown library types, and the postcode failures of
:func:`~needsmap.ingest.services.geocode.geocode_postcodes` (Scottish, Welsh and Northern
Irish libraries fall out as "point outside England").
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from needsmap.ingest.codepoint import PostcodeIndex
from needsmap.ingest.csvio import read_csv_table
from needsmap.ingest.report import FileReport
from needsmap.ingest.services.geocode import (
    candidates,
    geocode_postcodes,
    raw_text,
    reject,
    reject_duplicates,
)

REQUIRED = ["Local authority", "Library name", "Postcode", "Type of library", "Year closed"]
LIBRARY_TYPES = {"LAL": "local authority run", "LAL-": "local authority run, unstaffed",
                 "CRL": "community run", "CL": "commissioned", "ICL": "independent community"}


def read_libraries(path: str | os.PathLike[str], fr: FileReport,
                   postcodes: PostcodeIndex) -> pd.DataFrame:
    """Parse ``libraries.csv`` into geocoded open-library candidates."""
    df = read_csv_table(path, fr, required=REQUIRED, what="Libraries Hacked")
    raw = raw_text(df, ["Local authority", "Library name", "Postcode", "Type of library",
                        "Year closed"])
    closed = df["Year closed"].fillna("").str.strip()
    df = reject(fr, df, closed != "", "closed (year closed " + closed + ")", "Year closed", raw)
    ltype = df["Type of library"].fillna("").str.strip()
    df = reject(fr, df, ~ltype.isin(list(LIBRARY_TYPES)),
                "unknown library type " + ltype + "; valid: " + ", ".join(LIBRARY_TYPES),
                "Type of library", raw)
    df = df.assign(_pc=df["Postcode"].fillna("").str.upper().str.replace(r"\s+", "", regex=True))
    df = reject_duplicates(df, fr, ["Local authority", "Library name", "_pc"], raw,
                           "authority, library name and postcode")
    df = df.assign(easting=np.nan, northing=np.nan, geocode=None)
    df = geocode_postcodes(df, fr, postcodes, raw, column="Postcode")
    return candidates(
        df, name=df["Library name"].fillna("").str.strip(), type="library",
        source_ref=(df["Local authority"].fillna("") + ": " + df["Library name"].fillna("")
                    + " (" + df["postcode"].fillna("") + ")"),
        source_category=df["Type of library"].map(LIBRARY_TYPES),
        postcode=df["postcode"], geocode=df["geocode"])

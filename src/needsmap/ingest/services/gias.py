"""DfE Get Information about Schools (GIAS): open establishments.

The mirror's extract (``services/gias_open_establishments_20250524.csv``) has
one row per open establishment in England and Wales with ``urn``,
``establishment_name``, ``establishment_type``, ``establishment_type_group``,
``education_phase``, ``number_of_pupils`` and ``easting``/``northing`` (BNG).
Service types come from :func:`needsmap.ingest.services.vocab.gias_type`. Where the file
has GIAS's nursery provision column (:data:`NURSERY_COLUMNS`), a school that "Has Nursery
Classes" is a ``nursery`` too (recorded once per type, as an all-through school is); the
mirror's extract has no such column, so there only nursery schools are.

Rejected, each with a reason: establishments whose type is not mapped
(independent schools, universities, online, overseas/offshore and Welsh
establishments), rows without easting/northing (this extract has no postcode,
so they cannot be geocoded), duplicate URNs, and -- later, by point-in-polygon
-- points outside England. The ``lsoa_code`` column of the file is ignored.
"""

from __future__ import annotations

import os

import pandas as pd

from needsmap.ingest.csvio import finite_number, read_csv_table
from needsmap.ingest.report import FileReport
from needsmap.ingest.services.geocode import (
    candidates,
    raw_text,
    reject,
    reject_duplicates,
    reject_outside_gb,
)
from needsmap.ingest.services.vocab import gias_type, with_nursery_classes

#: GIAS's nursery provision column, as the mirror's extract would name it and as GIAS does.
NURSERY_COLUMNS = ("nursery_provision", "NurseryProvision (name)")

REQUIRED = ["urn", "establishment_name", "establishment_type", "establishment_type_group",
            "education_phase", "number_of_pupils", "easting", "northing"]


def read_gias(path: str | os.PathLike[str], fr: FileReport) -> pd.DataFrame:
    """Parse the GIAS extract into service candidates (see module docstring).

    Returns a frame with :data:`~needsmap.ingest.services.geocode.CANDIDATE_COLUMNS`;
    ``type`` is ``"school_primary|school_secondary"`` for all-through schools
    (split into two services after location).
    """
    df = read_csv_table(path, fr, required=REQUIRED, what="GIAS")
    raw = raw_text(df, ["urn", "establishment_name", "establishment_type_group",
                        "establishment_type", "education_phase", "easting", "northing"])
    types = [gias_type(g, t, p) for g, t, p in zip(
        df["establishment_type_group"], df["establishment_type"], df["education_phase"],
        strict=True)]
    col = next((c for c in NURSERY_COLUMNS if c in df.columns), None)
    if col is not None:  # a school with nursery classes is an early-years provider too
        types = [with_nursery_classes(t, v) for t, v in zip(types, df[col], strict=True)]
        n = sum("nursery" in t for t in types)
        fr.note = "; ".join(x for x in (fr.note, f"{col}: {n} nursery schools and schools with "
                                        "nursery classes") if x)
    else:
        fr.note = "; ".join(x for x in (fr.note, "no nursery provision column: schools with "
                                        "nursery classes are not known (only nursery schools "
                                        "are early-years providers)") if x)
    df["type"] = ["|".join(t) for t in types]
    why = "not mapped to a service type: " + df["establishment_type_group"].fillna("?")
    df = reject(fr, df, df["type"] == "", why, "establishment_type_group", raw)
    e = finite_number(df["easting"])
    n = finite_number(df["northing"])
    df = df.assign(easting=e, northing=n)
    df = reject(fr, df, e.isna() | n.isna() | ((e == 0) & (n == 0)),
                "missing coordinates: no easting/northing (0,0 or blank; the extract has no "
                "postcode to geocode)",
                "easting", raw)
    df = reject_outside_gb(df, fr, raw)
    df = reject_duplicates(df, fr, ["urn"], raw, "URN")
    pupils = finite_number(df["number_of_pupils"])
    pupils = pupils.where((pupils >= 0) & (pupils == pupils.round()))
    return candidates(df, name=df["establishment_name"].fillna("").str.strip(), type=df["type"],
                      source_ref=df["urn"],
                      source_category=(df["establishment_type"].fillna("") + " / "
                                       + df["education_phase"].fillna("")),
                      postcode=None, geocode="source_easting_northing",
                      pupils=pupils.astype("Int64"))

"""The ``services`` build stage: every service list, located in its LSOA -> ``service``.

It loads every service source for the whole of England, whatever the build's scope
(the nearest service may lie across an authority border):

=============================  ======================================================  =================
catalogue id                   reader                                                  types
=============================  ======================================================  =================
``gias_open``                  :func:`needsmap.ingest.services.gias.read_gias`          schools, nursery...
``epraccur``                   :func:`needsmap.ingest.services.epraccur.read_epraccur`  gp_practice
``libraries``                  :func:`needsmap.ingest.services.libraries.read_libraries`  library
``family_hubs``                :func:`needsmap.ingest.services.national.read_family_hubs`  family_hub
``gias_childrens_centres``     :func:`~needsmap.ingest.services.national.read_gias_childrens_centres`  childrens_centre
``trafford_childrens_centres`` user-list reader, default ``childrens_centre``            childrens_centre
``gm_pharmacies``              user-list reader, default ``pharmacy``                   pharmacy
``--services CSV`` (each)      :func:`needsmap.ingest.services.user_lists.read_service_csv`  any
=============================  ======================================================  =================

Every catalogued list is optional: one that is not in the cache or mirror is left out
and the build summary says which (``needsmap fetch`` downloads those with a direct
link). Postcodes are geocoded offline from Code-Point Open (``codepoint_open``); without
it, services located only by a postcode are rejected with that reason; every
candidate is then placed in its LSOA by :func:`needsmap.areas.locate.locate`. It
writes ``service``, ``service_coverage`` and ``postcode`` (the Code-Point lookup, so
the app can geocode an uploaded list offline).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from needsmap.areas.locate import has_wales, locate, reject_unlocated
from needsmap.context import BuildContext
from needsmap.ingest.codepoint import ENGLAND, WALES, PostcodeIndex, load_codepoint
from needsmap.ingest.report import FileReport, InputError
from needsmap.ingest.services.epraccur import read_epraccur
from needsmap.ingest.services.geocode import CANDIDATE_COLUMNS, empty_candidates
from needsmap.ingest.services.gias import read_gias
from needsmap.ingest.services.libraries import read_libraries
from needsmap.ingest.services.national import read_family_hubs, read_gias_childrens_centres
from needsmap.ingest.services.user_lists import read_service_csv
from needsmap.sources.catalogue import Source
from needsmap.sources.resolve import sha256_file
from needsmap.sql import run_sql

#: Sources whose coverage is all of England (others cover only the LADs they have points in).
NATIONAL_SOURCES = ("gias_open", "epraccur", "libraries", "family_hubs", "gias_childrens_centres")
#: Of those, the sources that also cover all of Wales (checked on the mirror: epraccur has Welsh
#: practices in all 22 Welsh LADs, the libraries list libraries in all 22; GIAS and the DfE lists
#: are England's only).
WALES_SOURCES = ("epraccur", "libraries")
#: Largest user list accepted from the command line.
MAX_CLI_BYTES = 100 * 1024 * 1024


def safe_label(name: str, fallback: str = "list") -> str:
    """A display/id label from a file name: letters, digits, ``_`` and ``-`` only.

    Never used as a path. ``"../../etc/pass wd.csv"`` -> ``"pass_wd"``.
    """
    stem = Path(str(name).replace("\\", "/")).name
    stem = re.sub(r"\.csv$", "", stem, flags=re.IGNORECASE)
    label = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_-")[:60]
    return label or fallback


def load_postcodes(ctx: BuildContext) -> PostcodeIndex:
    """Code-Point Open, or an empty index (and a summary note) when it is missing."""
    src = ctx.catalogue.get("codepoint_open")
    found = ctx.resolve_found("codepoint_open", required=False)
    if found is None:
        ctx.summary.setdefault("sources_unavailable", {})["codepoint_open"] = (
            f"{src.without} (missing {src.cache_name}; {src.url})")
        empty = pa.table({"postcode": pa.array([], pa.string()),
                          "easting": pa.array([], pa.float64()),
                          "northing": pa.array([], pa.float64()),
                          "country_code": pa.array([], pa.string())})
        return PostcodeIndex(empty, vintage="(not available: `needsmap fetch codepoint_open`)")
    table = load_codepoint(found.path, ctx.settings.cache_dir, sha256=ctx.sha256(src, found))
    index = PostcodeIndex(table, vintage=src.vintage)
    if has_wales(ctx.con):  # issue 21: Welsh services are placed in the Welsh LSOAs
        index.countries = (ENGLAND, WALES)
    return index


def _tag(df: pd.DataFrame, key: str, source: str, vintage: str) -> pd.DataFrame:
    return df.assign(_file=key, source=source, vintage=vintage)


def stage(ctx: BuildContext) -> None:
    """Load, geocode and locate every service source into ``service``."""
    con = ctx.con
    postcodes = load_postcodes(ctx)
    reports: dict[str, FileReport] = {}
    parts: list[pd.DataFrame] = []

    def add(source_id: str, reader) -> None:  # noqa: ANN001
        src = ctx.catalogue.get(source_id)
        path = ctx.resolve(source_id, required=src.required)
        if path is None:
            ctx.summary.setdefault("sources_unavailable", {})[source_id] = (
                f"{src.without} (missing {src.cache_name}; "
                + (f"`needsmap fetch {source_id}`" if src.downloadable else src.url) + ")")
            return
        fr = ctx.report.file(source_id, path.name)
        reports[source_id] = fr
        parts.append(_tag(reader(path, fr), source_id, source_id, src.vintage))

    add("gias_open", read_gias)
    add("epraccur", lambda p, fr: read_epraccur(p, fr, postcodes))
    add("libraries", lambda p, fr: read_libraries(p, fr, postcodes))
    add("family_hubs", lambda p, fr: read_family_hubs(p, fr, postcodes))
    add("gias_childrens_centres", lambda p, fr: read_gias_childrens_centres(p, fr, postcodes))
    if "gias_childrens_centres" in reports:
        # The Trafford list is an extract of GIAS: with the national list it would count
        # Trafford's centres twice, so it is not read (and the build summary says so).
        ctx.summary.setdefault("sources_unavailable", {})["trafford_childrens_centres"] = (
            "not read: the national GIAS children's centres list covers Trafford")
    else:
        add("trafford_childrens_centres", lambda p, fr: read_service_csv(
            Path(p).read_bytes(), fr, postcodes, default_type="childrens_centre",
            label=Path(p).name))
    add("gm_pharmacies", lambda p, fr: read_service_csv(
        Path(p).read_bytes(), fr, postcodes, default_type="pharmacy", label=Path(p).name,
        column_map={"pharmacy_name": "name"}))

    seen_labels: set[str] = set()
    for i, p in enumerate(ctx.options.user_services, start=1):
        path = Path(p)
        if not path.is_file():
            raise InputError(str(path), "user service list not found")
        if path.stat().st_size > MAX_CLI_BYTES:
            raise InputError(str(path), f"larger than {MAX_CLI_BYTES // 2**20} MB")
        label = safe_label(path.name, f"list{i}")
        if label in seen_labels:
            label = f"{label}_{i}"
        seen_labels.add(label)
        source_id = f"user:{label}"
        fr = ctx.report.file("user_services", path.name)
        key = f"{source_id}#{i}"
        reports[key] = fr
        vintage = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).date().isoformat()
        ctx.record_source(Source(id=source_id, path=str(path), publisher="user",
                                 title=f"User service list {path.name}",
                                 licence="supplied by the user", vintage=vintage,
                                 form="user CSV", sha256=sha256_file(path), required=False),
                          path, "user")
        cand = read_service_csv(path.read_bytes(), fr, postcodes, label=path.name)
        parts.append(_tag(cand, key, source_id, vintage))

    nonempty = [p for p in parts if len(p)]
    cand = (pd.concat(nonempty, ignore_index=True) if nonempty
            else _tag(empty_candidates(), "", "", ""))  # no list at hand: an empty table
    located = reject_unlocated(locate(con, cand), reports)
    for fr in reports.values():
        fr.rows_kept = 0
    for key, n in located.groupby("_file")["row"].nunique().items():
        reports[key].rows_kept = int(n)
    services = explode_types(located)
    write_service_table(con, services)
    write_postcode_table(con, postcodes)
    run_sql(con, "services_coverage", {"national": list(NATIONAL_SOURCES),
                                       "wales": list(WALES_SOURCES)})
    n = con.execute("SELECT type, count(*) FROM service GROUP BY type ORDER BY type").fetchall()
    ctx.summary["services"] = sum(c for _, c in n)
    ctx.summary["service types"] = len(n)


def explode_types(located: pd.DataFrame) -> pd.DataFrame:
    """One service per type; build ``service_id`` (``<source>:<ref>[:<type>]``)."""
    df = located.assign(type=located["type"].str.split("|")).explode("type", ignore_index=True)
    multi = df.duplicated(["_file", "row"], keep=False)
    ref = df["source_ref"].astype(str)
    sid = df["source"] + ":" + ref
    df["service_id"] = np.where(multi, sid + ":" + df["type"], sid)
    dup = df["service_id"].duplicated(keep=False)
    if dup.any():  # a reference that is not unique in its source: add the file's row number
        df.loc[dup, "service_id"] = (df.loc[dup, "service_id"] + ":row"
                                     + df.loc[dup, "row"].astype(int).astype(str))
    dup = df["service_id"].duplicated(keep=False)
    if dup.any():  # two user lists with one label
        df.loc[dup, "service_id"] = df.loc[dup, "_file"] + ":" + df.loc[dup, "service_id"]
    return df


SERVICE_COLUMNS = ["service_id", "name", "type", "source", "vintage", "lon", "lat", "easting",
                   "northing", "lsoa_code", "ward_code", "lad_code", "source_ref",
                   "source_category", "postcode", "pupils", "geocode", "locate_method"]


def write_service_table(con, services: pd.DataFrame) -> None:  # noqa: ANN001
    dup = services["service_id"][services["service_id"].duplicated()]
    if len(dup):
        raise ValueError(f"service_id not unique: {dup.head(3).tolist()}")
    frame = services[SERVICE_COLUMNS].copy()
    frame["pupils"] = pd.to_numeric(frame["pupils"], errors="coerce").astype("Int64")
    for c in ("easting", "northing", "lon", "lat"):
        frame[c] = frame[c].astype("float64")
    for c in set(SERVICE_COLUMNS) - {"pupils", "easting", "northing", "lon", "lat"}:
        frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
    con.register("_service_frame", frame)
    try:
        run_sql(con, "services_table")
    finally:
        con.unregister("_service_frame")


def write_postcode_table(con, postcodes: PostcodeIndex) -> None:  # noqa: ANN001
    con.register("_codepoint", postcodes.table)
    try:
        con.execute("""CREATE OR REPLACE TABLE postcode AS
            SELECT postcode, easting::INTEGER AS easting, northing::INTEGER AS northing,
                   country_code FROM _codepoint ORDER BY postcode""")
    finally:
        con.unregister("_codepoint")


__all__ = ["CANDIDATE_COLUMNS", "safe_label", "stage"]

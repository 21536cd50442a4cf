"""NHS ODS ``epraccur``: GP practices and other prescribing cost centres.

The official file has no header row; its 27 columns are, in order, those of
:data:`COLUMNS` (ODS "epraccur" layout, as listed in the mirror README). Two
versions are read, told apart by their values:

* the **legacy** file (the retired ``epraccur.zip``; the mirror's copy): column 13 is
  the status code (``A`` active, ``C`` closed, ``D`` dormant, ``P`` proposed) and
  column 26 the prescribing setting (``4`` = GP practice);
* the **current ODS report** (``getReport?report=epraccur``): column 13 is the status
  name (``ACTIVE``, ...) and column 26 the ``|``-separated role ids (``RO76`` = GP
  practice). A header row, if the report carries one, is recognised and skipped.

Only active GP practices are kept. Every other row is rejected with its reason
(closed, dormant or proposed; or another setting or role such as out-of-hours,
walk-in centre or prison). Kept practices are geocoded from their postcode with
Code-Point Open; Welsh practices fall out as "point outside England".
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

COLUMNS = [
    "organisation_code", "name", "national_grouping", "high_level_health_geography",
    "address_line_1", "address_line_2", "address_line_3", "address_line_4", "address_line_5",
    "postcode", "open_date", "close_date", "status_code", "organisation_sub_type_code",
    "commissioner", "join_provider_date", "left_provider_date", "contact_telephone_number",
    "null_19", "null_20", "null_21", "amended_record_indicator", "null_23",
    "provider_purchaser", "null_25", "prescribing_setting", "null_27",
]

STATUS = {"A": "active", "C": "closed", "D": "dormant", "P": "proposed"}

#: ODS prescribing setting codes (the ones seen in epraccur).
PRESCRIBING_SETTING = {
    "0": "other", "1": "WIC practice", "2": "OOH practice", "3": "WIC + OOH practice",
    "4": "GP practice", "8": "public health service", "9": "community health service",
    "10": "hospital service", "11": "optometry service", "12": "urgent and emergency care",
    "13": "hospice", "14": "care home / nursing home", "15": "border force",
    "16": "young offender institution", "17": "secure training centre",
    "18": "secure children's home", "19": "immigration removal centre", "20": "court",
    "21": "police custody", "22": "sexual assault referral centre", "24": "other justice estate",
    "25": "prison", "26": "primary care network",
}


#: ODS role ids seen in the current report's column 26 (``RO76`` = GP practice).
ROLES = {"RO76": "GP practice", "RO80": "out of hours", "RO87": "walk-in centre",
         "RO72": "other prescribing cost centre", "RO177": "prescribing cost centre",
         "RO255": "primary care network"}
#: Status names of the current report that mean open.
ACTIVE_NAMES = ("ACTIVE",)


def _has_header(path: str | os.PathLike[str]) -> bool:
    from needsmap.ingest.csvio import sniff_header

    first = [c.strip().lower().replace(" ", "") for c in sniff_header(path)]
    return bool(first) and first[0] in ("organisationcode", "orgcode", "code")


def read_epraccur(path: str | os.PathLike[str], fr: FileReport,
                  postcodes: PostcodeIndex) -> pd.DataFrame:
    """Parse ``epraccur.csv`` (legacy or current report) into geocoded GP-practice candidates."""
    if _has_header(path):
        df = read_csv_table(path, fr, header=True, what="epraccur report")
        if len(df.columns) != len(COLUMNS) + 1:
            from needsmap.ingest.report import InputError

            raise InputError(str(path), f"expected the {len(COLUMNS)}-column epraccur layout, "
                             f"found {len(df.columns) - 1} columns in the header", row=0)
        df.columns = ["row", *COLUMNS]
        fr.note = (fr.note + "; " if fr.note else "") + "header row of the ODS report skipped"
    else:
        df = read_csv_table(path, fr, header=False, names=COLUMNS, what="epraccur")
    raw = raw_text(df, ["organisation_code", "name", "postcode", "status_code",
                        "prescribing_setting"])
    status = df["status_code"].fillna("").str.strip()
    report = status.str.len().gt(1).mean() > 0.5 if len(df) else False  # ACTIVE vs A
    if report:
        fr.note = (fr.note + "; " if fr.note else "") + ("current ODS report layout (status "
                                                         "names, role ids)")
        active = status.str.upper().isin(ACTIVE_NAMES)
        why = "not active (status " + status.where(status != "", "blank") + ")"
    else:
        active = status == "A"
        why = "not active (status " + status + " " + status.map(STATUS).fillna("unknown") + ")"
    df = reject(fr, df, ~active, why, "status_code", raw)
    setting = df["prescribing_setting"].fillna("").str.strip()
    if report:
        roles = setting.str.upper().str.split("|")
        gp = roles.map(lambda r: "RO76" in [x.strip() for x in r])
        first = roles.map(lambda r: r[0].strip() if r and r[0].strip() else "blank")
        why = ("not a GP practice (role " + setting + " " + first.map(ROLES).fillna("")
               .where(first.map(ROLES).notna(), "unknown") + ")")
        df = reject(fr, df, ~gp.astype(bool), why, "prescribing_setting", raw)
    else:
        why = ("not a GP practice (prescribing setting " + setting + " "
               + setting.map(PRESCRIBING_SETTING).fillna("unknown") + ")")
        df = reject(fr, df, setting != "4", why, "prescribing_setting", raw)
    df = reject_duplicates(df, fr, ["organisation_code"], raw, "organisation code")
    df = df.assign(easting=np.nan, northing=np.nan, geocode=None)
    df = geocode_postcodes(df, fr, postcodes, raw, column="postcode")
    return candidates(df, name=df["name"].fillna("").str.strip(), type="gp_practice",
                      source_ref=df["organisation_code"],
                      source_category=("role RO76 (GP practice), ACTIVE" if report else
                                       "prescribing setting 4 (GP practice), status A"),
                      postcode=df["postcode"], geocode=df["geocode"])

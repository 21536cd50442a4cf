"""NHS ODS ``epraccur``: GP practices and other prescribing cost centres.

The official file has no header row; its 27 columns are, in order, those of
:data:`COLUMNS` (ODS "epraccur" layout, as listed in the mirror README). Only
active GP practices are kept: ``Status Code`` ``A`` **and** ``Prescribing
Setting`` ``4``. Every other row is rejected with its reason (closed, dormant
or proposed; or another prescribing setting such as out-of-hours, walk-in
centre or prison). Kept practices are geocoded from their postcode with
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


def read_epraccur(path: str | os.PathLike[str], fr: FileReport,
                  postcodes: PostcodeIndex) -> pd.DataFrame:
    """Parse ``epraccur.csv`` into geocoded GP-practice candidates."""
    df = read_csv_table(path, fr, header=False, names=COLUMNS, what="epraccur")
    raw = raw_text(df, ["organisation_code", "name", "postcode", "status_code",
                        "prescribing_setting"])
    status = df["status_code"].fillna("").str.strip()
    why = ("not active (status " + status + " " + status.map(STATUS).fillna("unknown") + ")")
    df = reject(fr, df, status != "A", why, "status_code", raw)
    setting = df["prescribing_setting"].fillna("").str.strip()
    why = ("not a GP practice (prescribing setting " + setting + " "
           + setting.map(PRESCRIBING_SETTING).fillna("unknown") + ")")
    df = reject(fr, df, setting != "4", why, "prescribing_setting", raw)
    df = reject_duplicates(df, fr, ["organisation_code"], raw, "organisation code")
    df = df.assign(easting=np.nan, northing=np.nan, geocode=None)
    df = geocode_postcodes(df, fr, postcodes, raw, column="postcode")
    return candidates(df, name=df["name"].fillna("").str.strip(), type="gp_practice",
                      source_ref=df["organisation_code"],
                      source_category="prescribing setting 4 (GP practice), status A",
                      postcode=df["postcode"], geocode=df["geocode"])

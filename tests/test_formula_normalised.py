"""Text that is a formula once trimmed (issue 18, item 6).

A service name with leading spaces or a non-breaking space before ``=HYPERLINK(...)``
used to pass the formula check, be trimmed, and be stored and shown as a formula. The
check now runs on the trimmed cell, and export escaping looks past leading whitespace.
Rows are real Blackpool libraries from the mirror (Libraries Hacked).
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from needsmap.access.upload import validate_upload
from needsmap.escape import FORMULA_PREFIXES, escape_cell, escape_frame

#: Formula text behind whitespace a spreadsheet (or our own trimming) looks past.
HIDDEN = [
    '   =HYPERLINK("http://evil.example/x","Open")',
    '\u00a0=HYPERLINK("http://evil.example/x","Open")',
    "\u00a0\u00a0+1+1",
    "\t@SUM(A1:A9)",
    "\u3000-2+3+cmd|' /C calc'!A0",
    " \u2003\uff1d1+1",  # an em space, then a full-width equals sign
]


@pytest.fixture(scope="module")
def libraries(mirror) -> pd.DataFrame:
    lib = pd.read_csv(mirror / "services/libraries.csv", dtype=str)
    lib = lib[lib["Local authority"].str.contains("Blackpool") & lib["Year closed"].isna()]
    return lib.reset_index(drop=True)


@pytest.fixture(scope="module")
def postcodes(mirror, tmp_path_factory):
    from needsmap.ingest.codepoint import PostcodeIndex, load_codepoint

    table = load_codepoint(mirror / "postcodes/codepo_gb.zip", tmp_path_factory.mktemp("cache"))
    return PostcodeIndex(table, vintage="Code-Point Open")


def _upload(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["name", "type", "postcode"])
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


@pytest.mark.parametrize("column", ["name", "type", "postcode"])
def test_formula_after_whitespace_is_rejected_in_every_text_column(libraries, postcodes, column):
    good = [[libraries.loc[i, "Library name"], "library", libraries.loc[i, "Postcode"]]
            for i in range(2)]
    bad = []
    for j, text in enumerate(HIDDEN):
        row = [f"{libraries.loc[j % 2, 'Library name']} {j}", "library",
               libraries.loc[j % 2, "Postcode"]]
        row[["name", "type", "postcode"].index(column)] = text
        bad.append(row)
    acc, rej = validate_upload(_upload(good + bad), postcodes=postcodes)
    assert len(acc) == 2, rej
    assert rej["row"].tolist() == list(range(3, 3 + len(HIDDEN)))
    assert rej["reason"].str.startswith(f"formula-like text in {column}").all(), rej["reason"]
    assert not acc["name"].map(lambda v: v.lstrip().startswith(FORMULA_PREFIXES)).any()


@pytest.mark.parametrize("text", HIDDEN)
def test_export_escaping_looks_past_leading_whitespace(text):
    assert escape_cell(text) == "'" + text
    out = escape_frame(pd.DataFrame({"name": [text, "Central Library"]}))
    assert out["name"].tolist() == ["'" + text, "Central Library"]


def test_xlsx_and_csv_exports_hold_no_hidden_formula(libraries):
    import openpyxl

    from needsmap.views.exports import to_csv, to_xlsx

    df = pd.DataFrame({"name": [*HIDDEN, libraries.loc[0, "Library name"]],
                       "children": range(len(HIDDEN) + 1)})
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx(df))).active
    cells = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(c.lstrip().startswith(FORMULA_PREFIXES) for c in cells), cells
    rows = list(csv.reader(io.StringIO(to_csv(df).decode("utf-8-sig"))))
    assert not any(v.lstrip().startswith(FORMULA_PREFIXES) for r in rows for v in r)

"""Exports are inert in spreadsheets: no XLSX cell is a formula, no CSV cell starts like one.

Uses the real writers (``needsmap.views.exports`` on top of
``needsmap.escape.escape_frame``) and reopens the XLSX with openpyxl.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

export = pytest.importorskip("needsmap.escape")
views_exports = pytest.importorskip("needsmap.views.exports")

PAYLOADS = [
    '=HYPERLINK("http://evil.example","click")', "=1+1", "+1+1", "-2+3+cmd|' /C calc'!A0",
    "@SUM(1,2)", "\t=1", "\r=1", "\n=1", "\uff1d1+1", "＋1", "=cmd|'/c notepad'!A1",
    "Blackpool Library", "", "-", "=", "'already quoted",
]
DANGER = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def frame(values: list[str]) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame({
        "ward_name": values,
        "note": list(reversed(values)),
        "score": [-3.5 + i for i in range(n)],  # real negative numbers stay numbers
        "count": pd.array(list(range(n)), dtype="Int64"),
        "=evil_header": values,
    })


def xlsx_cells(data: bytes) -> list:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))  # formulas kept as formulas (data_only=False)
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def assert_inert_xlsx(data: bytes) -> None:
    for c in xlsx_cells(data):
        assert c.data_type != "f", f"formula cell {c.coordinate}: {c.value!r}"
        if isinstance(c.value, str):
            assert not c.value.startswith(DANGER), f"{c.coordinate}: {c.value!r}"


def test_xlsx_export_has_no_formula_cells():
    df = frame(PAYLOADS)
    data = views_exports.to_xlsx(df, "wards", notes=["=HYPERLINK(\"x\")", "needsmap caveat"])
    assert_inert_xlsx(data)
    cells = xlsx_cells(data)
    assert any(c.value == "'=1+1" for c in cells)  # escaped, still readable
    nums = [c.value for c in cells if isinstance(c.value, (int, float))]
    assert -3.5 in nums  # a negative number is a number, not escaped text


def _csv_rows(values: list[str]) -> list[list[str]]:
    data = views_exports.to_csv(frame(values)).decode("utf-8-sig")
    # a spreadsheet treats a bare CR as a line break too: split on it like one
    return list(csv.reader(io.StringIO(data.replace("\r\n", "\n"), newline=None)))


def test_csv_export_has_no_formula_like_cells():
    rows = _csv_rows([p for p in PAYLOADS if "\r" not in p])
    for r in rows:
        for v in r:
            if v and not _is_number(v):
                assert not v.startswith(DANGER), repr(v)


def test_csv_export_cell_with_carriage_return_stays_one_cell():
    for r in _csv_rows(["\r=1", "a\r=HYPERLINK(\"x\")", "ok"]):
        for v in r:
            if v and not _is_number(v):
                assert not v.startswith(DANGER), repr(v)


def _is_number(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(min_size=0, max_size=20), min_size=1, max_size=6))
def test_escape_frame_property(values):
    out = export.escape_frame(pd.DataFrame({"a": values}))
    for before, after in zip(values, out["a"], strict=True):
        if before.startswith(DANGER):
            assert after == "'" + before
        else:
            assert after == before


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# no lone surrogates (category Cs): pandas' Arrow-backed strings refuse them when the frame is
# built, and no decoded input file or browser upload can produce one
@given(st.lists(st.sampled_from(PAYLOADS)
                | st.text(st.characters(min_codepoint=32, exclude_categories=("Cs",)), max_size=12),
                min_size=1, max_size=5))
def test_xlsx_property_no_formula(values):
    assert_inert_xlsx(views_exports.to_xlsx(frame(values)))


def test_xlsx_export_survives_control_characters():
    data = views_exports.to_xlsx(frame(["Hub\x1f", "Centre\x00", "ok"]))
    assert_inert_xlsx(data)

"""Property-based tests (hypothesis) for the parsers: postcodes, GSS codes, weights.

Each property is checked against an independent statement of the rule (a regex
written here, the DuckDB twin of a Python function, or a round trip).
"""

from __future__ import annotations

import math
import re

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

codepoint = pytest.importorskip("needsmap.ingest.codepoint")

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"


@st.composite
def postcodes(draw) -> str:
    """Canonical UK postcodes of every outward shape (A9, A99, AA9, AA99, A9A, AA9A)."""
    area = draw(st.text(UPPER, min_size=1, max_size=2))
    district = draw(st.sampled_from([
        draw(st.text(DIGITS, min_size=1, max_size=2)),
        draw(st.text(DIGITS, min_size=1, max_size=1)) + draw(st.text(UPPER, min_size=1, max_size=1)),
    ]))
    inward = draw(st.text(DIGITS, min_size=1, max_size=1)) + draw(st.text(UPPER, min_size=2, max_size=2))
    return f"{area}{district} {inward}"


def noisy(pc: str, data: st.DataObject) -> str:
    """The same postcode as a user might type it: any case, spaces anywhere."""
    out = []
    for ch in pc.replace(" ", ""):
        out.append(ch.lower() if data.draw(st.booleans()) else ch)
        out.append(data.draw(st.sampled_from(["", "", "", " ", "  ", "\t"])))
    return data.draw(st.sampled_from(["", " "])) + "".join(out)


@SETTINGS
@given(postcodes(), st.data())
def test_postcode_normalisation_recovers_the_canonical_form(pc, data):
    got = codepoint.normalise_postcodes(pd.Series([noisy(pc, data)])).iloc[0]
    assert got == pc
    assert codepoint.valid_postcode_mask(pd.Series([got])).iloc[0]


@SETTINGS
@given(st.lists(st.text(max_size=12) | postcodes(), min_size=1, max_size=20))
@example(["ǰ"])  # no one-to-one capital: Python's upper() makes it two code points, Arrow keeps it
def test_postcode_normalisation_is_idempotent_total_and_matches_arrow_twin(values):
    s = pd.Series(values, dtype="object")
    once = codepoint.normalise_postcodes(s)
    assert len(once) == len(s)
    again = codepoint.normalise_postcodes(once)
    assert once.fillna("<NA>").tolist() == again.fillna("<NA>").tolist()
    for v in once.dropna():
        # upper case as far as a postcode goes (no ASCII lower-case letter is left); a letter
        # with no one-to-one capital keeps its form, as in the Arrow twin
        assert not re.search(r"[a-z]", v) and "  " not in v and not v.startswith(" ")
    arrow = codepoint._normalise_arrow(pa.chunked_array([pa.array(values, pa.string())]))
    for v, a, b in zip(values, arrow.to_pylist(), once.tolist(), strict=True):
        if re.search(r"[^\S \t\r\n]", v):
            continue  # exotic whitespace (e.g. \x1f): Python's \s and RE2's \s differ; see report
        if b is pd.NA or b is None:
            assert not (a or "").strip()
        else:
            assert a == b
    mask = codepoint.valid_postcode_mask(once)
    for v, ok in zip(once.tolist(), mask.tolist(), strict=True):
        ref = isinstance(v, str) and bool(re.fullmatch(
            r"(?:[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}|GIR 0AA)", v))
        assert ok == ref, v


# -- GSS codes --------------------------------------------------------------------------------

@st.composite
def code_like(draw) -> str:
    prefix = draw(st.sampled_from(["E01", "W01", "E05", "E06", "S01", "E1", "e01", "E0١", "X01", ""]))
    digits = draw(st.text(DIGITS + "١٢٣٤٥٦٧٨٩٠ ", min_size=0, max_size=8))
    tail = draw(st.sampled_from(["", "", " ", "\n", "X", "'; --"]))
    return prefix + digits + tail


@SETTINGS
@given(st.lists(code_like(), min_size=1, max_size=30))
def test_gss_rule_in_duckdb_matches_the_python_regex(codes):
    import duckdb

    from needsmap.ingest.csvio import gss_rule

    con = duckdb.connect()
    con.register("t0", pd.DataFrame({"_row": range(1, len(codes) + 1), "c": codes}))
    con.execute("CREATE TEMP TABLE t AS SELECT * FROM t0")
    _reason, col, pred = gss_rule("c", r"[EW]01[0-9]{6}", "LSOA 2021")
    assert col == "c"
    bad = {r[0] for r in con.execute(f"SELECT _row FROM t WHERE {pred}").fetchall()}  # noqa: S608 - fixed rule text
    for i, c in enumerate(codes, start=1):
        ok = re.fullmatch(r"[EW]01[0-9]{6}", c.strip(" \t")) is not None
        assert (i not in bad) == ok, repr(c)
    con.close()


def test_locality_ward_codes_reject_malformed_codes():
    loc = pytest.importorskip("needsmap.snapshot.localities")
    for ok in ("E05015908", " e05015908 "):  # trimmed and upper-cased
        assert loc.parse_localities(f"locality,ward_code\nA,{ok}\n".encode(), "x.csv").groups() == {
            "A": ["E05015908"]}
    for bad in ("E0501590", "E050159080", "W05000001", "E01000001", "E05O15908", ""):
        with pytest.raises(loc.LocalityFileError, match="x.csv"):
            loc.parse_localities(f"locality,ward_code\nA,{bad}\n".encode(), "x.csv")


def test_locality_ward_codes_are_ascii_only():
    loc = pytest.importorskip("needsmap.snapshot.localities")
    with pytest.raises(loc.LocalityFileError):
        loc.parse_localities("locality,ward_code\nA,E05٠١٥٩٠٨\n".encode(), "x.csv")


@SETTINGS
@given(st.text(max_size=15))
def test_locality_parser_never_crashes_on_any_ward_text(text):
    loc = pytest.importorskip("needsmap.snapshot.localities")
    cell = '"' + text.replace('"', '""') + '"'
    try:
        ls = loc.parse_localities(f"locality,ward_code\nA,{cell}\n".encode(), "x.csv")
    except loc.LocalityFileError as exc:
        assert "x.csv" in str(exc)
        return
    (only,) = list(ls)
    assert re.fullmatch(r"E05[0-9]{6}", only.ward_codes[0]), only.ward_codes


# -- weights ----------------------------------------------------------------------------------

methods = pytest.importorskip("needsmap.index.methods")
indicators = pytest.importorskip("needsmap.index.indicators")
NAMES = indicators.NAMES
finite = st.just(0.0) | st.floats(min_value=1e-9, max_value=1e6)


@SETTINGS
@given(st.dictionaries(st.sampled_from(NAMES), finite, min_size=1))
def test_parse_weights_round_trips(d):
    text = ",".join(f"{k}={v!r}" for k, v in d.items())
    assert methods.parse_weights(text) == d


@SETTINGS
@given(st.text(max_size=40))
def test_parse_weights_raises_only_index_spec_errors(text):
    try:
        out = methods.parse_weights(text)
    except methods.IndexSpecError:
        return
    assert out and all(k in NAMES for k in out)


def _replacement_conflict(d: dict[str, float]) -> bool:
    for name, v in d.items():
        rep = indicators.BY_NAME[name].replaces
        if rep and v > 0 and d.get(rep, 0) > 0:
            return True
    return False


@SETTINGS
@given(st.dictionaries(st.sampled_from(NAMES), finite, min_size=1),
       st.floats(min_value=1e-3, max_value=1e3))
def test_normalise_weights_sums_to_one_and_is_scale_invariant(d, c):
    assume(sum(d.values()) > 0 and not _replacement_conflict(d))
    w = methods.normalise_weights(d)
    assert math.isclose(float(w.sum()), 1.0, rel_tol=1e-9)
    assert (w >= 0).all()
    for name, v in d.items():
        assert (w[NAMES.index(name)] == 0) == (v == 0)
    w2 = methods.normalise_weights({k: v * c for k, v in d.items()})
    assert abs(w2 - w).max() < 1e-9


@SETTINGS
@given(st.dictionaries(st.sampled_from(NAMES),
                       st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=5),
                       min_size=1))
def test_normalise_weights_rejects_bad_values_with_index_spec_error(d):
    try:
        w = methods.normalise_weights(d)
    except methods.IndexSpecError:
        return
    assert math.isclose(float(w.sum()), 1.0, rel_tol=1e-9), (d, w)


def test_normalise_weights_huge_values():
    w = methods.normalise_weights({NAMES[0]: 1e308, NAMES[1]: 1e308})
    assert math.isclose(float(w.sum()), 1.0)


state = pytest.importorskip("needsmap.views.state")


@SETTINGS
@given(st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True),
                       st.integers(0, 100), min_size=1, max_size=6))
def test_url_weights_round_trip(d):
    assert state.weights_from_url(state.weights_to_url(d)) == d


@SETTINGS
@given(st.text(max_size=40))
def test_url_weights_reject_junk_with_value_error_only(text):
    try:
        out = state.weights_from_url(text)
    except ValueError:
        return
    assert all(k.isidentifier() and 0 <= v <= 100 for k, v in out.items())


def test_numeric_rule_sql_matches_its_definition():
    """The SQL predicate of NumericRule flags exactly the cells its docstring defines as bad."""
    import itertools
    import math

    import duckdb

    from needsmap.ingest.csvio import _SUP_VARIANTS, NumericRule

    cells = ["1", "0", "-1", "1.5", "-0.5", " 2 ", "1e3", "", " ", "c", "*", "..", "[x]", "Z",
             "nan", "NaN", "inf", "-Infinity", "abc", "1,000", "0x10", None]

    def bad(v, allow_negative, allow_suppressed, integer):
        t = (v or "").strip()
        if v is None or t in _SUP_VARIANTS:
            return not allow_suppressed
        try:
            x = float(t)
        except ValueError:
            return True
        return (math.isnan(x) or math.isinf(x) or (not allow_negative and x < 0)
                or (integer and x != math.floor(x)))

    con = duckdb.connect()
    con.execute("CREATE TABLE t (v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[c] for c in cells])
    for flags in itertools.product([False, True], repeat=3):
        rule = NumericRule(("v",), *flags)
        got = [r[0] for r in con.execute(f"SELECT v, {rule.predicate()} FROM t ORDER BY rowid").fetchall()]
        flagged = [r[1] for r in con.execute(f"SELECT v, {rule.predicate()} FROM t ORDER BY rowid").fetchall()]
        assert got == cells
        assert flagged == [bad(c, *flags) for c in cells], flags
        if flags[1]:  # allow_suppressed: the kept cells' blank/suppressed count
            from needsmap.ingest.csvio import suppressed_counts

            kept = f"(SELECT * FROM t WHERE NOT {rule.predicate()})"
            want = sum(1 for c in cells if not bad(c, *flags) and (c is None or c.strip() in _SUP_VARIANTS))
            assert suppressed_counts(con, kept, ["v"]) == {"v": want}, flags

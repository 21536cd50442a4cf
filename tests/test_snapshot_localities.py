"""Locality files: the shipped Dudley set, and bad files derived from it (real ward codes).

The known wards come from the real ONS LSOA21 -> WD24 -> LAD24 lookup in the mirror, so
these tests need no built store; one test checks the store's own ward list agrees.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from needsmap.settings import REPO_ROOT
from needsmap.snapshot.localities import (
    LocalityFileError,
    WardInfo,
    known_wards,
    parse_localities,
    read_localities,
)

DUDLEY = REPO_ROOT / "geodata" / "localities" / "dudley_localities.csv"


@pytest.fixture(scope="module")
def wards(mirror: Path) -> dict[str, WardInfo]:
    lu = mirror / "lookups" / "lsoa21_wd24_lad24_ew_lu.csv"
    rows = duckdb.sql(
        f"SELECT DISTINCT WD24CD, WD24NM, LAD24CD, LAD24NM FROM read_csv('{lu}', all_varchar=true) "  # noqa: S608 - test path
        "WHERE WD24CD LIKE 'E05%'").fetchall()
    return {r[0]: WardInfo(*r) for r in rows}


@pytest.fixture(scope="module")
def dudley_text() -> str:
    return DUDLEY.read_text(encoding="utf-8")


def problems(exc: pytest.ExceptionInfo[LocalityFileError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


def test_shipped_dudley_set_covers_every_dudley_ward_once(wards):
    s = read_localities(DUDLEY, wards)
    assert len(s) == 5
    codes = [c for loc in s for c in loc.ward_codes]
    dudley = {c for c, w in wards.items() if w.lad_name == "Dudley"}
    assert len(dudley) == 24
    assert sorted(codes) == sorted(dudley)  # all 24, none twice
    assert {loc.name for loc in s} == {"North Dudley", "Dudley & Netherton",
                                       "Brierley Hill & Kingswinford", "Stourbridge", "Halesowen"}


def test_toml_layouts_equal_csv(wards):
    s = read_localities(DUDLEY, wards)
    tbl = "[localities]\n" + "\n".join(
        f'"{loc.name}" = [{", ".join(repr(c).replace(chr(39), chr(34)) for c in loc.ward_codes)}]'
        for loc in s)
    t = parse_localities('name = "Dudley (TOML)"\n' + tbl, "d.toml", wards)
    assert t.groups() == s.groups() and t.name == "Dudley (TOML)"
    arr = "\n".join(f'[[locality]]\nname = "{loc.name}"\nwards = {list(loc.ward_codes)!r}'.replace("'", '"')
                    for loc in s)
    assert parse_localities(arr, "d.toml", wards).groups() == s.groups()


def test_unknown_ward_code_names_file_row_and_column(wards, dudley_text):
    bad = dudley_text.replace("E05015921", "E05099999")  # Sedgley -> a code that does not exist
    with pytest.raises(LocalityFileError) as e:
        parse_localities(bad, "dudley_bad.csv", wards)
    (msg,) = problems(e)
    assert msg.startswith("dudley_bad.csv, row 3, column 'ward_code'")
    assert "unknown ward code E05099999" in msg


def test_ward_in_two_localities(wards, dudley_text):
    bad = dudley_text + "Halesowen,E05015908,Coseley\n"  # Coseley is already in North Dudley
    with pytest.raises(LocalityFileError) as e:
        parse_localities(bad, "two.csv", wards)
    (msg,) = problems(e)
    assert "row 25" in msg and "E05015908 (Coseley)" in msg
    assert "'North Dudley' (row 1)" in msg and "'Halesowen'" in msg


def test_ward_listed_twice_in_one_locality(wards, dudley_text):
    with pytest.raises(LocalityFileError) as e:
        parse_localities(dudley_text + "North Dudley,E05015910,Gornal\n", "dup.csv", wards)
    assert "listed twice in locality 'North Dudley'" in problems(e)[0]


def test_empty_locality_in_toml(wards):
    text = '[localities]\n"Halesowen" = ["E05015904", "E05015911"]\n"Stourbridge" = []\n'
    with pytest.raises(LocalityFileError) as e:
        parse_localities(text, "empty.toml", wards)
    (msg,) = problems(e)
    assert "locality 'Stourbridge' is empty" in msg and "line 3" in msg


def test_all_problems_reported_together(wards, dudley_text):
    lines = dudley_text.splitlines()
    lines[2] = "North Dudley,Sedgley,"  # a ward name (not its code) in place of Gornal
    lines[5] = ",E05015907,Castle & Priory"  # blank locality
    lines[7] = "Dudley & Netherton,,"  # blank ward code
    with pytest.raises(LocalityFileError) as e:
        parse_localities("\n".join(lines) + "\n", "many.csv", wards)
    msgs = problems(e)
    assert len(msgs) == 3
    assert any(m.startswith("many.csv, row 2, column 'ward_code': 'Sedgley' is not a ward code")
               and "E05015921 (Sedgley, Dudley)" in m for m in msgs)
    assert any("row 5, column 'locality': blank locality name" in m for m in msgs)
    assert any("row 7, column 'ward_code'" in m and "blank ward code" in m for m in msgs)
    assert "3 problems" in str(e.value)


def test_bad_header(wards, dudley_text):
    with pytest.raises(LocalityFileError) as e:
        parse_localities(dudley_text.replace("locality,ward_code", "area,code", 1), "h.csv", wards)
    assert "missing column(s) locality, ward_code" in str(e.value)
    semi = dudley_text.replace(",", ";")
    with pytest.raises(LocalityFileError) as e:
        parse_localities(semi, "semi.csv", wards)
    assert "semicolon" in str(e.value)


def test_bad_encodings(wards, dudley_text):
    # one encoding policy for every CSV (needsmap.ingest.csvio): Windows-1252 is read, and noted
    cp1252 = dudley_text.replace("Amblecote", "Amblecote caf\u00e9 \u2013 \u00a3").encode("cp1252")
    s = parse_localities(cp1252, "cp1252.csv", wards)
    assert len(s) == 5 and s.notes == ["decoded as Windows-1252 (not UTF-8)"]
    with pytest.raises(LocalityFileError) as e:
        parse_localities(dudley_text.encode("utf-16"), "u16.csv", wards)
    assert "UTF-16" in str(e.value) and "CSV UTF-8" in str(e.value)
    # a UTF-8 BOM (Excel's "CSV UTF-8") is fine
    assert len(parse_localities(b"\xef\xbb\xbf" + dudley_text.encode(), "bom.csv", wards)) == 5


def test_not_a_ward_code_and_bad_toml(wards):
    with pytest.raises(LocalityFileError) as e:
        parse_localities("locality,ward_code\nA,E01012049\n", "lsoa.csv", wards)  # an LSOA code
    assert "not a ward code" in str(e.value)
    with pytest.raises(LocalityFileError) as e:
        parse_localities('[localities]\n"A" = ["E05015904"\n', "broken.toml", wards)
    assert "not valid TOML" in str(e.value)
    with pytest.raises(LocalityFileError):
        parse_localities("locality,ward_code\n", "header_only.csv", wards)
    with pytest.raises(LocalityFileError):
        parse_localities("x", "f.xlsx", wards)


def test_store_ward_list_matches_lookup(england_store, wards, mirror):
    """Every lookup ward is known, and so are the 33 English wards the lookup gives no LSOA
    (a locality file may name them: Holywell, Oxford; the City of London's wards...)."""
    import pyogrio

    from needsmap.store.db import open_store

    con = open_store(england_store)
    try:
        store = known_wards(con)
    finally:
        con.close()
    assert set(wards) <= set(store)
    bsc = pyogrio.read_dataframe(mirror / "boundaries/wards_may2024_uk_bsc.gpkg", read_geometry=False)
    assert set(store) == set(bsc.WD24CD[bsc.CTRY24CD == "E92000001"])
    assert len(set(store) - set(wards)) == 33
    holywell = next(w for w in store.values() if w.ward_name == "Holywell" and w.lad_name == "Oxford")
    assert parse_localities(f"locality,ward_code\nCentral Oxford,{holywell.ward_code}\n", "o.csv",
                            store)
    assert store["E05015921"].ward_name == "Sedgley" and store["E05015921"].lad_name == "Dudley"

"""police.uk ingest: headers, bad files, reject reasons and row numbers.

Every bad-file variant is derived inside the test from real mirror rows and
written to ``tmp_path``; no source file is copied into the repository.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pytest

from needsmap.crime.load import ensure_tables, load_files
from needsmap.ingest.police import (
    REASONS,
    SNAKE_COLUMNS,
    STANDARD_COLUMNS,
    CrimeFileReport,
    check_header,
    discover,
    parse_name,
)
from needsmap.ingest.police import read_lsoa11_lookup as load_lsoa11_lookup
from needsmap.ingest.report import InputError
from needsmap.store.db import connect

LANCS = "crime/police_uk/2022-05/2022-05-lancashire-street.csv"
ESSEX = "crime/police_uk/2018-01/2018-01-essex-street.csv"
GWENT = "crime/police_uk/2024-07/2024-07-gwent-street.csv"


@pytest.fixture(scope="module")
def base_db(blackpool_store: Path, tmp_path_factory) -> Path:
    """A small store with only the tables the crime ingest needs (copied from the real store)."""
    db = tmp_path_factory.mktemp("crime_base") / "base.duckdb"
    con = connect(db)
    con.execute(f"ATTACH '{blackpool_store}' AS s (READ_ONLY)")
    con.execute("CREATE TABLE lsoa AS SELECT lsoa_code, ward_code, lad_code, geom FROM s.lsoa")
    con.execute("CREATE TABLE ward_indicators_england AS SELECT * FROM s.ward_indicators_england")
    con.execute("DETACH s")
    con.close()
    return db


@pytest.fixture()
def con(base_db: Path, mirror: Path):
    c = connect()
    c.execute(f"ATTACH '{base_db}' AS b (READ_ONLY)")
    c.execute("CREATE TABLE lsoa AS SELECT * FROM b.lsoa")
    c.execute("CREATE TABLE ward_indicators_england AS SELECT * FROM b.ward_indicators_england")
    ensure_tables(c)
    load_lsoa11_lookup(c, mirror / "lookups/lsoa11_lsoa21_lad22_ew_lu.csv")
    yield c
    c.close()


def real_lines(mirror: Path, rel: str, n: int) -> list[str]:
    """Header plus the first ``n`` data lines of a mirror file (line endings kept)."""
    with open(mirror / rel, newline="", encoding="utf-8") as fh:
        return [next(fh) for _ in range(n + 1)]


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    p = tmp_path / name
    p.write_text("".join(lines), encoding="utf-8", newline="")
    return p


def load(con: duckdb.DuckDBPyConnection, *paths: Path) -> list[CrimeFileReport]:
    files = discover(paths)
    reps = [CrimeFileReport("police_uk", str(f.path)) for f in files]
    load_files(con, files, reps)
    return reps


def fields(line: str) -> list[str]:
    return next(csv.reader(io.StringIO(line)))


def join(vals: list[str], eol: str = "\r\n") -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=eol).writerow(vals)
    return buf.getvalue()


# -- headers ----------------------------------------------------------------------------------

def test_header_variants_on_real_files(mirror: Path):
    assert check_header(mirror / LANCS) == "standard"
    assert check_header(mirror / GWENT) == "standard"
    assert check_header(mirror / ESSEX) == "snake_case"


def test_wrong_header_names_file_row_and_column(mirror: Path, tmp_path: Path):
    lines = real_lines(mirror, LANCS, 3)
    lines[0] = lines[0].replace("Latitude", "Lat")
    p = write(tmp_path, "2022-05-lancashire-street.csv", lines)
    with pytest.raises(InputError) as ei:
        check_header(p)
    msg = str(ei.value)
    assert str(p) in msg and "row 1" in msg and "'Lat'" in msg and "'Latitude'" in msg


def test_missing_column_header(mirror: Path, tmp_path: Path):
    lines = real_lines(mirror, ESSEX, 2)
    lines[0] = lines[0].replace(",context", "")
    p = write(tmp_path, "2018-01-essex-street.csv", lines)
    with pytest.raises(InputError, match=r"row 1.*missing column 'context'"):
        check_header(p)


def test_empty_file(tmp_path: Path):
    p = write(tmp_path, "2022-05-lancashire-street.csv", [])
    with pytest.raises(InputError, match="empty"):
        check_header(p)


def test_snake_case_variant_loads_with_note(con, mirror: Path, tmp_path: Path):
    p = write(tmp_path, "2018-01-essex-street.csv", real_lines(mirror, ESSEX, 50))
    (fr,) = load(con, p)
    assert fr.rows_read == 50 and fr.rows_read == fr.rows_kept + fr.rows_rejected
    assert "snake_case" in fr.note
    assert con.execute("SELECT header FROM crime_file").fetchone()[0] == "snake_case"
    assert tuple(c.lower().replace(" ", "_") for c in STANDARD_COLUMNS) == SNAKE_COLUMNS


# -- bad rows ---------------------------------------------------------------------------------

def test_truncated_file_rejects_last_row_with_its_number(con, mirror: Path, tmp_path: Path):
    lines = real_lines(mirror, LANCS, 20)
    last = lines[-1]
    lines[-1] = last[: len(last) // 3]  # the file stops mid-row, as a cut download would
    p = write(tmp_path, "2022-05-lancashire-street.csv", lines)
    (fr,) = load(con, p)
    assert fr.rows_read == 20 and fr.rows_read == fr.rows_kept + fr.rows_rejected
    rej = con.execute('SELECT "row", reason, raw FROM rejected_rows WHERE reason LIKE ?',
                      [REASONS["malformed"] + "%"]).fetchall()
    assert len(rej) == 1 and rej[0][0] == 20
    assert "Expected Number of Columns: 12" in rej[0][1]
    assert rej[0][2] == lines[-1].strip()


def test_non_numeric_coordinates_rejected_with_row_and_column(con, mirror: Path, tmp_path: Path):
    lines = real_lines(mirror, LANCS, 10)
    for i, bad in ((3, "abc"), (7, "53,5")):
        f = fields(lines[i])
        f[4 if i == 3 else 5] = bad
        lines[i] = join(f)
    p = write(tmp_path, "2022-05-lancashire-street.csv", lines)
    (fr,) = load(con, p)
    got = con.execute('SELECT "row", "column", reason FROM rejected_rows ORDER BY 1').fetchall()
    assert (3, "Longitude", REASONS["non_numeric"]) in got
    assert (7, "Latitude", REASONS["non_numeric"]) in got
    assert fr.rows_read == 10 and fr.rows_read == fr.rows_kept + fr.rows_rejected


def test_kept_rows_keep_their_file_row_numbers(con, mirror: Path, tmp_path: Path):
    lines = real_lines(mirror, LANCS, 40)
    ids = {}
    for i in range(1, 41):
        f = fields(lines[i])
        if i in (5, 6, 17):
            f[4] = "x"  # rejected by the reader (CAST)
        if i == 30:
            lines[i] = ",".join(f[:6]) + "\r\n"  # rejected by the reader (missing columns)
            continue
        f[0] = f"id-{i}"  # unique IDs, so the row number can be checked for every kept row
        lines[i] = join(f)
        ids[f"id-{i}"] = i
    p = write(tmp_path, "2022-05-lancashire-street.csv", lines)
    (fr,) = load(con, p)
    kept = dict(con.execute('SELECT crime_id, "row" FROM crime_point').fetchall())
    assert kept and all(ids[k] == r for k, r in kept.items()), sorted(kept.items(), key=lambda kv: kv[1])
    assert {r for (r,) in con.execute('SELECT "row" FROM rejected_rows').fetchall()} >= {5, 6, 17, 30}


def test_each_reason_is_counted(con, mirror: Path, tmp_path: Path):
    lines = real_lines(mirror, LANCS, 30)
    f = [fields(x) for x in lines[1:]]
    f[0][4] = f[0][5] = ""                       # row 1: no coordinates
    f[1][9] = "Violence"                         # row 2: unknown crime type
    f[3][0] = f[2][0] = f[2][0] or "dup-id"      # rows 3, 4: same Crime ID -> row 4 duplicate
    f[4][4], f[4][5] = "-3.0", "95.0"            # row 5: latitude out of range
    f[5][1] = "2022-13"                          # row 6: bad Month
    gw = fields(real_lines(mirror, GWENT, 1)[1])  # row 7: a real Gwent (Wales) point
    f[6][4], f[6][5] = gw[4], gw[5]
    f[7][0] = ""                                 # rows 8, 9: blank IDs are never duplicates
    f[8][0] = ""
    lines = [lines[0]] + [join(x) for x in f]
    p = write(tmp_path, "2022-05-lancashire-street.csv", lines)
    (fr,) = load(con, p)
    rows = dict(con.execute('SELECT "row", reason FROM rejected_rows').fetchall())
    assert rows[1] == REASONS["no_coords"]
    assert rows[2] == REASONS["unknown_type"]
    assert rows[4] == REASONS["duplicate"] and 3 not in rows
    assert rows[5] == REASONS["bad_coords"]
    assert rows[6] == REASONS["bad_month"]
    assert rows[7] == REASONS["outside"]
    assert 8 not in rows and 9 not in rows
    assert fr.reasons["no_coords"] >= 1 and fr.reasons["duplicate"] >= 1
    assert fr.rows_read == 30 == fr.rows_kept + fr.rows_rejected
    n_rej = con.execute("SELECT count(*) FROM rejected_rows").fetchone()[0]
    assert n_rej == fr.rows_rejected


def test_duplicate_crime_id_across_files(con, mirror: Path, tmp_path: Path):
    (tmp_path / "a").mkdir()
    a = write(tmp_path / "a", "2022-05-lancashire-street.csv", real_lines(mirror, LANCS, 10))
    lines = real_lines(mirror, LANCS, 10)
    lines[1:] = [x.replace("2022-05", "2022-06", 1) for x in lines[1:]]
    (tmp_path / "b").mkdir()
    b = write(tmp_path / "b", "2022-06-lancashire-street.csv", lines)
    r1, r2 = load(con, a, b)
    with_id = sum(1 for x in real_lines(mirror, LANCS, 10)[1:] if fields(x)[0])
    assert r2.reasons.get("duplicate", 0) == with_id
    assert r1.rows_kept + r1.rows_rejected == r1.rows_read == 10


def test_unterminated_quote_is_a_clear_error(con, mirror: Path, tmp_path: Path):
    lines = real_lines(mirror, LANCS, 5)
    f = fields(lines[3])
    lines[3] = ",".join(f[:6]) + ',"On or near ' + ",".join(f[7:]) + "\r\n"
    p = write(tmp_path, "2022-05-lancashire-street.csv", lines)
    try:
        (fr,) = load(con, p)
    except InputError as exc:  # structurally unreadable: names the file
        assert str(p) in str(exc)
    else:  # or the reader rejects the row(s) with their number
        assert fr.rows_read == fr.rows_kept + fr.rows_rejected
        rows = [r for (r,) in con.execute('SELECT "row" FROM rejected_rows').fetchall()]
        assert 3 in rows


def test_lf_line_endings_and_gwent_outside_england(con, mirror: Path, tmp_path: Path):
    p = write(tmp_path, "2024-07-gwent-street.csv", real_lines(mirror, GWENT, 200))
    (fr,) = load(con, p)
    assert fr.rows_read == 200 == fr.rows_kept + fr.rows_rejected
    assert fr.reasons.get("outside", 0) >= 150


# -- file discovery ---------------------------------------------------------------------------

def test_discover_dirs_lists_and_names(mirror: Path, tmp_path: Path):
    files = discover([mirror / "crime/police_uk/2022-05", mirror / LANCS])
    assert len(files) == 1 and files[0].force == "lancashire" and files[0].month == "2022-05"
    with pytest.raises(InputError, match="no such file"):
        discover([tmp_path / "nope"])
    with pytest.raises(InputError, match="no police.uk"):
        discover([tmp_path])
    with pytest.raises(InputError, match="file name"):
        parse_name(Path("lancs.csv"))
    (tmp_path / "x").mkdir()
    write(tmp_path / "x", "2022-05-lancashire-street.csv", real_lines(mirror, LANCS, 1))
    with pytest.raises(InputError, match="second file"):
        discover([mirror / LANCS, tmp_path / "x"])

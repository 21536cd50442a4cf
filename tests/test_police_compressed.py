"""police.uk files as users and the publisher give them: gzipped, zipped, police.uk's archive.

Every variant is made in the test from the mirror's real monthly files (no copies in the
repository). A ``.csv.gz`` or a ``.zip`` in a month folder used to be skipped in silence
(issue 18, item 4); now they are read, and every other file in a month folder (or zip) is
listed in the load report as not read, with the reason. The police.uk archive layout
(``YYYY-MM/YYYY-MM-<force>-street.csv`` members) is read straight from the zip: its
results equal those of the same files read from folders.
"""

from __future__ import annotations

import gzip
import shutil
import zipfile
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from needsmap.context import BuildContext, BuildOptions
from needsmap.crime.build import build_outputs, load, stage
from needsmap.ingest.police import scan
from needsmap.ingest.report import InputError, LoadReport
from needsmap.settings import Settings
from needsmap.sources import Resolver, load_catalogue
from needsmap.store.db import connect

LANCS = "crime/police_uk/2022-05/2022-05-lancashire-street.csv"


@pytest.fixture(scope="module")
def base_db(blackpool_store: Path, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("police_zip") / "base.duckdb"
    con = connect(db)
    con.execute(f"ATTACH '{blackpool_store}' AS s (READ_ONLY)")
    con.execute("CREATE TABLE lsoa AS SELECT lsoa_code, ward_code, lad_code, geom FROM s.lsoa")
    con.execute("CREATE TABLE ward_indicators_england AS SELECT * FROM s.ward_indicators_england")
    con.execute("CREATE TABLE lsoa_ward_weight AS SELECT * FROM s.lsoa_ward_weight")
    con.execute("DETACH s")
    con.close()
    return db


def _con(base_db: Path) -> duckdb.DuckDBPyConnection:
    c = connect()
    c.execute(f"ATTACH '{base_db}' AS b (READ_ONLY)")
    c.execute("CREATE TABLE lsoa AS SELECT * FROM b.lsoa")
    c.execute("CREATE TABLE ward_indicators_england AS SELECT * FROM b.ward_indicators_england")
    c.execute("CREATE TABLE lsoa_ward_weight AS SELECT * FROM b.lsoa_ward_weight")
    return c


def archive(mirror: Path, dest: Path) -> Path:
    """police.uk's archive layout from the mirror's 31 files (plus an outcomes file)."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted((mirror / "crime/police_uk").glob("*/*-street.csv")):
            zf.write(f, f"{f.parent.name}/{f.name}")
        zf.writestr("2022-10/2022-10-lancashire-outcomes.csv", "Crime ID,Month\n")
    return dest


def test_archive_is_read_in_the_zip_and_equals_the_folders(base_db, mirror, tmp_path):
    zp = archive(mirror, tmp_path / "latest.zip")
    out = {}
    for label, src in (("folders", mirror / "crime/police_uk"), ("zip", zp)):
        con = _con(base_db)
        found = scan([src])
        reps = load(con, found.files, mirror / "lookups/lsoa11_lsoa21_lad22_ew_lu.csv")
        build_outputs(con)
        out[label] = (
            [(r.rows_read, r.rows_kept, r.rows_rejected) for r in reps],
            con.execute("SELECT * FROM ward_crime ORDER BY ward_code").fetchall(),
            con.execute("SELECT row, crime_id, crime_type, lsoa_code FROM crime_point "
                        "ORDER BY file_id, row").fetchall(),
            [s.reason for s in found.skipped])
        con.close()
    assert len(out["zip"][0]) == 31
    assert out["zip"][0] == out["folders"][0]
    assert out["zip"][1] == out["folders"][1]
    assert out["zip"][2] == out["folders"][2]
    assert out["folders"][3] == []
    assert len(out["zip"][3]) == 1 and "outcomes" in out["zip"][3][0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.zip"]  # nothing unpacked


def test_archive_reads_the_twelve_latest_months_of_each_force(mirror, tmp_path):
    zp = tmp_path / "2022-10.zip"
    src = (mirror / LANCS).read_bytes()
    with zipfile.ZipFile(zp, "w", zipfile.ZIP_DEFLATED) as zf:
        for m in ["2021-08", "2021-09", "2021-10", "2021-11", "2022-05", "2022-10"]:
            zf.writestr(f"{m}/{m}-lancashire-street.csv", src)
    found = scan([zp])
    assert [f.month for f in found.files] == ["2021-11", "2022-05", "2022-10"]
    assert len(found.skipped) == 3
    assert all("older than the 12 latest months of lancashire" in s.reason
               and "2021-11 to 2022-10 are read" in s.reason for s in found.skipped)


def test_gzip_and_zip_in_a_month_folder_read_like_the_csv(base_db, mirror, tmp_path):
    data = (mirror / LANCS).read_bytes()
    plain, gz, zz = (tmp_path / n / "2022-05" for n in ("plain", "gz", "zip"))
    for d in (plain, gz, zz):
        d.mkdir(parents=True)
    (plain / "2022-05-lancashire-street.csv").write_bytes(data)
    (gz / "2022-05-lancashire-street.csv.gz").write_bytes(gzip.compress(data))
    with zipfile.ZipFile(zz / "2022-05.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("2022-05-lancashire-street.csv", data)
    got = {}
    for d in (plain, gz, zz):
        con = _con(base_db)
        (r,) = load(con, scan([d.parent]).files, None)
        got[d.parent.name] = (r.rows_read, r.rows_kept, r.rows_rejected, r.reasons)
        if d is not plain:
            assert ("read gzipped" if d is gz else "read in the zip") in r.note
        con.close()
    assert got["gz"] == got["plain"] == got["zip"]
    assert got["plain"][0] == 18_185  # the mirror README's row count for 2022-05


def test_every_other_file_in_a_month_folder_is_listed_with_why(mirror, tmp_path):
    d = tmp_path / "2022-05"
    d.mkdir()
    shutil.copyfile(mirror / LANCS, d / "2022-05-lancashire-street.csv")
    (d / "2022-05-lancashire-outcomes.csv").write_text("Crime ID,Month\n")
    (d / "README.txt").write_text("from data.police.uk\n")
    (d / "lancashire may.csv").write_bytes((mirror / LANCS).read_bytes())
    (d / "2022-04-lancashire-street.csv.bz2").write_bytes(b"BZh9")
    found = scan([tmp_path])
    assert [f.name for f in found.files] == ["2022-05-lancashire-street.csv"]
    why = {Path(s.file).name: s.reason for s in found.skipped}
    assert set(why) == {"2022-05-lancashire-outcomes.csv", "README.txt", "lancashire may.csv",
                        "2022-04-lancashire-street.csv.bz2"}
    assert "outcomes file" in why["2022-05-lancashire-outcomes.csv"]
    assert "not a police.uk street-level file" in why["README.txt"]
    assert "rename it" in why["lancashire may.csv"]
    assert "bzip2" in why["2022-04-lancashire-street.csv.bz2"]


def test_broken_compressed_files_are_clear_errors(mirror, tmp_path):
    data = (mirror / LANCS).read_bytes()
    bad = tmp_path / "a" / "2022-05-lancashire-street.csv.gz"
    bad.parent.mkdir()
    bad.write_bytes(gzip.compress(data)[: 5000])
    from needsmap.ingest.police import check_header

    with pytest.raises(InputError, match="csv.gz"):
        for f in scan([bad.parent]).files:
            check_header(f)
    notzip = tmp_path / "b" / "2022-05.zip"
    notzip.parent.mkdir()
    notzip.write_bytes(data[:1000])
    with pytest.raises(InputError, match="not a readable zip"):
        scan([notzip.parent])
    two = tmp_path / "c"
    two.mkdir()
    (two / "2022-05-lancashire-street.csv").write_bytes(data)
    (two / "2022-05-lancashire-street.csv.gz").write_bytes(gzip.compress(data))
    with pytest.raises(InputError, match="second file for lancashire 2022-05"):
        scan([two])


def test_the_stage_writes_a_load_report_line_per_file_not_read(blackpool_store, mirror, tmp_path):
    d = tmp_path / "police" / "2022-05"
    d.mkdir(parents=True)
    (d / "2022-05-lancashire-street.csv.gz").write_bytes(gzip.compress((mirror / LANCS).read_bytes()))
    (d / "notes.txt").write_text("x\n")
    con = connect()
    con.execute(f"ATTACH '{blackpool_store}' AS s (READ_ONLY)")
    con.execute("CREATE TABLE lsoa AS SELECT lsoa_code, ward_code, lad_code, geom FROM s.lsoa")
    con.execute("CREATE TABLE ward_indicators_england AS SELECT * FROM s.ward_indicators_england")
    con.execute("CREATE TABLE lsoa_ward_weight AS SELECT * FROM s.lsoa_ward_weight")
    con.execute("DETACH s")
    settings = Settings(db_path=tmp_path / "x.duckdb", mirror=None, cache_dir=tmp_path / "cache",
                        offline=True)
    ctx = BuildContext(con=con, settings=settings, resolver=Resolver(settings.cache_dir, None,
                       offline=True), catalogue=load_catalogue(), report=LoadReport(),
                       console=Console(quiet=True),
                       options=BuildOptions(police_paths=(str(tmp_path / "police"),)))
    stage(ctx)
    ctx.report.write(con)
    rows = con.execute("SELECT file, rows_read, rows_kept, rows_rejected, note FROM load_report "
                       "ORDER BY file").fetchall()
    con.close()
    assert len(rows) == 2
    gz = next(r for r in rows if r[0].endswith(".csv.gz"))
    assert gz[1] == 18_185 and gz[1] == gz[2] + gz[3] and "read gzipped" in gz[4]
    txt = next(r for r in rows if r[0].endswith("notes.txt"))
    assert txt[1:4] == (0, 0, 0) and txt[4].startswith("not read: not a police.uk street-level")

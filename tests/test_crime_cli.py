"""``needsmap crime``: atomic (re)load of police.uk files into an existing store."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from needsmap.cli import main
from needsmap.store.db import open_store


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture()
def store_copy(blackpool_store: Path, tmp_path: Path) -> Path:
    db = tmp_path / "store.duckdb"
    shutil.copyfile(blackpool_store, db)
    return db


def test_reload_replaces_crime_tables(store_copy: Path, mirror: Path, monkeypatch, capsys):
    monkeypatch.setenv("NEEDSMAP_MIRROR", str(mirror))
    months = [mirror / f"crime/police_uk/2022-0{m}" for m in (5, 6)]
    rc = main(["crime", "--db", str(store_copy), *map(str, months)])
    assert rc == 0
    out = capsys.readouterr().out
    assert "police.uk files loaded" in out and "lancashire" in out
    con = open_store(store_copy)
    try:
        cov = con.execute("SELECT police_force, count(*) FROM crime_coverage GROUP BY 1").fetchall()
        assert cov == [("lancashire", 2)]
        lr = con.execute("SELECT count(*), sum(rows_read), sum(rows_kept + rows_rejected) "
                         "FROM load_report WHERE source_id = 'police_uk'").fetchone()
        assert lr[0] == 2 and lr[1] == lr[2]
        rej = con.execute("SELECT count(*) FROM rejected_rows WHERE source_id = 'police_uk'"
                          ).fetchone()[0]
        assert rej == con.execute("SELECT sum(rows_rejected) FROM crime_file").fetchone()[0]
        # two months are not a full 12: no ward has full coverage, so no rates
        full = con.execute("SELECT count(*) FILTER (WHERE full_coverage), "
                           "count(rate_12m_per_1000) FROM ward_crime").fetchone()
        assert full == (0, 0)
        src = con.execute("SELECT count(*) FROM source WHERE source_id LIKE 'police_uk:%'"
                          ).fetchone()[0]
        assert src == 2
        # other tables are untouched
        assert con.execute("SELECT count(*) FROM lsoa").fetchone()[0] == 33755
    finally:
        con.close()


def test_bad_file_leaves_store_untouched(store_copy: Path, mirror: Path, tmp_path: Path, capsys):
    src = mirror / "crime/police_uk/2022-05/2022-05-lancashire-street.csv"
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)[:5]
    lines[0] = lines[0].replace("Crime type", "Type")
    bad = tmp_path / "2022-05-lancashire-street.csv"
    bad.write_text("".join(lines), encoding="utf-8", newline="")
    before = sha(store_copy)
    rc = main(["crime", "--db", str(store_copy), str(bad)])
    assert rc == 1
    err = capsys.readouterr().err
    assert "row 1" in err and "Type" in err and "untouched" in err
    assert sha(store_copy) == before
    assert not list(tmp_path.glob("store.duckdb.building-*"))


def test_missing_store(tmp_path: Path, mirror: Path, capsys):
    rc = main(["crime", "--db", str(tmp_path / "none.duckdb"),
               str(mirror / "crime/police_uk/2022-05")])
    assert rc == 1
    assert "No needsmap store" in capsys.readouterr().err

"""``needsmap index`` on a small store: writes the tables, in one transaction."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest
from test_index_methods import random_frame

import needsmap.index.tables as index_build
from needsmap.cli import main
from needsmap.settings import SCHEMA_VERSION


@pytest.fixture()
def small_store(tmp_path: Path) -> Path:
    df = random_frame(n=400)
    df["ward_name"] = [f"Ward {i}" for i in range(len(df))]
    df["lad_name"] = [f"LA {c[-2:]}" for c in df["lad_code"]]
    db = tmp_path / "small.duckdb"
    con = duckdb.connect(str(db))
    con.register("f", df)
    con.execute("CREATE TABLE ward_indicators_england AS SELECT * FROM f")
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', $v)", {"v": str(SCHEMA_VERSION)})
    con.close()
    return db


def read(db: Path, sql: str):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_index_cli_writes_tables(small_store, capsys):
    rc = main(["index", "--db", str(small_store), "--method", "weighted",
               "--weights", "child_poverty=0.4,income=0.3,crime=0.2,density=0.1", "--top", "5"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "Highest modelled ACE risk in England" in out and "not a screening" in out
    n, nd, nb = read(small_store, "SELECT count(*), count(ace_decile_england), "
                                  "count(stability_band) FROM ward_ace")[0]
    assert n == nd == nb == 400
    assert read(small_store, "SELECT count(*) FROM lad_ace")[0][0] == 12
    cfg = dict(read(small_store, "SELECT key, value FROM ace_config"))
    assert cfg["method"] == "weighted" and '"child_poverty": 0.4' in cfg["weights"]


def test_index_cli_lad_scope(small_store, capsys):
    assert main(["index", "--db", str(small_store), "--scope", "lad"]) == 0
    assert "each LA" in capsys.readouterr().out
    rows = read(small_store, "SELECT count(*), count(ace_rank_england), count(ace_rank_in_lad) "
                             "FROM ward_ace")[0]
    assert rows == (400, 0, 400)
    # lad_ace stays national
    assert read(small_store, "SELECT count(ace_rank_england) FROM lad_ace")[0][0] == 12


@pytest.mark.parametrize("argv, msg", [
    (["--method", "median"], "valid methods"),
    (["--weights", "context=-1"], "negative"),
    (["--method", "lewer", "--weights", "income=-1"], "negative"),
    (["--weights", "foo=1"], "valid domains"),
    (["--method", "lewer", "--weights", "foo=1"], "valid indicators"),
    (["--weights", "income=1"], "indicator weights need one of the methods lewer"),
    (["--draws", "50"], "at least 200"),
])
def test_index_cli_rejects_bad_input(small_store, capsys, argv, msg):
    assert main(["index", "--db", str(small_store), *argv]) == 2
    assert msg in capsys.readouterr().err.replace("\n", " ")


def test_index_cli_missing_store(tmp_path, capsys):
    assert main(["index", "--db", str(tmp_path / "nope.duckdb")]) == 2
    assert "needsmap build" in capsys.readouterr().err


def test_failed_write_leaves_previous_tables(small_store, monkeypatch):
    assert main(["index", "--db", str(small_store)]) == 0
    before = read(small_store, "SELECT ward_code, ace_score FROM ward_ace ORDER BY ward_code")
    real = index_build.run_sql

    def failing(con, name, params=None):
        real(con, name, params)
        if name == "ace_tables":  # ward_ace and lad_ace already replaced in the transaction
            raise duckdb.IOException("simulated failure")

    monkeypatch.setattr(index_build, "run_sql", failing)
    assert main(["index", "--db", str(small_store), "--method", "exponential"]) == 1
    after = read(small_store, "SELECT ward_code, ace_score FROM ward_ace ORDER BY ward_code")
    assert after == before
    assert read(small_store, "SELECT DISTINCT method FROM ward_ace")[0][0] == "domains"
    assert np.isfinite([s for _, s in after]).all()

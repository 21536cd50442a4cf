"""``needsmap run`` (what ``scripts/run`` calls): builds a missing store, then opens the app.

Its own parser once lacked an option that ``build`` had gained (``--ward-weights``), and
``scripts/run`` on a fresh machine crashed after the downloads; this runs the command's
real code path on the mirror (the app start itself is replaced by a stand-in).
"""

from __future__ import annotations

import duckdb

from needsmap import cli


def test_run_builds_a_missing_store_then_opens_the_app(tmp_path, mirror, monkeypatch):
    opened = []
    monkeypatch.setattr(cli, "cmd_app", lambda args: opened.append(args.db) or 0)
    monkeypatch.setenv("NEEDSMAP_CACHE", str(tmp_path / "cache"))
    db = tmp_path / "run.duckdb"
    rc = cli.main(["run", "--la", "Blackpool", "--db", str(db), "--mirror", str(mirror),
                   "--offline"])
    assert rc == 0 and opened == [str(db)]
    con = duckdb.connect(str(db), read_only=True)
    try:
        n = con.execute("SELECT count(*) FROM ward_indicators WHERE lad_name = 'Blackpool'")
        assert n.fetchone()[0] == 21
    finally:
        con.close()


def test_run_accepts_every_build_option_it_passes_on():
    """Every option ``cmd_build`` reads is on ``run``'s parser too (with the same default)."""
    build = cli.make_parser().parse_args(["build"])
    run = cli.make_parser().parse_args(["run"])
    for name in ("la", "mirror", "cache", "offline", "ward_weights"):
        assert hasattr(run, name), name
        assert getattr(run, name) == getattr(build, name), name

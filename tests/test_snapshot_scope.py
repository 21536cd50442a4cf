"""Localities in another LA, and the TOML layouts people write (issue 18, items 3 and 7).

Real ward codes: the shipped Dudley set and the ONS LSOA21 -> WD24 -> LAD24 lookup in the
mirror. Before: Dudley localities run with ``--la Blackpool`` were published as "Locality
in Blackpool" (exit 0); ``[localities.North] wards = [...]`` was refused; a name in both
``[localities]`` and ``[[locality]]`` was merged without a word.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from needsmap.scope import UnknownArea
from needsmap.settings import REPO_ROOT
from needsmap.snapshot.localities import LocalityFileError, WardInfo, parse_localities

DUDLEY = REPO_ROOT / "geodata" / "localities" / "dudley_localities.csv"
ROWLEY = "E05001275"  # a Sandwell ward, next to Dudley


@pytest.fixture(scope="module")
def wards(mirror: Path) -> dict[str, WardInfo]:
    lu = mirror / "lookups" / "lsoa21_wd24_lad24_ew_lu.csv"
    rows = duckdb.sql(
        f"SELECT DISTINCT WD24CD, WD24NM, LAD24CD, LAD24NM FROM read_csv('{lu}', all_varchar=true) "  # noqa: S608 - test path
        "WHERE WD24CD LIKE 'E05%'").fetchall()
    return {r[0]: WardInfo(*r) for r in rows}


@pytest.fixture(scope="module")
def dudley(wards) -> dict[str, list[str]]:
    return parse_localities(DUDLEY.read_bytes(), DUDLEY.name, wards).groups()


def problems(e: pytest.ExceptionInfo[LocalityFileError]) -> list[str]:
    return [str(p) for p in e.value.problems]


# -- cross-LA localities ------------------------------------------------------------------

def test_localities_outside_the_la_are_refused_naming_row_and_la(wards):
    with pytest.raises(LocalityFileError) as e:
        parse_localities(DUDLEY.read_bytes(), DUDLEY.name, wards, la="Blackpool")
    msgs = problems(e)
    assert len(msgs) == 5  # one per locality
    assert msgs[0].startswith("dudley_localities.csv, row 1, column 'ward_code': locality "
                              "'North Dudley': its wards are in Dudley, not in Blackpool")
    assert all("Choose Dudley as the LA, or leave out --la" in m for m in msgs)


@pytest.mark.parametrize("la", ["Dudley", "  dudley ", "E08000027"])
def test_localities_inside_the_la_are_accepted(wards, dudley, la):
    assert parse_localities(DUDLEY.read_bytes(), DUDLEY.name, wards, la=la).groups() == dudley


def test_locality_spanning_two_las_is_refused_with_la_and_kept_without(wards, dudley):
    text = DUDLEY.read_text(encoding="utf-8") + f"North Dudley,{ROWLEY},Rowley\n"
    with pytest.raises(LocalityFileError) as e:
        parse_localities(text, "span.csv", wards, la="Dudley")
    (msg,) = problems(e)
    assert "row 25" in msg and "1 of its 5 wards are in Sandwell, not in Dudley" in msg
    assert f"{ROWLEY} Rowley" in msg and "Leave out --la" in msg and "Choose" not in msg
    s = parse_localities(text, "span.csv", wards)  # no --la: compared with its own LA
    assert s.groups()["North Dudley"] == [*dudley["North Dudley"], ROWLEY]


def test_unknown_la_is_an_unknown_area(wards):
    with pytest.raises(UnknownArea, match="did you mean: Dudley"):
        parse_localities(DUDLEY.read_bytes(), DUDLEY.name, wards, la="Dudly")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "needsmap.cli", *args], capture_output=True,
                          text=True, cwd=REPO_ROOT, timeout=900, check=False)


def test_snapshot_cli_never_labels_a_locality_with_an_la_it_is_not_in(blackpool_store, tmp_path,
                                                                      report_figure):
    out = tmp_path / "snap"
    res = _cli("snapshot", "--db", str(blackpool_store), "--locality-file", str(DUDLEY),
               "--la", "Blackpool", "--out", str(out), "--format", "html")
    err = " ".join(res.stderr.split())
    assert res.returncode == 1, res.stdout + err
    assert "not in Blackpool" in err and "Traceback" not in err
    assert not out.exists(), "nothing is written for a refused set"
    # without --la: each locality is compared with its own LA, also on a Blackpool store;
    # a locality spanning two LAs is labelled with both
    span = tmp_path / "span.csv"
    span.write_text(DUDLEY.read_text(encoding="utf-8") + f"North Dudley,{ROWLEY},Rowley\n",
                    encoding="utf-8")
    res = _cli("snapshot", "--db", str(blackpool_store), "--locality-file", str(span),
               "--out", str(out), "--format", "html")
    assert res.returncode == 0, res.stderr[-2000:]
    pages = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.html")}
    assert len(pages) == 6
    for name, html in pages.items():
        if name == "index.html":
            continue
        assert "Locality in Dudley (E08000027)" in html and "Locality in Blackpool" not in html
        assert "compared with Blackpool" not in html and "<th class=\"num\">Blackpool" not in html
    north = " ".join(pages["north-dudley.html"].split())
    assert "Locality in Dudley (E08000027) and Sandwell" in north
    assert "spans more than one LA (Dudley, Sandwell); it is compared with Dudley, which holds " \
           "most of its residents" in north
    report_figure("snapshots: Dudley localities with --la Blackpool -> refused (exit 1, 5 "
                  "problems); without --la -> 'Locality in Dudley', a Dudley+Sandwell locality "
                  "-> 'Locality in Dudley and Sandwell'")


def test_build_snapshot_refuses_a_comparator_la_the_locality_is_not_in(blackpool_store, dudley):
    from needsmap.snapshot.content import build_snapshot
    from needsmap.store.db import open_store

    con = open_store(blackpool_store)
    try:
        with pytest.raises(ValueError, match="its wards are in Dudley, not in the LA E06000009"):
            build_snapshot(con, "North Dudley", dudley["North Dudley"], la_code="E06000009",
                           with_map=False)
    finally:
        con.close()


# -- TOML layouts ------------------------------------------------------------------------

def _q(codes: list[str]) -> str:
    return "[" + ", ".join(f'"{c}"' for c in codes) + "]"


def test_toml_nested_table_layout_is_accepted(wards, dudley):
    text = "\n".join(f'[localities."{n}"]\nwards = {_q(c)}\n' for n, c in dudley.items())
    assert parse_localities(text, "nested.toml", wards).groups() == dudley
    # bare keys and the three layouts mixed, each locality once
    names = list(dudley)
    mixed = (f'[localities]\n"{names[0]}" = {_q(dudley[names[0]])}\n'
             f'[localities.Stourbridge]\nwards = {_q(dudley["Stourbridge"])}\n'
             + "".join(f'[[locality]]\nname = "{n}"\nwards = {_q(dudley[n])}\n'
                       for n in names[1:] if n != "Stourbridge"))
    assert parse_localities(mixed, "mixed.toml", wards).groups() == dudley


def test_toml_nested_table_needs_wards_and_nothing_else(wards):
    with pytest.raises(LocalityFileError) as e:
        parse_localities('[localities.North]\nward = ["E05015908"]\n', "typo.toml", wards)
    (msg,) = problems(e)
    assert "typo.toml, column 'localities.North (line 1)'" in msg
    assert "unknown key(s) 'ward'; expected wards = [ward codes]" in msg


def test_same_name_in_both_toml_layouts_is_refused_not_merged(wards):
    text = ('[localities]\nNorth = ["E05015908", "E05015910"]\n'
            '[[locality]]\nname = "North"\nwards = ["E05015921"]\n')
    with pytest.raises(LocalityFileError) as e:
        parse_localities(text, "twice.toml", wards)
    (msg,) = problems(e)
    assert "locality 'North' is defined twice (localities.North and locality[1])" in msg
    assert "not merged" in msg and "line 4" in msg
    text2 = ('[[locality]]\nname = "North"\nwards = ["E05015908"]\n'
             '[[locality]]\nname = "North"\nwards = ["E05015921"]\n')
    with pytest.raises(LocalityFileError, match=r"defined twice \(locality\[1\] and locality\[2\]\)"):
        parse_localities(text2, "twice2.toml", wards)

"""SQL injection: every user-supplied value reaches DuckDB as a bound parameter.

Two kinds of check:

* a static scan (AST) of every ``execute``/``sql`` call built from an f-string or
  ``%``/``.format``; the interpolated expressions are printed (for the report) and
  none may be a user-supplied value;
* hostile text pushed through every entry point that takes user text (LA filters on
  the CLI, ward names stored in the data, locality names, uploaded CSV text): each
  must be inert. Store tests run on a writable copy of the Blackpool store and check
  that no table disappeared or changed size.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src" / "needsmap"

HOSTILE = [
    "Blackpool'; DROP TABLE ward_indicators; --",
    "x' OR '1'='1",
    "E06000009' UNION SELECT lad_code, lad_name FROM lad_indicators --",
    "Robert'); DELETE FROM lsoa; --",
    "$l",
    "'; ATTACH '/tmp/evil.duckdb' AS evil; --",
    "\"; COPY lsoa TO '/tmp/h_hard_exfil.csv'; --",
    "<script>alert(1)</script>",
    "%'--",
]

#: Names of variables that carry user-supplied values; none may be formatted into SQL.
USER_VALUE_NAMES = {"name", "names", "la", "las", "la_name", "ward_name", "locality", "query",
                    "search", "text", "label", "filename", "upload", "payload", "item",
                    "requested", "value", "values", "user", "title", "raw", "url"}


#: Sites checked by hand where a flagged name is not a user value.
REVIEWED = {
    # ``raw`` is SQL text joining quoted *column identifiers* the loader declares
    # (qi(c) for c in raw_cols), used to rebuild the raw text of a rejected row.
    "src/needsmap/ingest/csvio.py": {"raw"},
}


def _sql_sites() -> list[tuple[str, int, str, list[str]]]:
    """(file, line, call, interpolated expressions) of SQL built by string formatting."""
    sites = []
    files = [*SRC.rglob("*.py"), REPO / "app.py"]
    for f in files:
        if not f.exists():
            continue
        tree = ast.parse(f.read_text(encoding="utf-8"), filename=str(f))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"execute", "executemany", "sql", "query"}
                    and node.args):
                continue
            arg = node.args[0]
            exprs: list[str] = []
            if isinstance(arg, ast.JoinedStr):
                exprs = [ast.unparse(v.value) for v in arg.values
                         if isinstance(v, ast.FormattedValue)]
            elif isinstance(arg, ast.BinOp) and isinstance(arg.op, (ast.Mod, ast.Add)):
                exprs = [ast.unparse(arg)]
            elif (isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute)
                  and arg.func.attr == "format"):
                exprs = [ast.unparse(a) for a in arg.args] + [ast.unparse(k.value) for k in arg.keywords]
            if exprs:
                sites.append((str(f.relative_to(REPO)), node.lineno, node.func.attr, exprs))
    return sites


def _names(expr: str) -> set[str]:
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}


def test_no_user_value_is_formatted_into_sql(report_figure):
    sites = _sql_sites()
    print(f"\n{len(sites)} SQL statements built with string formatting (identifiers only):")
    offenders = []
    for f, line, call, exprs in sites:
        print(f"  {f}:{line} {call}: {', '.join(e[:60] for e in exprs)}")
        bad = set().union(*(_names(e) for e in exprs)) & USER_VALUE_NAMES
        bad -= REVIEWED.get(f, set())
        if bad:
            offenders.append(f"{f}:{line} formats {sorted(bad)} into SQL")
    report_figure(f"SQL scan: {len(sites)} statements built with string formatting, "
                  f"{len(offenders)} formatting a user value")
    assert not offenders, "user values formatted into SQL:\n" + "\n".join(offenders)


def test_queries_use_bound_parameters_only():
    """``queries/*.sql`` never use ``${...}`` text substitution, only ``$name`` / ``?``."""
    bad = [p.name for p in (REPO / "queries").glob("*.sql") if "${" in p.read_text()]
    assert not bad, bad


# -- LA filter: the CLI ---------------------------------------------------------------------------

def test_la_filter_injection_on_the_cli_is_inert(tmp_path, mirror):
    db = tmp_path / "store.duckdb"
    res = subprocess.run(
        [sys.executable, "-m", "needsmap.cli", "build", "--la", HOSTILE[0], "--db", str(db),
         "--mirror", str(mirror), "--cache", str(tmp_path / "cache"), "--offline"],
        capture_output=True, text=True, timeout=300, cwd=REPO, check=False)
    err = " ".join(res.stderr.split())
    assert res.returncode == 1, res.stdout + res.stderr
    assert "unknown local authority" in err and "Traceback" not in res.stderr
    assert not db.exists() and not list(tmp_path.glob("store.duckdb.building-*"))


def test_resolve_las_treats_text_as_data(mirror):
    from needsmap.ingest.lookup import load_lookup
    from needsmap.ingest.report import FileReport
    from needsmap.scope import resolve_las
    from needsmap.store.db import connect

    con = connect(None)
    f = mirror / "lookups/lsoa21_wd24_lad24_ew_lu.csv"
    load_lookup(con, f, FileReport("t", str(f)))
    n = con.execute("SELECT count(*) FROM lookup_lsoa21_wd24").fetchone()[0]
    lads = con.execute("SELECT DISTINCT lad_code, lad_name FROM lookup_lsoa21_wd24").fetchall()
    for text in HOSTILE:
        with pytest.raises(KeyError, match="unknown local authority"):
            resolve_las([text], lads)
    assert resolve_las(["blackpool", " E06000009 "], lads).lad_codes == ("E06000009",)
    assert con.execute("SELECT count(*) FROM lookup_lsoa21_wd24").fetchone()[0] == n
    con.close()


# -- store-level entry points, on a writable copy ---------------------------------------------------

@pytest.fixture()
def store_copy(tmp_path, blackpool_store):
    p = tmp_path / "copy.duckdb"
    shutil.copyfile(blackpool_store, p)
    return p


def _shape(con) -> dict[str, int]:  # noqa: ANN001
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_catalog = current_database() ORDER BY 1").fetchall()]
    return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608 - names from information_schema


def test_hostile_ward_and_locality_names_are_inert(store_copy):
    from needsmap.store.db import connect

    snap = pytest.importorskip("needsmap.snapshot.content")
    from needsmap.snapshot.localities import known_wards, parse_localities

    con = connect(store_copy)
    try:
        wards = con.execute("SELECT ward_code FROM ward_indicators ORDER BY 1").fetchall()
        codes = [w[0] for w in wards]
        # second-order: hostile text stored as a ward name, then read back by the code
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.columns c JOIN information_schema.tables t "
            "USING (table_catalog, table_schema, table_name) WHERE column_name = 'ward_name' "
            "AND table_type = 'BASE TABLE' AND table_schema = 'main'").fetchall()]
        assert tables
        for table in tables:
            con.execute(f'UPDATE "{table}" SET ward_name = $n WHERE ward_code = $c',  # noqa: S608 - names from information_schema
                        {"n": HOSTILE[0] + " <script>alert(1)</script>", "c": codes[0]})
        before = _shape(con)
        for text in HOSTILE:
            with pytest.raises(KeyError):
                snap.resolve_la(con, text)
        kw = known_wards(con)
        assert codes[0] in kw and "DROP TABLE" in kw[codes[0]].ward_name
        # locality names are free text: accepted verbatim, never executed
        csv = "locality,ward_code\n" + "".join(
            f'"{h.replace(chr(34), chr(34) * 2)}",{codes[i % len(codes)]}\n'
            for i, h in enumerate(HOSTILE[:5]))
        ls = parse_localities(csv.encode(), "hostile.csv", wards=kw)
        assert [loc.name for loc in ls] == HOSTILE[:5]
        for loc in ls:
            s = snap.build_snapshot(con, loc.name, loc.ward_codes, la_code="E06000009")
            assert s is not None
        from needsmap.snapshot.render import render_html

        html = render_html(snap.build_snapshot(con, "<script>alert(1)</script>", codes[:3],
                                               la_code="E06000009"))
        assert "<script>alert(1)</script>" not in html
        assert _shape(con) == before
    finally:
        con.close()


def test_hostile_uploaded_csv_text_is_inert(store_copy, mirror, tmp_path):
    from needsmap.areas.locate import locate
    from needsmap.ingest.codepoint import PostcodeIndex, load_codepoint
    from needsmap.ingest.report import FileReport
    from needsmap.ingest.services.user_lists import read_service_csv
    from needsmap.store.db import connect

    pc = PostcodeIndex(load_codepoint(mirror / "postcodes/codepo_gb.zip", tmp_path / "c"))
    rows = ["name,type,postcode,easting,northing"]
    for h in HOSTILE:
        q = h.replace('"', '""')
        rows.append(f'"{q}",library,FY1 1AA,,')
        rows.append(f'Hub {len(rows)},"{q}",,331500,436800')
        rows.append(f'Hub {len(rows)},library,"{q}",,')
    rows.append('"=HYPERLINK(""http://evil"",""x"")",library,,331500,436800')
    data = ("\n".join(rows) + "\n").encode()
    con = connect(store_copy)
    try:
        before = _shape(con)
        fr = FileReport("user", "hostile.csv")
        cand = read_service_csv(data, fr, pc, label="hostile.csv")
        assert fr.rows_read == len(rows) - 1
        assert fr.rows_read == (cand["row"].nunique() if len(cand) else 0) + fr.rows_rejected
        assert any("formula" in r["reason"].lower() for r in fr.rejected)
        if len(cand):
            locate(con, cand)
        assert _shape(con) == before
        try:
            from needsmap.access.upload import validate_upload
        except ImportError:
            return
        accepted, rejected = validate_upload(data, con=con, filename="../../etc/passwd",
                                             max_bytes=5 * 2**20)
        assert len(accepted) + len(rejected) >= 1
        assert _shape(con) == before
        assert not Path("/etc/passwd.needsmap").exists()
    finally:
        con.close()

"""GIAS children's centres: the extract asked for on GIAS's Downloads form, over a loopback.

The loopback server answers at GIAS's paths (``NEEDSMAP_URL_PREFIX``) as the extract request
is described (``tests/gias_site.py``): the Downloads page with its anti-forgery token, the
collate POST with the tags, a page that refreshes until the extract is made, and a zip
holding the children's centres CSV and its links file, made from the mirror's real
Trafford children's centres. Nothing in the network layer is mocked.

The extract served has the mirror's two real centres, under the 50-row floor a national
list must pass: the floor is lowered where the fetch and the build are shown on them,
and kept where it is the point (a two-row national list is refused).
"""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import official_layouts as ol
import pyarrow as pa
import pytest
from badinput.loopback import Loopback, serve
from gias_site import FAULTS, HOST, TAGS, GIASSite, extract_zip
from rich.console import Console

from needsmap.ingest.codepoint import PostcodeIndex
from needsmap.ingest.report import FileReport
from needsmap.ingest.services.national import read_gias_childrens_centres
from needsmap.pipeline import build
from needsmap.settings import Settings
from needsmap.sources import Resolver, SourceUnavailable, gias_extract, layouts, load_catalogue
from needsmap.store.db import open_store

SID = "gias_childrens_centres"


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch) -> None:
    monkeypatch.setattr(gias_extract, "POLL_SECONDS", 0.01)


@pytest.fixture()
def low_floor(monkeypatch) -> None:
    lay = layouts.LAYOUTS["gias_childrens_centres"]
    monkeypatch.setitem(layouts.LAYOUTS, "gias_childrens_centres",
                        dataclasses.replace(lay, min_rows=1))


@contextmanager
def gias(mirror: Path, root: Path, **kw: object) -> Iterator[tuple[Loopback, GIASSite]]:
    """A loopback serving ``root`` (404 for everything else) with GIAS's site on it."""
    site = GIASSite(mirror, **kw)  # type: ignore[arg-type]
    root.mkdir(exist_ok=True)
    with serve(root) as srv:
        srv.app(f"/{HOST}/", site)
        yield srv, site


def resolver(cache: Path, srv: Loopback, **kw: object) -> Resolver:
    kw.setdefault("retries", 1)
    return Resolver(cache, url_prefix=srv.url, progress=False, backoff=0.0, **kw)  # type: ignore[arg-type]


def _q(db: Path, sql: str) -> list[tuple]:
    con = open_store(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_fetch_asks_gias_for_the_extract_and_keeps_the_childrens_centres_csv(
        mirror, tmp_path, low_floor):
    src = load_catalogue().get(SID)
    assert src.fetch == "gias_extract" and src.tags == TAGS and src.downloadable
    with gias(mirror, tmp_path / "root", polls=2) as (srv, site):
        found = resolver(tmp_path / "cache", srv).download_found(src)
    assert found.path == tmp_path / "cache" / src.save_as
    assert found.origin == "download" and found.form == "publisher's file"
    assert found.check.startswith("layout gias_childrens_centres: 13 columns")
    assert found.check.endswith("; 2 rows")
    assert found.url == f"{srv.url}/{HOST}/Downloads"
    # the steps, in order: page, collate (token, cookie and both tags checked by the site),
    # the "being made" page read until ready (2 polls, then the link), the zip
    steps = [(m, r.rsplit("/", 1)[0] if r.count("/") > 2 else r) for m, r, _ in site.requests]
    assert steps == [("GET", "/Downloads"), ("POST", "/Downloads/Collate"),
                     ("GET", "/Downloads/Generate"), ("GET", "/Downloads/Generate"),
                     ("GET", "/Downloads/Generate"), ("GET", "/Downloads/Download/Extract")]
    posted = site.requests[1][2]
    assert ("__RequestVerificationToken", site.token) in posted
    # the data CSV, byte for byte, not its links file (whose name matches the glob too)
    with zipfile.ZipFile(io.BytesIO(extract_zip(mirror))) as zf:
        member = next(n for n in zf.namelist() if "links" not in n)
        assert found.path.read_bytes() == zf.read(member)
    assert not list((tmp_path / "cache").rglob("*.part"))


def test_a_two_row_national_list_is_refused_by_its_floor(mirror, tmp_path):
    src = load_catalogue().get(SID)
    with gias(mirror, tmp_path / "root") as (srv, _), \
            pytest.raises(SourceUnavailable, match=r"only 2 data rows.*at least 50"):
        resolver(tmp_path / "cache", srv).download_found(src)
    assert not (tmp_path / "cache" / src.save_as).exists()


#: The fault, the step named, and what came back (a pattern of the message).
EXPECTED = {
    "page_404": (r"step 1 \(the Downloads page\)", r"HTTP 404.*'Page not found - GOV.UK'"),
    "no_form": (r"step 1 \(the Downloads page\)",
                r"no form posting to /Downloads/Collate.*'Service unavailable - GOV.UK'"),
    "no_tag": (r"step 1 \(the Downloads page\)",
               r"offers no download tagged \['all.open.childrens.centres', "
               r"'all.open.childrens.centres.links'\]"),
    "token": (r"step 2 \(the collate request\)",
              r"gave no page saying the extract is being made.*HTTP 200.*'Downloads - GOV.UK'"),
    "never_ready": (r"step 3 \(waiting for the extract\)",
                    r"not ready after 0 s.*'Preparing your download - GOV.UK'"),
    "generate_503": (r"step 3 \(waiting for the extract\)", r"HTTP 503"),
    "extract_html": (r"step 4 \(the extract zip\)", r"is not a zip.*'Sign in - GOV.UK'"),
    "links_only": (r"step 5 \(the CSV in the zip\)",
                   r"0 members matching edubaseallchildrencentre\*\.csv.*"
                   r"edubaseallchildrencentrelinks20251207\.csv"),
    "bad_columns": (r"does not have the expected layout",
                    r"missing column\(s\) \['Postcode'\]"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_an_unexpected_answer_at_each_step_fails_clearly(mirror, tmp_path, monkeypatch,
                                                         low_floor, fault):
    monkeypatch.setattr(gias_extract, "MAX_WAIT_SECONDS", 0.05)
    src = load_catalogue().get(SID)
    step, came_back = EXPECTED[fault]
    with gias(mirror, tmp_path / "root", fault=fault) as (srv, site), \
            pytest.raises(SourceUnavailable) as err:
        resolver(tmp_path / "cache", srv, retries=2).download_found(src)
    msg = str(err.value)
    assert f"source '{SID}'" in msg
    assert re.search(step, msg), msg
    assert re.search(came_back, msg), msg
    assert f"By hand: {src.manual}" in msg and src.save_as in msg  # the by-hand route
    assert not (tmp_path / "cache" / src.save_as).exists()
    assert not list((tmp_path / "cache").rglob("*.part"))
    pages = sum(1 for m, r, _ in site.requests if r == "/Downloads")
    # only a 503 is retried (a changed form, a refused token, a missing member are not)
    assert pages == (2 if fault == "generate_503" else 1), site.requests


def test_a_file_that_is_not_childrens_centres_is_rejected_row_by_row(mirror, tmp_path):
    """GIAS's all-establishments file (real, official layout) saved under this name by
    mistake passes the column check; the reader rejects each of its 27,153 rows by type
    and none becomes a children's centre."""
    f = tmp_path / "edubasealldata.csv"
    ol.gias(mirror, f)
    assert layouts.get_layout("gias_childrens_centres").check(f)
    empty = PostcodeIndex(pa.table({"postcode": pa.array([], pa.string()),
                                    "easting": pa.array([], pa.float64()),
                                    "northing": pa.array([], pa.float64()),
                                    "country_code": pa.array([], pa.string())}), vintage="none")
    fr = FileReport(SID, f.name)
    out = read_gias_childrens_centres(f, fr, empty)
    assert len(out) == 0 and fr.rows_read == fr.rows_rejected == 27_153
    reasons = {r["reason"] for r in fr.rejected}
    assert "not a children's centre (type Community school)" in reasons
    assert all(r.startswith("not a children's centre (type ") for r in reasons)


def test_run_online_fetches_the_childrens_centres_and_a_trafford_build_has_them(
        mirror, tmp_path, monkeypatch, low_floor):
    """The mirror lacks the GIAS children's centres: ``needsmap run`` (``prepare_sources``)
    gets them from GIAS's form into a fresh cache, as it gets the family hub list, and a
    Trafford build then has them as ``childrens_centre`` services, located by postcode, every
    row of the file kept or rejected with a reason, and the file recorded as the publisher's."""
    from needsmap.cli import make_parser, prepare_sources

    cache = tmp_path / "cache"
    monkeypatch.setenv("NEEDSMAP_MIRROR", str(mirror))
    monkeypatch.setenv("NEEDSMAP_CACHE", str(cache))
    monkeypatch.delenv("NEEDSMAP_BASE_URL", raising=False)
    db = tmp_path / "trafford.duckdb"
    with gias(mirror, tmp_path / "root") as (srv, site):  # every other link answers 404
        monkeypatch.setenv("NEEDSMAP_URL_PREFIX", srv.url)
        assert prepare_sources(make_parser().parse_args(["run", "--db", str(db)]))
    assert [m for m, r, _ in site.requests if r == "/Downloads/Collate"] == ["POST"]
    src = load_catalogue().get(SID)
    assert (cache / src.save_as).is_file()

    build(Settings(db_path=db, mirror=mirror, cache_dir=cache, offline=True), las=["Trafford"],
          stages=["areas", "services"], console=Console(stderr=True, quiet=True))
    cc = _q(db, "SELECT s.name, s.postcode, s.source_ref, s.source_category, s.geocode, "
                "w.lad_name FROM service s JOIN ward_indicators w USING (ward_code) "
                f"WHERE s.type = 'childrens_centre' AND s.source = '{SID}' ORDER BY 1")
    assert [c[:3] for c in cc] == [("Partington Children's Centre", "M31 4FL", "22329"),
                                   ("Stretford Children's Centre", "M32 9AN", "22963")]
    assert {c[3] for c in cc} == {"Children's centre"} and {c[5] for c in cc} == {"Trafford"}
    assert all(c[4] and "postcode" in c[4] for c in cc), cc
    rep = _q(db, f"SELECT rows_read, rows_kept, rows_rejected FROM load_report "
                 f"WHERE source_id = '{SID}'")
    assert rep == [(2, 2, 0)]
    row = _q(db, f"SELECT origin, form, layout, download FROM source WHERE source_id = '{SID}'")
    assert row[0][:3] == ("cache", "publisher's file", "gias_childrens_centres")
    assert row[0][3].endswith("/get-information-schools.service.gov.uk/Downloads")  # the prefix
    # the Trafford list (an extract of GIAS) is not read beside it: each centre counted once
    assert _q(db, "SELECT count(*) FROM service WHERE type = 'childrens_centre'") == [(2,)]
    assert _q(db, "SELECT count(*) FROM load_report "
                  "WHERE source_id = 'trafford_childrens_centres'") == [(0,)]


def test_no_answer_is_retried_and_named(tmp_path):
    src = load_catalogue().get(SID)
    r = Resolver(tmp_path / "cache", url_prefix="http://127.0.0.1:9", progress=False,
                 backoff=0.0, retries=2)
    with pytest.raises(SourceUnavailable) as err:
        r.download_found(src)
    msg = str(err.value)
    assert "after 2 attempts" in msg and msg.count("step 1 (the Downloads page)") == 2
    assert "no answer (ConnectError" in msg and f"By hand: {src.manual}" in msg

"""Whole-England store: geocoding rates, load-report balance, access tables."""

from __future__ import annotations

import pytest

from needsmap.store.db import connect

pytestmark = pytest.mark.england


@pytest.fixture(scope="module")
def store(england_store):
    con = connect(england_store, read_only=True)
    yield con
    con.close()


def _rate(con, source_id: str, excluded: list[str]) -> tuple[float, int, int]:
    """kept / (kept + rows rejected for location reasons), excluding rows out of scope."""
    kept = con.execute("SELECT rows_kept FROM load_report WHERE source_id = ?", [source_id]).fetchone()[0]
    cond = " AND ".join("reason NOT LIKE ?" for _ in excluded)
    failed = con.execute(f"SELECT count(*) FROM rejected_rows WHERE source_id = ? AND {cond}",  # noqa: S608 - fixed text
                         [source_id, *excluded]).fetchone()[0]
    return kept / (kept + failed), kept, failed


def test_gp_practices_geocoded(store) -> None:
    rate, kept, failed = _rate(store, "epraccur", ["not active%", "not a GP practice%",
                                                   "point outside England%"])
    assert rate >= 0.995, (kept, failed)
    assert kept > 6_300


def test_libraries_geocoded(store) -> None:
    rate, kept, failed = _rate(store, "libraries", ["closed%", "point outside England%"])
    assert rate >= 0.95, (kept, failed)
    assert kept > 2_800


def test_every_failure_has_a_reason(store) -> None:
    bad = store.execute("SELECT count(*) FROM load_report WHERE rows_read <> rows_kept + rows_rejected").fetchone()[0]
    assert bad == 0
    ours = ["gias_open", "epraccur", "libraries", "trafford_childrens_centres", "gm_pharmacies"]
    got = store.execute("SELECT source_id, rows_rejected, (SELECT count(*) FROM rejected_rows r WHERE "
                        "r.source_id = l.source_id) FROM load_report l WHERE list_contains(?, source_id)",
                        [ours]).fetchall()
    assert len(got) == len(ours)
    for sid, n, listed in got:
        assert n == listed, sid
    assert store.execute("SELECT count(*) FROM rejected_rows WHERE list_contains(?, source_id) "
                         "AND (reason IS NULL OR reason = '')", [ours]).fetchone()[0] == 0


def test_service_table(store) -> None:
    row = store.execute("""SELECT count(*), count(lsoa_code), count(ward_code), count(lad_code),
        count(DISTINCT service_id), bool_and(lsoa_code LIKE 'E01%' OR lsoa_code LIKE 'W01%'),
        bool_and(lon BETWEEN -6.5 AND 2) AND bool_and(lat BETWEEN 49.8 AND 55.9)
        FROM service""").fetchone()
    n = row[0]
    assert row[1:5] == (n, n, n, n) and row[5] and row[6]
    # the LSOA comes from point-in-polygon: the point lies in that LSOA (or within the snap)
    # (English and, issue 21, Welsh LSOAs: the store places Welsh services in Wales)
    far = store.execute("""SELECT count(*) FROM service s
        JOIN (SELECT lsoa_code, geom FROM lsoa UNION ALL SELECT lsoa_code, geom FROM lsoa_wales) l
        USING (lsoa_code)
        WHERE NOT ST_DWithin(l.geom, s.geom, 150)""").fetchone()[0]
    assert far == 0


def test_access_tables(store) -> None:
    n_types = store.execute("SELECT count(DISTINCT type) FROM service").fetchone()[0]
    # every English and Welsh LSOA (1,917 in Wales: Welsh Target, issue 21) x every type
    assert store.execute("SELECT count(*) FROM lsoa_access").fetchone()[0] == (33_755 + 1_917) * n_types
    assert store.execute("SELECT count(*) FROM ward_access_wales").fetchone()[0] == 762 * n_types
    wards = store.execute("SELECT count(*) FROM ward_indicators_england").fetchone()[0]
    assert wards == 6817  # every English ward, including the 33 the lookup gives no LSOA
    assert store.execute("SELECT count(*) FROM ward_access").fetchone()[0] == wards * n_types
    share = store.execute("""SELECT min(share_children_within_1km), max(share_children_within_2km)
        FROM ward_access""").fetchone()
    assert 0 <= share[0] and share[1] <= 1
    need = store.execute("SELECT DISTINCT need_measure FROM ward_need").df()["need_measure"]
    assert "imd_score" in set(need)

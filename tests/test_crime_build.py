"""The crime build stage on the real mirror: Lancashire loads completely, Blackpool gets rates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from needsmap.crime.build import SELECTED_TYPES, WARD_CRIME_COLUMNS
from needsmap.stats import byar_ci
from needsmap.store.db import open_store

BLACKPOOL = "E06000009"


@pytest.fixture(scope="module")
def store(blackpool_store: Path):
    con = open_store(blackpool_store)
    yield con
    con.close()


def data_rows(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(1 for line in fh if line.strip()) - 1


def test_twelve_lancashire_months_load_completely(store, mirror: Path):
    cov = store.execute("SELECT strftime(month, '%Y-%m'), file, rows_read, rows_kept, rows_rejected "
                        "FROM crime_coverage WHERE police_force = 'lancashire' ORDER BY month"
                        ).fetchall()
    months = [c[0] for c in cov]
    assert months == [f"2021-{m}" for m in ("11", "12")] + [f"2022-{m:02d}" for m in range(1, 11)]
    for _month, file, read, kept, rejected in cov:
        assert read == data_rows(Path(file)), file  # every data row of the file was read
        assert read == kept + rejected
        assert kept / read > 0.9


def test_load_report_balances_and_rejects_are_listed(store):
    rows = store.execute(
        "SELECT l.file, l.rows_read, l.rows_kept, l.rows_rejected, "
        "(SELECT count(*) FROM rejected_rows r WHERE r.source_id = l.source_id AND r.file = l.file) "
        "FROM load_report l WHERE l.source_id = 'police_uk'").fetchall()
    assert len(rows) == 31  # 12 Lancashire, 12 Gwent, 7 Essex
    for file, read, kept, rejected, listed in rows:
        assert read == kept + rejected, file
        assert listed == rejected, file
    kept = store.execute("SELECT count(*) FROM crime_point").fetchone()[0]
    assert kept == sum(r[2] for r in rows)


def test_reasons_and_notes(store):
    reasons = dict(store.execute(
        "SELECT reason, count(*) FROM rejected_rows WHERE source_id = 'police_uk' GROUP BY 1"
    ).fetchall())
    assert any(r.startswith("point outside") for r in reasons)  # Gwent is in Wales
    assert any(r.startswith("no coordinates") for r in reasons)
    assert any(r.startswith("duplicate Crime ID") for r in reasons)
    notes = dict(store.execute("SELECT file, note FROM load_report WHERE source_id = 'police_uk'"
                               ).fetchall())
    essex = [n for f, n in notes.items() if "essex" in f]
    assert essex and all("snake_case header variant accepted" in n for n in essex)
    gwent_kept = store.execute("SELECT sum(rows_kept), sum(rows_read) FROM crime_coverage "
                               "WHERE police_force = 'gwent'").fetchone()
    # issue 21: the store has the Welsh LSOAs, so Gwent's records are kept in Welsh wards
    assert gwent_kept[0] > 0.9 * gwent_kept[1]


def test_lsoa_agreement_reported(store):
    agree, checked = store.execute(
        "SELECT sum(lsoa_agree), sum(lsoa_checked) FROM crime_coverage "
        "WHERE police_force = 'lancashire'").fetchone()
    assert checked > 180_000
    assert 0.75 < agree / checked <= 1.0


def test_ward_crime_contract(store):
    cols = [r[0] for r in store.execute("DESCRIBE ward_crime").fetchall()]
    assert tuple(cols) == WARD_CRIME_COLUMNS
    n, n_wards = store.execute("SELECT count(*), (SELECT count(*) FROM ward_indicators_england) "
                               "+ (SELECT count(*) FROM ward_indicators_wales) "
                               "FROM ward_crime").fetchone()  # English and Welsh wards
    assert n == n_wards
    store.execute("SELECT ward_code, rate_12m_per_1000, full_coverage FROM ward_crime").fetchall()
    # wards with no loaded force: no counts, no rate, not full coverage
    none = store.execute("SELECT count(*) FROM ward_crime WHERE police_force IS NULL AND "
                         "(full_coverage OR rate_12m_per_1000 IS NOT NULL OR crimes_12m IS NOT NULL)"
                         ).fetchone()[0]
    assert none == 0
    # Essex has only 7 months: its wards are not full coverage and get no rate
    ess = store.execute("SELECT count(*), count(*) FILTER (WHERE full_coverage), "
                        "max(months_in_window) FROM ward_crime WHERE police_force = 'essex'"
                        ).fetchone()
    assert ess[0] > 200 and ess[1] == 0 and ess[2] == 7


def test_blackpool_wards_get_counts_and_rates(store):
    df = store.execute("SELECT * FROM ward_crime WHERE lad_code = ?", [BLACKPOOL]).df()
    assert len(df) == 21
    assert df.full_coverage.all() and (df.police_force == "lancashire").all()
    assert (df.months_in_window == 12).all()
    assert (df.crimes_12m > 0).all()
    np.testing.assert_allclose(df.rate_12m_per_1000, 1000 * df.crimes_12m / df.population)
    lo, hi = byar_ci(df.crimes_12m.to_numpy(float), df.population.to_numpy(float))
    np.testing.assert_allclose(df.rate_12m_lower95, lo)
    np.testing.assert_allclose(df.rate_12m_upper95, hi)
    assert (df.rate_12m_lower95 < df.rate_12m_per_1000).all()
    assert (df.rate_12m_per_1000 < df.rate_12m_upper95).all()
    parts = df.violence_12m + df.burglary_12m + df.criminal_damage_12m + df.asb_12m
    assert (parts == df.crimes_12m).all()
    assert (df.all_crimes_12m >= df.crimes_12m).all()
    assert df.selected_types.iloc[0] == "; ".join(SELECTED_TYPES)


def test_counts_are_consistent(store):
    """Tidy monthly counts sum to the kept points; 12-month totals sum the window's months."""
    total, tidy = store.execute("SELECT (SELECT count(*) FROM crime_point), "
                                "(SELECT sum(crimes) FROM ward_crime_monthly)").fetchone()
    assert total == tidy
    bad = store.execute("""
        SELECT count(*) FROM ward_crime w
        JOIN (SELECT ward_code, sum(crimes) AS n FROM ward_crime_monthly m
              WHERE m.month BETWEEN DATE '2021-11-01' AND DATE '2022-10-01'
              GROUP BY ward_code) m USING (ward_code)
        WHERE w.police_force = 'lancashire' AND w.all_crimes_12m <> m.n""").fetchone()[0]
    assert bad == 0
    # Blackpool points: the README says 2022-05 has 3,230 Blackpool rows (by the file's own LSOA
    # name); point-in-polygon on generalised boundaries gives a figure within a few per cent.
    n = store.execute("SELECT count(*) FROM crime_point WHERE lad_code = ? AND month = "
                      "DATE '2022-05-01'", [BLACKPOOL]).fetchone()[0]
    assert abs(n - 3230) / 3230 < 0.05

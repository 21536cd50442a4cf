"""Issue 20, early years: under-5s per LSOA 2021 and ward, and the nursery service type.

On the real files of the mirror: one split LSOA 2011 -> LSOA 2021 under-5 count recomputed
by hand from the source rows (ONS mid-2020 single year of age, the ONS LSOA11->LSOA21
lookup, Census 2021), the England and per-LAD totals against the source, and the GIAS
nursery providers. The method is in docs/method.md, "Under-5s".
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from needsmap.ingest.report import FileReport
from needsmap.ingest.services.gias import read_gias
from needsmap.store.db import open_store

SAPE = "population/sape23dt2_mid2020_lsoa11_single_year_of_age.csv"
LOOKUP = "lookups/lsoa11_lsoa21_lad22_ew_lu.csv"
CENSUS = "population/census2021_lsoa21_usual_residents_age6.csv"
GIAS = "services/gias_open_establishments_20250524.csv"
KIDS = "Aged 15 years and under"


def q(db: Path, sql: str, params: dict | None = None) -> pd.DataFrame:
    con = open_store(db)
    try:
        return con.execute(sql, params or {}).df()
    finally:
        con.close()


@pytest.fixture(scope="module")
def sape(mirror: Path) -> pd.DataFrame:
    cols = ["lsoa11_code", "all_ages", *(f"age_{a}" for a in range(16))]
    df = pd.read_csv(mirror / SAPE, usecols=cols).set_index("lsoa11_code")
    df["under5"] = df[[f"age_{a}" for a in range(5)]].sum(axis=1)
    return df


@pytest.fixture(scope="module")
def lookup(mirror: Path) -> pd.DataFrame:
    return pd.read_csv(mirror / LOOKUP, dtype=str)


@pytest.fixture(scope="module")
def census(mirror: Path) -> pd.DataFrame:
    df = pd.read_csv(mirror / CENSUS)
    out = df.groupby("lsoa21_code")["usual_residents"].sum().rename("population").to_frame()
    out["children"] = df[df["age_group"] == KIDS].set_index("lsoa21_code")["usual_residents"]
    return out


# ------------------------------------------------------------------ one split, by hand


def test_split_lsoa_under5_by_hand(england_store, sape, lookup, census):
    """Dudley 006G (E01033187) was split into E01034306 and E01034307 (CHGIND S).

    Its mid-2020 under-5s (ages 0-4 of the source row) are shared by the parts' Census 2021
    children aged 15 and under; whole numbers by largest remainder keep the parent's count.
    """
    parent = "E01033187"
    rows = lookup[lookup["LSOA11CD"] == parent]
    assert set(rows["CHGIND"]) == {"S"}
    parts = sorted(rows["LSOA21CD"])
    assert parts == ["E01034306", "E01034307"]
    # the parts come from this LSOA 2011 only
    assert set(lookup.loc[lookup["LSOA21CD"].isin(parts), "LSOA11CD"]) == {parent}

    u5 = int(sape.loc[parent, "under5"])
    kids = {p: int(census.loc[p, "children"]) for p in parts}
    exact = {p: u5 * kids[p] / sum(kids.values()) for p in parts}
    whole = {p: math.floor(v) for p, v in exact.items()}
    short = u5 - sum(whole.values())
    for p in sorted(parts, key=lambda p: (-(exact[p] - whole[p]), p))[:short]:
        whole[p] += 1
    assert sum(whole.values()) == u5

    got = q(england_store, "SELECT lsoa_code, under5 FROM lsoa_indicators WHERE lsoa_code IN "
            "(SELECT unnest($p))", {"p": parts}).set_index("lsoa_code")["under5"].to_dict()
    assert got == whole
    w = q(england_store, "SELECT lsoa21_code, w_children FROM lsoa11_lsoa21_weight "
          "WHERE lsoa11_code = $l", {"l": parent}).set_index("lsoa21_code")["w_children"]
    for p in parts:
        assert w[p] == pytest.approx(kids[p] / sum(kids.values()), abs=1e-12)


def test_unchanged_and_merged_lsoas_keep_their_source_counts(england_store, sape, lookup):
    """An unchanged LSOA keeps its under-5s; a merged LSOA 2021 has the sum of its parents'."""
    e = lookup[lookup["LSOA11CD"].str.startswith("E")]
    got = q(england_store, "SELECT lsoa_code, under5 FROM lsoa_indicators").set_index(
        "lsoa_code")["under5"]
    u = e[e["CHGIND"] == "U"]
    assert (got[u["LSOA21CD"]].to_numpy() == sape.loc[u["LSOA11CD"], "under5"].to_numpy()).all()
    m = e[e["CHGIND"] == "M"].copy()
    m["u5"] = sape.loc[m["LSOA11CD"], "under5"].to_numpy()
    want = m.groupby("LSOA21CD")["u5"].sum()
    assert len(want) == 97
    assert (got[want.index] == want).all()


# ------------------------------------------------------------------ totals


def test_every_lsoa_and_ward_has_under5(england_store):
    df = q(england_store, """
        SELECT (SELECT count(*) FROM lsoa_indicators) AS lsoas,
               (SELECT count(*) FROM lsoa_indicators WHERE under5 IS NULL OR under5 < 1) AS lsoa_bad,
               (SELECT count(*) FROM ward_indicators_england) AS wards,
               (SELECT count(*) FROM ward_indicators_england WHERE under5 IS NULL OR under5 < 1)
                   AS ward_bad""").iloc[0]
    assert (df["lsoas"], df["wards"]) == (33755, 6817)
    assert df["lsoa_bad"] == 0 and df["ward_bad"] == 0


def test_under5_england_total_equals_source(england_store, sape, report_figure):
    src = int(sape.loc[sape.index.str.startswith("E"), "under5"].sum())
    df = q(england_store, """
        SELECT (SELECT sum(under5) FROM lsoa_indicators) AS lsoa,
               (SELECT sum(under5) FROM ward_indicators_england) AS ward,
               (SELECT under5 FROM england_indicators) AS england""").iloc[0]
    assert src == 3_239_447
    assert int(df["lsoa"]) == int(df["ward"]) == int(df["england"]) == src  # exactly: no rounding
    report_figure(f"under-5s, England: source {src:,}, store LSOAs {int(df['lsoa']):,}, "
                  f"wards {int(df['ward']):,}")


def test_under5_each_lad_equals_source(england_store, sape, lookup, report_figure):
    """Each LAD (2024) has the under-5s of the LSOAs 2011 that went to it.

    Three LSOAs 2011 (irregular changes, X) went to LSOAs 2021 in two LADs; their under-5s
    are shared by Census 2021 children, so only the pairs of LADs they touch are compared
    as pairs. Every other LAD equals its source total exactly, on LSOAs and on wards.
    """
    lads = q(england_store, "SELECT lsoa_code, lad_code FROM lsoa_indicators").set_index(
        "lsoa_code")["lad_code"]
    e = lookup[lookup["LSOA11CD"].str.startswith("E")].copy()
    e["lad"] = lads[e["LSOA21CD"]].to_numpy()
    per11 = e.groupby("LSOA11CD")["lad"].agg(lambda s: tuple(sorted(set(s))))
    cross = per11[per11.map(len) > 1]
    assert len(cross) == 3
    touched = {lad for t in cross for lad in t}
    assert len(touched) == 6
    one = per11[per11.map(len) == 1].map(lambda t: t[0])
    src = sape.loc[one.index, "under5"].groupby(one.to_numpy()).sum()
    got = q(england_store, """
        SELECT l.lad_code, l.u5 AS lsoa, w.u5 AS ward
        FROM (SELECT lad_code, sum(under5) AS u5 FROM lsoa_indicators GROUP BY 1) l
        JOIN (SELECT lad_code, sum(under5) AS u5 FROM ward_indicators_england GROUP BY 1) w
        USING (lad_code)""").set_index("lad_code")
    assert len(got) == 296
    assert (got["lsoa"] == got["ward"]).all()
    plain = [lad for lad in got.index if lad not in touched]
    assert (got.loc[plain, "lsoa"] == src[plain]).all()
    for t in cross:  # the pair holds the source's under-5s of both sides and of the X LSOA
        extra = int(sape.loc[[c for c in cross.index if cross[c] == t], "under5"].sum())
        assert int(got.loc[list(t), "lsoa"].sum()) == int(src.reindex(list(t)).fillna(0).sum()) + extra
    report_figure(f"under-5s per LAD: {len(plain)} of 296 LADs equal the source exactly; "
                  f"{len(touched)} share {len(cross)} cross-LAD LSOAs 2011, equal by pairs")


# ------------------------------------------------------------------ GIAS nursery providers


def test_gias_nursery_type_is_every_nursery_school(mirror, england_store):
    """Nursery schools (GIAS phase "Nursery", type "Local authority nursery school") are the
    ``nursery`` service type; the mirror's extract has no NurseryProvision column, so schools
    with nursery classes are not (the load report says so)."""
    raw = pd.read_csv(mirror / GIAS, dtype=str)
    nurs = raw[(raw["education_phase"] == "Nursery")
               | (raw["establishment_type"] == "Local authority nursery school")]
    fr = FileReport("gias_open", str(mirror / GIAS))
    df = read_gias(mirror / GIAS, fr)
    assert fr.rows_read == len(df) + fr.rows_rejected  # every row kept or rejected
    assert "no nursery provision column" in fr.note
    got = set(df.loc[df["type"].str.split("|").map(lambda t: "nursery" in t), "source_ref"])
    assert got == set(nurs["urn"])
    assert len(got) == 378
    n = q(england_store, "SELECT count(*) AS n FROM service WHERE type = 'nursery'")["n"][0]
    assert n == 378


def test_gias_nursery_classes_make_a_school_a_nursery_too(mirror, tmp_path):
    """With GIAS's ``NurseryProvision (name)`` column, a school that "Has Nursery Classes" is
    also a ``nursery``. Real rows of the mirror's extract, with the column added (the
    mirror's extract lacks it): three primary schools, one of them marked."""
    raw = pd.read_csv(mirror / GIAS, dtype=str, nrows=400)
    prim = raw[raw["education_phase"] == "Primary"].head(3).copy()
    prim["NurseryProvision (name)"] = ["Has Nursery Classes", "No Nursery Classes", ""]
    path = tmp_path / "gias_with_nursery.csv"
    prim.to_csv(path, index=False)
    fr = FileReport("gias_open", str(path))
    df = read_gias(path, fr).set_index("source_ref")
    urns = prim["urn"].tolist()
    assert df.loc[urns[0], "type"] == "school_primary|nursery"
    assert df.loc[urns[1], "type"] == "school_primary"
    assert df.loc[urns[2], "type"] == "school_primary"
    assert "1 nursery schools and schools with nursery classes" in fr.note


# ------------------------------------------------------------------ the apportioning's error


def test_apportioning_error_measured_on_pseudo_splits(england_store, mirror, report_figure):
    """The error of sharing a parent's under-5s by its parts' Census 2021 children, where the
    truth is known: each MSOA 2011 whose LSOAs are all unchanged is a "parent" split into its
    LSOAs (docs/method.md gives the figures). Children beat residents as the sharing key."""
    ages = "+".join(f"age_{a}" for a in range(5))
    con = open_store(england_store)
    try:
        df = con.execute(f"""
            WITH s AS (SELECT lsoa11_code, {ages} AS u5 FROM read_csv($sape)),
            m AS (SELECT LSOA11CD AS l11, MSOA11CD AS msoa FROM read_csv($msoa, quote='"')
                  WHERE LSOA11CD LIKE 'E%'),
            t AS (SELECT m.msoa, s.u5, i.children_0_15 AS k, i.population AS p
                  FROM s JOIN m ON m.l11 = s.lsoa11_code
                  JOIN lsoa11_lsoa21_weight x ON x.lsoa11_code = s.lsoa11_code AND x.change = 'U'
                  JOIN lsoa_indicators i ON i.lsoa_code = x.lsoa21_code),
            full_u AS (SELECT msoa FROM m GROUP BY msoa
                       HAVING count(*) = (SELECT count(*) FROM t WHERE t.msoa = m.msoa)),
            g AS (SELECT *, sum(u5) OVER w * k / sum(k) OVER w AS est_k,
                            sum(u5) OVER w * p / sum(p) OVER w AS est_p
                  FROM t WHERE msoa IN (SELECT msoa FROM full_u)
                  WINDOW w AS (PARTITION BY msoa))
            SELECT count(*) AS n, count(DISTINCT msoa) AS n_msoa, avg(u5) AS mean_u5,
                   avg(abs(est_k - u5)) AS mae_k, median(abs(est_k - u5) / u5) AS mdape_k,
                   avg(abs(est_p - u5)) AS mae_p, median(abs(est_p - u5) / u5) AS mdape_p
            FROM g""", {"sape": str(mirror / SAPE), "msoa": str(mirror / "lookups/lsoa11_msoa11_lu.csv")}
        ).df().iloc[0]
    finally:
        con.close()
    assert df["n"] > 25_000 and df["n_msoa"] > 5_000
    assert df["mae_k"] < df["mae_p"] and df["mdape_k"] < df["mdape_p"]
    assert df["mdape_k"] < 0.15
    report_figure(f"under-5 apportioning on {int(df['n']):,} pseudo-split LSOAs "
                  f"({int(df['n_msoa']):,} MSOAs): by children MAE {df['mae_k']:.1f} "
                  f"(median {100 * df['mdape_k']:.1f}%), by residents MAE {df['mae_p']:.1f} "
                  f"(median {100 * df['mdape_p']:.1f}%); mean LSOA {df['mean_u5']:.0f}")

"""Issue 2, bad input: each case built from real mirror rows changed on purpose.

Every error must name the file, and the row and column where there is one;
every row must be kept or recorded as rejected with a reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from needsmap.ingest import boundaries, census, iod, lookup
from needsmap.ingest.report import InputError, LoadReport
from needsmap.store.db import connect

LOOKUP = "lookups/lsoa21_wd24_lad24_ew_lu.csv"
CENSUS = "population/census2021_lsoa21_usual_residents_age6.csv"
DOMAINS = "deprivation/iod2025/iod2025_lsoa21_domains.csv"
LSOA_GEO = "boundaries/lsoa21_ew_bsc_dec2021.geojson"


def head_lines(mirror: Path, rel: str, n: int) -> list[str]:
    with open(mirror / rel, encoding="utf-8") as fh:
        return [next(fh) for _ in range(n + 1)]


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    p = tmp_path / name
    p.write_text("".join(lines), encoding="utf-8")
    return p


@pytest.fixture
def con(mirror):
    c = connect()
    fr = LoadReport().file("lookup", "lookup")
    lookup.load_lookup(c, mirror / LOOKUP, fr)
    yield c
    c.close()


def balanced(fr) -> None:
    assert fr.rows_read == fr.rows_kept + fr.rows_rejected


def test_missing_file(tmp_path, con):
    fr = LoadReport().file("x", "x")
    with pytest.raises(InputError, match="nope.csv: file not found"):
        lookup.load_lookup(con, tmp_path / "nope.csv", fr)


def test_empty_file(tmp_path, con):
    p = write(tmp_path, "empty.csv", [])
    with pytest.raises(InputError, match="empty.csv, row 0: file is empty"):
        census.load_census(con, p, LoadReport().file("c", str(p)))


def test_wrong_columns_named(tmp_path, con, mirror):
    lines = head_lines(mirror, CENSUS, 12)
    lines[0] = lines[0].replace("usual_residents", "residents")
    p = write(tmp_path, "census_renamed.csv", lines)
    with pytest.raises(InputError) as e:
        census.load_census(con, p, LoadReport().file("c", str(p)))
    msg = str(e.value)
    assert "census_renamed.csv" in msg and "'usual_residents'" in msg and "missing column" in msg


def test_wrong_delimiter_is_explained(tmp_path, con, mirror):
    lines = [ln.replace(",", ";") for ln in head_lines(mirror, LOOKUP, 5)]
    p = write(tmp_path, "semicolon.csv", lines)
    with pytest.raises(InputError, match="delimiter looks like a semicolon"):
        lookup.load_lookup(con, p, LoadReport().file("l", str(p)))


def test_windows_1252_is_read_with_a_note(tmp_path, con, mirror):
    """One encoding policy for every CSV: Windows-1252 ("ANSI") is read and noted."""
    lines = head_lines(mirror, LOOKUP, 5)
    f = lines[1].split(",")
    f[1] += " – é"  # an en dash and an e-acute in the LSOA name
    lines[1] = ",".join(f)
    p = tmp_path / "cp1252.csv"
    p.write_bytes("".join(lines).encode("cp1252"))
    fr = LoadReport().file("l", str(p))
    lookup.load_lookup(con, p, fr)
    assert "Windows-1252" in fr.note and fr.rows_read == fr.rows_kept + fr.rows_rejected
    assert con.execute("SELECT count(*) FROM lookup_lsoa21_wd24 WHERE lsoa_name LIKE '%– é%'"
                       ).fetchone()[0] == 1


def test_utf16_is_a_clear_error(tmp_path, con, mirror):
    p = tmp_path / "utf16.csv"
    p.write_bytes("".join(head_lines(mirror, LOOKUP, 5)).encode("utf-16"))
    with pytest.raises(InputError, match="utf16.csv.*UTF-16.*CSV UTF-8"):
        lookup.load_lookup(con, p, LoadReport().file("l", str(p)))


def test_utf8_bom_is_accepted(tmp_path, con, mirror):
    lines = head_lines(mirror, CENSUS, 12)
    p = tmp_path / "bom.csv"
    p.write_bytes(b"\xef\xbb\xbf" + "".join(lines).encode())
    fr = LoadReport().file("c", str(p))
    census.load_census(con, p, fr)
    assert fr.rows_kept == 12 and fr.rows_rejected == 0


def test_not_a_gss_code_and_duplicates_and_suppressed(tmp_path, con, mirror):
    lines = head_lines(mirror, DOMAINS, 6)
    bad_code = lines[1].replace("E01000001", "E0100000X", 1)
    dup = lines[2]
    supp = lines[3].split(",")
    supp[4] = "c"  # income_score_rate suppressed -> kept as NULL
    nonnum = lines[4].split(",")
    nonnum[16] = "abc"  # crime_score
    p = write(tmp_path, "domains.csv", [lines[0], bad_code, lines[2], dup, ",".join(supp),
                                        ",".join(nonnum), lines[5]])
    fr = LoadReport().file("iod2025_domains", str(p))
    iod.load_domains(con, p, fr)
    balanced(fr)
    reasons = {(r["row"], r["column"], r["reason"]) for r in fr.rejected}
    assert (1, "lsoa21_code", "lsoa21_code is not a LSOA 2021 GSS code") in reasons
    assert (3, "lsoa21_code", "duplicate lsoa21_code") in reasons
    assert (5, "crime_score", "non-numeric value in crime_score: 'abc'") in reasons
    assert fr.rows_kept == 3
    assert con.execute("SELECT count(*) FROM iod_domains WHERE income_rate IS NULL").fetchone()[0] == 1


def test_wrong_vintage_code_and_missing_from_lookup(tmp_path, con, mirror):
    lines = head_lines(mirror, CENSUS, 6)
    # E01000004 is an LSOA 2011 code that does not exist in 2021 -> not in the lookup
    lines[6] = lines[6].replace(lines[6].split(",")[0], "E01000004", 1)
    p = write(tmp_path, "census_vintage.csv", lines)
    fr = LoadReport().file("c", str(p))
    census.load_census(con, p, fr)
    balanced(fr)
    assert any(r["reason"] == "LSOA missing from the LSOA21->WD24 lookup" and r["row"] == 6
               for r in fr.rejected)


def test_blank_or_padded_age_group(tmp_path, con, mirror):
    lines = head_lines(mirror, CENSUS, 6)  # E01000001's six bands; the first is the child band
    padded = lines[1].split(",")
    padded[2] = "  " + padded[2] + " "  # padding around a real band is accepted
    blank = lines[2].split(",")
    blank[2] = ""  # a blank band must not count towards the population
    p = write(tmp_path, "census_band.csv", [lines[0], ",".join(padded), ",".join(blank), *lines[3:]])
    fr = LoadReport().file("c", str(p))
    census.load_census(con, p, fr)
    balanced(fr)
    assert [(r["row"], r["column"]) for r in fr.rejected] == [(2, "age_group")]
    assert fr.rejected[0]["reason"].startswith("unknown age_group")
    kids_real = int(lines[1].rsplit(",", 1)[1])
    others = sum(int(ln.rsplit(",", 1)[1]) for ln in lines[3:])
    assert con.execute("SELECT population, children_0_15 FROM census_lsoa").fetchall() == [
        (kids_real + others, kids_real)]


def test_negative_and_nan_counts_rejected(tmp_path, con, mirror):
    lines = head_lines(mirror, CENSUS, 6)
    lines[2] = lines[2].rsplit(",", 1)[0] + ",-5\n"
    lines[3] = lines[3].rsplit(",", 1)[0] + ",NaN\n"
    p = write(tmp_path, "census_neg.csv", lines)
    fr = LoadReport().file("c", str(p))
    census.load_census(con, p, fr)
    balanced(fr)
    by_row = {r["row"]: r["reason"] for r in fr.rejected}
    assert by_row[2] == "negative value in usual_residents"
    assert by_row[3] in ("NaN or infinite value in usual_residents", "non-integer count in usual_residents")


def test_truncated_mid_row(tmp_path, con, mirror):
    lines = head_lines(mirror, LOOKUP, 5)
    lines[-1] = lines[-1][:15]  # cut mid-row, no newline
    p = write(tmp_path, "trunc.csv", lines)
    fr = LoadReport().file("l", str(p))
    lookup.load_lookup(con, p, fr)
    balanced(fr)
    assert fr.rows_read == 5
    bad = [r for r in fr.rejected if r["row"] == 5]
    assert bad and bad[0]["reason"] == "row has 2 fields; the header has 6"


def _geo_subset(mirror: Path, n: int) -> dict:
    feats = []
    with open(mirror / LSOA_GEO, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip().rstrip(",")
            if line.startswith('{"type":"Feature"'):
                feats.append(json.loads(line))
                if len(feats) == n:
                    break
    return {"type": "FeatureCollection", "features": feats}


def test_invalid_geometry_repaired_and_counted(tmp_path, mirror):
    fc = _geo_subset(mirror, 5)
    ring = fc["features"][0]["geometry"]["coordinates"][0][0]
    # make a bow-tie: swap two vertices so the ring self-intersects
    ring[1], ring[2] = ring[2], ring[1]
    fc["features"][1]["geometry"] = None
    p = tmp_path / "lsoa.geojson"
    p.write_text(json.dumps(fc))
    fr = LoadReport().file("lsoa21_boundaries", str(p))
    g = boundaries.read_boundaries(p, fr, "LSOA21CD", "LSOA21NM", r"[EW]01[0-9]{6}")
    fr.rows_kept = len(g)
    balanced(fr)
    assert "1 invalid geometries repaired with make_valid" in fr.note
    assert g.geometry.is_valid.all()
    assert [(r["row"], r["reason"]) for r in fr.rejected] == [(2, "missing or empty geometry")]


def test_wrong_crs_coordinates_are_a_clear_error(tmp_path, mirror):
    fc = _geo_subset(mirror, 3)
    import pyproj
    t = pyproj.Transformer.from_crs(4326, 27700, always_xy=True)
    for f in fc["features"]:
        f["geometry"]["coordinates"] = [[[list(t.transform(x, y)) for x, y in ring] for ring in poly]
                                        for poly in f["geometry"]["coordinates"]]
    p = tmp_path / "bng_as_geojson.geojson"
    p.write_text(json.dumps(fc))
    with pytest.raises(InputError, match="bng_as_geojson.geojson.*not longitude/latitude"):
        boundaries.read_boundaries(p, LoadReport().file("x", str(p)), "LSOA21CD", "LSOA21NM",
                                   r"[EW]01[0-9]{6}")


def test_unknown_crs_is_a_clear_error(tmp_path, mirror):
    fc = _geo_subset(mirror, 2)
    fc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::999999"}}
    p = tmp_path / "unknown_crs.geojson"
    p.write_text(json.dumps(fc))
    with pytest.raises(InputError, match="unknown_crs.geojson"):
        boundaries.read_boundaries(p, LoadReport().file("x", str(p)), "LSOA21CD", "LSOA21NM",
                                   r"[EW]01[0-9]{6}")


def test_point_geometry_is_not_a_boundary(tmp_path, mirror):
    fc = _geo_subset(mirror, 3)
    fc["features"][2]["geometry"] = {"type": "Point", "coordinates": [-0.1, 51.5]}
    p = tmp_path / "points.geojson"
    p.write_text(json.dumps(fc))
    fr = LoadReport().file("x", str(p))
    g = boundaries.read_boundaries(p, fr, "LSOA21CD", "LSOA21NM", r"[EW]01[0-9]{6}")
    assert len(g) == 2
    assert [(r["row"], r["column"]) for r in fr.rejected] == [(3, "geometry")]
    assert "Polygon" in fr.rejected[0]["reason"]


def test_negative_imd_score_rejected_but_negative_health_kept(tmp_path, con, mirror):
    lines = head_lines(mirror, DOMAINS, 3)
    imd = lines[1].split(",")
    imd[1] = "-3.2"
    p = write(tmp_path, "domains_neg.csv", [lines[0], ",".join(imd), lines[2], lines[3]])
    fr = LoadReport().file("iod2025_domains", str(p))
    iod.load_domains(con, p, fr)
    balanced(fr)
    assert [(r["row"], r["column"], r["reason"]) for r in fr.rejected] == [
        (1, "imd_score", "negative value in imd_score")]
    # E01000001/2 have negative health and crime scores in the real file: kept
    assert con.execute("SELECT count(*) FROM iod_domains WHERE health_score < 0").fetchone()[0] == 2

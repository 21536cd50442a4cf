"""Benchmark: point-in-polygon assignment of police.uk points to LSOA 2021 (issue 7).

Compares needsmap's assignment (:func:`needsmap.crime.load.assign_new_points`:
distinct snap-point coordinates, cached across months, transformed to EPSG:27700
located in the ``lsoa`` polygons with a GEOS STRtree (prepared polygons); rows join back to
the cache) with a
plain geopandas reference (``points_from_xy`` -> ``to_crs(27700)`` -> ``sjoin(...,
predicate="within")`` on every row).

Scales: the 12 real Lancashire months (2021-11 .. 2022-10) are streamed month by
month, each month *repeated* ``k`` times (read as one batch, like the files of all
forces for that month) to reach national volume (England records about 6 M
street-level crimes a year; the largest default scale, 32x, is 6.2 M points).
Repeated months reuse the same snap points, so after the first pass every
coordinate is already cached: the large-scale figure measures the per-row cost
(read, dedupe, join back), while a real national year would also assign its own
distinct snap points once each. The output therefore also prints the cost per
distinct coordinate from the first (cold) pass, and an estimate for a national
year from both.

Each scale runs in a fresh subprocess so peak RSS (``ru_maxrss``) is per scale.
Usage::

    python benchmarks/crime.py --db STORE [--scales 1,2,4,32] [--threads 1]

``STORE`` is any built needsmap store (its ``lsoa`` table is always national).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

MIRROR = Path(os.environ.get("NEEDSMAP_MIRROR", Path(__file__).resolve().parents[2] / "shared/geodata"))
MONTHS = ["2021-11", "2021-12"] + [f"2022-{m:02d}" for m in range(1, 11)]


def lancashire_files(mirror: Path) -> list[Path]:
    return [mirror / f"crime/police_uk/{m}/{m}-lancashire-street.csv" for m in MONTHS]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def worker_ours(db: str, scale: int, threads: int, jitter: bool = False) -> dict:
    """The production flow, streamed month by month; the CSV parse is not timed.

    At scale ``k`` a month is the real Lancashire month taken ``k`` times as one batch
    (as all forces' files of a month would be: 32 x 16 k = 0.5 M rows, about a real
    national month). Pass 1 (as :func:`needsmap.crime.load.prepass`): each month's
    distinct new coordinates are added to a pending set; then one
    :func:`assign_new_points` call transforms them and runs the spatial join. Pass 2:
    each month's rows join back to ``crime_snap`` and are counted by LSOA. Only the
    current month is held in memory.
    """
    from needsmap.crime.load import assign_new_points
    from needsmap.crs import transformer
    from needsmap.settings import BNG, WGS84
    from needsmap.store.db import connect

    transformer(WGS84, BNG)  # built once per thread (as in a build), before timing
    con = connect(threads=threads)
    quoted = db.replace("'", "''")
    con.execute(f"ATTACH '{quoted}' AS s (READ_ONLY)")  # ATTACH takes no parameters
    con.execute("CREATE TABLE lsoa AS SELECT lsoa_code, geom FROM s.lsoa")
    con.execute("DETACH s")
    con.execute("CREATE TABLE crime_snap (lon DOUBLE, lat DOUBLE, x DOUBLE, y DOUBLE, lsoa_code VARCHAR)")
    con.execute("CREATE TABLE _pending (lon DOUBLE, lat DOUBLE)")
    con.execute("CREATE TABLE lsoa_counts (lsoa_code VARCHAR, n BIGINT)")
    # a "national month": the real month's file repeated `scale` times, read as one batch
    months = [str(f) for f in lancashire_files(MIRROR)]
    t_read = t_dedupe = t_join = 0.0
    points = 0

    def parse(f: str) -> None:
        # the month's rows, `scale` times; with `jitter`, copy r is moved r x 1e-7 degrees east
        # (about 1 cm) so that every copy brings new distinct coordinates
        con.execute("CREATE OR REPLACE TEMP TABLE _crime_raw AS "
                    "SELECT r.\"Longitude\" + t.rep * $j AS \"Longitude\", r.\"Latitude\" "
                    "FROM read_csv($f, header=true, columns={'Crime ID':'VARCHAR','Month':'VARCHAR',"
                    "'Reported by':'VARCHAR','Falls within':'VARCHAR','Longitude':'DOUBLE',"
                    "'Latitude':'DOUBLE','Location':'VARCHAR','LSOA code':'VARCHAR',"
                    "'LSOA name':'VARCHAR','Crime type':'VARCHAR',"
                    "'Last outcome category':'VARCHAR','Context':'VARCHAR'}, auto_detect=false) r "
                    "CROSS JOIN range($k) t(rep) "
                    "WHERE r.\"Longitude\" IS NOT NULL AND r.\"Latitude\" IS NOT NULL",
                    {"f": f, "k": scale, "j": 1e-7 if jitter else 0.0})

    for f in months:  # pass 1: distinct coordinates
        t0 = time.perf_counter()
        parse(f)
        t1 = time.perf_counter()
        con.execute("INSERT INTO _pending SELECT DISTINCT r.\"Longitude\", r.\"Latitude\" "
                    "FROM _crime_raw r ANTI JOIN _pending p "
                    "ON p.lon = r.\"Longitude\" AND p.lat = r.\"Latitude\"")
        t2 = time.perf_counter()
        t_read += t1 - t0
        t_dedupe += t2 - t1
    t0 = time.perf_counter()
    con.execute("CREATE OR REPLACE TEMP TABLE _crime_raw AS "
                "SELECT lon AS \"Longitude\", lat AS \"Latitude\" FROM _pending")
    unique = assign_new_points(con)
    t_pip = time.perf_counter() - t0
    for f in months:  # pass 2: rows join back
        t0 = time.perf_counter()
        parse(f)
        t1 = time.perf_counter()
        con.execute("INSERT INTO lsoa_counts SELECT s.lsoa_code, count(*) FROM _crime_raw r "
                    "JOIN crime_snap s ON s.lon = r.\"Longitude\" AND s.lat = r.\"Latitude\" "
                    "GROUP BY s.lsoa_code")
        t2 = time.perf_counter()
        points += con.execute("SELECT count(*) FROM _crime_raw").fetchone()[0]
        t_read += t1 - t0
        t_join += t2 - t1
    assigned = con.execute("SELECT sum(n) FROM lsoa_counts WHERE lsoa_code IS NOT NULL").fetchone()[0]
    return {"points": points, "assigned": int(assigned), "unique": unique,
            "assign_s": t_dedupe + t_pip + t_join, "dedupe_s": t_dedupe, "pip_s": t_pip,
            "join_s": t_join, "read_s": t_read, "peak_rss_mb": peak_rss_mb()}


def worker_ref(db: str, scale: int) -> dict:
    """Plain geopandas: all points at once, to_crs, sjoin(within)."""
    import duckdb
    import geopandas as gpd
    import numpy as np
    import shapely

    from needsmap.store.db import connect

    con = duckdb.connect()

    scon = connect(db, read_only=True)
    lsoa = scon.execute("SELECT lsoa_code, ST_AsWKB(geom) AS wkb FROM lsoa").df()
    scon.close()
    poly = gpd.GeoDataFrame(lsoa[["lsoa_code"]], crs=27700,
                            geometry=shapely.from_wkb(lsoa["wkb"].map(bytes).to_numpy()))
    del lsoa
    xy = con.execute(
        "SELECT \"Longitude\", \"Latitude\" FROM read_csv($f, header=true) "
        "WHERE \"Longitude\" IS NOT NULL AND \"Latitude\" IS NOT NULL",
        {"f": [str(f) for f in lancashire_files(MIRROR)]}).fetchnumpy()
    lon = np.tile(xy["Longitude"], scale)
    lat = np.tile(xy["Latitude"], scale)
    t0 = time.perf_counter()
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326).to_crs(27700)
    t1 = time.perf_counter()
    j = gpd.sjoin(pts, poly, how="left", predicate="within")
    t2 = time.perf_counter()
    return {"points": len(lon), "assigned": int(j["lsoa_code"].notna().sum()),
            "sjoin_s": t2 - t1, "to_crs_s": t1 - t0, "peak_rss_mb": peak_rss_mb()}


def run_worker(kind: str, db: str, scale: int, threads: int, jitter: bool = False) -> dict:
    cmd = [sys.executable, __file__, "--worker", kind, "--db", db, "--scale", str(scale),
           "--threads", str(threads)] + (["--jitter"] if jitter else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default=os.environ.get("NEEDSMAP_DB"), required="NEEDSMAP_DB" not in os.environ)
    ap.add_argument("--scales", default="1,2,4,32")
    ap.add_argument("--ref-scales", default="1,32", help="scales for the geopandas reference")
    ap.add_argument("--threads", type=int, default=1,
                    help="DuckDB threads (default 1: the geopandas reference is single-threaded too)")
    ap.add_argument("--worker", choices=["ours", "ref"])
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--jitter", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--cold-scale", type=int, default=32,
                    help="also run this scale with every repeat moved ~1 cm, so that it brings new "
                    "distinct coordinates (0 to skip)")
    a = ap.parse_args(argv)
    if a.worker == "ours":
        print(json.dumps(worker_ours(a.db, a.scale, a.threads, a.jitter)))
        return 0
    if a.worker == "ref":
        print(json.dumps(worker_ref(a.db, a.scale)))
        return 0

    scales = [int(s) for s in a.scales.split(",")]
    ref_scales = [int(s) for s in a.ref_scales.split(",")]
    print(f"police.uk point-in-polygon benchmark: 12 real Lancashire months "
          f"({MONTHS[0]} .. {MONTHS[-1]}), DuckDB threads={a.threads}, load avg "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("Scales above 1x REPEAT the same 12 real months (same snap points) to reach national "
          "volume (England: about 6 M street-level crimes a year).")
    ref = {}
    for s in ref_scales:
        runs = [run_worker("ref", a.db, s, a.threads) for _ in range(2 if s == 1 else 1)]
        r = min(runs, key=lambda x: x["sjoin_s"])
        ref[s] = r
        print(f"  reference geopandas  {s:>3}x  {r['points']:>10,} points  sjoin {r['sjoin_s']:7.2f} s "
              f"= {r['points'] / r['sjoin_s'] / 1e6:5.2f} M points/s   (to_crs+sjoin "
              f"{r['points'] / (r['sjoin_s'] + r['to_crs_s']) / 1e6:5.2f} M/s)   "
              f"peak RSS {r['peak_rss_mb']:,.0f} MB")
    base = None
    for s in scales:
        runs = [run_worker("ours", a.db, s, a.threads) for _ in range(2 if s == 1 else 1)]
        r = min(runs, key=lambda x: x["assign_s"])
        rate = r["points"] / r["assign_s"]
        ref_s = ref.get(s) or ref[min(ref)]
        ref_rate = ref_s["points"] / ref_s["sjoin_s"]
        base = base or r
        print(f"  needsmap (DuckDB+GEOS)    {s:>3}x  {r['points']:>10,} points  assign {r['assign_s']:7.2f} s "
              f"= {rate / 1e6:5.2f} M points/s  = {rate / ref_rate:4.1f}x the sjoin reference"
              f"{'' if s in ref else f' at {min(ref)}x'}   peak RSS {r['peak_rss_mb']:,.0f} MB "
              f"({r['peak_rss_mb'] / base['peak_rss_mb']:.2f}x of 1x)")
        print(f"           dedupe {r['dedupe_s']:.2f} s + transform & spatial join of "
              f"{r['unique']:,} distinct coordinates {r['pip_s']:.2f} s + join back "
              f"{r['join_s']:.2f} s; CSV parse {r['read_s']:.2f} s (not timed, as for the reference)")
        if r["points"] >= 6_000_000:
            print(f"           ^ {r['points']:,} points >= 6 M: national scale, reached by repeating "
                  f"the 12 real months {s} times")
    if a.cold_scale:
        s = a.cold_scale
        r = run_worker("ours", a.db, s, a.threads, jitter=True)
        rate = r["points"] / r["assign_s"]
        ref_s = ref.get(s) or ref[min(ref)]
        print(f"  needsmap, new coords {s:>3}x  {r['points']:>10,} points  assign {r['assign_s']:7.2f} s "
              f"= {rate / 1e6:5.2f} M points/s  = {rate / (ref_s['points'] / ref_s['sjoin_s']):4.1f}x "
              f"the sjoin reference   peak RSS {r['peak_rss_mb']:,.0f} MB "
              f"({r['peak_rss_mb'] / base['peak_rss_mb']:.2f}x of 1x)")
        print(f"           every repeat moved 1e-7 degrees (~1 cm) east, so the {r['points']:,} points "
              f"have {r['unique']:,} distinct coordinates (as many per row as the real months): "
              f"dedupe {r['dedupe_s']:.2f} s + transform & spatial join {r['pip_s']:.2f} s + join "
              f"back {r['join_s']:.2f} s")
    per_unique = base["pip_s"] / base["unique"]
    print(f"  per distinct coordinate (transform + spatial join, 1x): {per_unique * 1e6:.2f} us; "
          f"per row (dedupe + join back, 1x): "
          f"{(base['dedupe_s'] + base['join_s']) / base['points'] * 1e6:.2f} us. Repeated months add "
          f"no new coordinates; a real national year also pays the first figure once per distinct "
          f"snap point.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: the crime stage on the mirror's 31 real police.uk files, against a plain reference.

**needsmap** runs what the build's ``crime`` stage runs (:func:`needsmap.crime.build.load`
then :func:`needsmap.crime.build.build_outputs`) on a copy of a built store: find the
files, check every header, read them with DuckDB's strict CSV reader, place every record
in its LSOA 2021 (:func:`needsmap.areas.locate.lsoa_of_points`, polygons parsed from the
store), apply the row rules (coordinates, month, crime type, outside England, duplicate
Crime IDs), write ``crime_point``, ``crime_file``, ``rejected_rows`` and the load report,
then the outputs (``ward_crime_monthly``, ``crime_coverage``, ``ward_crime`` with Byar
intervals).

**reference** does the same core work the obvious way, with pandas and geopandas: read
the LSOA polygons (with their wards) from the store, ``pd.read_csv`` every file,
``points_from_xy`` -> ``to_crs(27700)`` -> ``sjoin(predicate="within")``, then count by
ward and crime type. It validates nothing, rejects nothing, writes nothing.

Both start from the files on disk and a built store, in fresh processes (each imports its
libraries before its clock starts), and are run alternately (``--repeat`` times each; the fastest run of each is reported, as the
machine is shared). The ratio is reference seconds / needsmap seconds: at least 1 means
the stage is no slower than the reference. ``--zip`` also runs the stage on a police.uk
style archive zip made from the same 31 files (read in the zip).

Usage::

    python benchmarks/crime.py --db STORE [--repeat 3] [--zip]

``STORE`` is any built needsmap store (its ``lsoa`` table is always national).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

MIRROR = Path(os.environ.get("NEEDSMAP_MIRROR",
                             Path(__file__).resolve().parents[2] / "shared/geodata"))
POLICE = MIRROR / "crime" / "police_uk"


def _files() -> list[Path]:
    return sorted(POLICE.glob("*/*-street.csv"))


def worker_needsmap(db: str, source: str) -> dict:
    """The crime stage's work on a copy of ``db``; ``source`` is a folder or a zip."""
    import fsspec.implementations.zip  # noqa: F401 - imported before the clock, as the
    import pyarrow.dataset  # noqa: F401 - reference imports its libraries first

    from needsmap.crime.build import build_outputs, drop_crime_tables, load
    from needsmap.ingest.police import scan
    from needsmap.ingest.report import LoadReport
    from needsmap.stats import byar_ci  # noqa: F401
    from needsmap.store.db import connect

    tmp = Path(tempfile.mkdtemp(prefix="needsmap-bench-")) / "store.duckdb"
    shutil.copyfile(db, tmp)
    con = connect(tmp)
    drop_crime_tables(con)
    lookup = MIRROR / "lookups" / "lsoa11_lsoa21_lad22_ew_lu.csv"
    w0, c0 = time.perf_counter(), time.process_time()
    found = scan([source])
    reports = load(con, found.files, lookup)
    build_outputs(con)
    rep = LoadReport()
    rep.files.extend(reports)
    rep.write(con)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    out = {"wall": wall, "cpu": cpu, "files": len(found.files),
           "read": sum(r.rows_read for r in reports), "kept": sum(r.rows_kept for r in reports),
           "full_wards": con.execute("SELECT count(*) FROM ward_crime WHERE full_coverage"
                                     ).fetchone()[0]}
    con.close()
    shutil.rmtree(tmp.parent, ignore_errors=True)
    return out


def worker_reference(db: str) -> dict:
    """pandas read_csv + geopandas sjoin + groupby (see the module docstring)."""
    import duckdb
    import geopandas as gpd
    import pandas as pd
    import shapely

    from needsmap.ingest.police import STANDARD_COLUMNS

    w0, c0 = time.perf_counter(), time.process_time()
    con = duckdb.connect(db, read_only=True)
    con.execute("LOAD spatial")
    lsoa = con.execute("SELECT lsoa_code, ward_code, ST_AsWKB(geom) AS wkb FROM lsoa").df()
    con.close()
    poly = gpd.GeoDataFrame(lsoa[["lsoa_code", "ward_code"]], crs=27700,
                            geometry=shapely.from_wkb(lsoa["wkb"].map(bytes).to_numpy()))
    frames = []
    for f in _files():
        df = pd.read_csv(f)
        df.columns = list(STANDARD_COLUMNS)  # the Essex files' snake_case header, by position
        frames.append(df)
    crimes = pd.concat(frames, ignore_index=True)
    crimes = crimes.dropna(subset=["Longitude", "Latitude"])
    pts = gpd.GeoDataFrame(crimes[["Crime type"]], crs=4326,
                           geometry=gpd.points_from_xy(crimes["Longitude"], crimes["Latitude"]))
    joined = gpd.sjoin(pts.to_crs(27700), poly, how="inner", predicate="within")
    counts = joined.groupby(["ward_code", "Crime type"]).size()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    return {"wall": wall, "cpu": cpu, "files": len(frames), "read": int(sum(map(len, frames))),
            "kept": int(len(joined)), "groups": int(len(counts))}


def run(kind: str, db: str, source: str = "") -> dict:
    cmd = [sys.executable, __file__, "--worker", kind, "--db", db, "--source", source]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def make_zip(dest: Path) -> Path:
    """A police.uk-style archive (``YYYY-MM/YYYY-MM-<force>-street.csv`` members, deflate)."""
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in _files():
            zf.write(f, f"{f.parent.name}/{f.name}")
    return dest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default=os.environ.get("NEEDSMAP_DB"),
                    required="NEEDSMAP_DB" not in os.environ)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--zip", action="store_true", help="also time the stage reading a zip")
    ap.add_argument("--worker", choices=["needsmap", "reference"])
    ap.add_argument("--source", default="")
    a = ap.parse_args(argv)
    if a.worker == "needsmap":
        print(json.dumps(worker_needsmap(a.db, a.source)))
        return 0
    if a.worker == "reference":
        print(json.dumps(worker_reference(a.db)))
        return 0

    files = _files()
    load0 = os.getloadavg()[0]
    print(f"crime stage benchmark: the mirror's {len(files)} real police.uk files "
          f"({sum(f.stat().st_size for f in files) / 2**20:.1f} MiB), {os.cpu_count()} cores, "
          f"load average {load0:.1f} at the start")
    ours, ref, zipped = [], [], []
    with tempfile.TemporaryDirectory() as td:
        zp = make_zip(Path(td) / "latest.zip") if a.zip else None
        for _ in range(max(1, a.repeat)):  # alternate, so both see the same machine load
            ref.append(run("reference", a.db))
            ours.append(run("needsmap", a.db, str(POLICE)))
            if zp is not None:
                zipped.append(run("needsmap", a.db, str(zp)))
    r, o = min(ref, key=lambda x: x["wall"]), min(ours, key=lambda x: x["wall"])
    print(f"  reference (pandas read_csv + geopandas sjoin + groupby): {r['wall']:6.2f} s "
          f"(CPU {r['cpu']:.2f} s), {r['read']:,} rows read, {r['kept']:,} in an LSOA, "
          f"{r['groups']:,} ward x type counts")
    print(f"  needsmap crime stage (read, validate, place, reject, store, outputs): "
          f"{o['wall']:6.2f} s (CPU {o['cpu']:.2f} s), {o['files']} files, {o['read']:,} rows "
          f"read, {o['kept']:,} kept, {o['full_wards']} wards with 12 full months")
    print(f"  ratio reference / needsmap = {r['wall'] / o['wall']:.2f} (target >= 1); "
          f"runs (wall s): reference {[round(x['wall'], 2) for x in ref]}, "
          f"needsmap {[round(x['wall'], 2) for x in ours]}")
    if zipped:
        z = min(zipped, key=lambda x: x["wall"])
        print(f"  needsmap crime stage from a zip of the same files (read in the zip): "
              f"{z['wall']:6.2f} s (CPU {z['cpu']:.2f} s), {z['kept']:,} kept; ratio reference "
              f"/ needsmap = {r['wall'] / z['wall']:.2f}")
    print(f"  load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

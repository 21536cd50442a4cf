"""Benchmark: the whole-England store build against a plain geopandas/pandas pipeline.

Prints wall time and peak memory (max RSS of a fresh child process) for

* ``needsmap joins`` - the core build stage given exactly the reference's inputs
  (LSOA GeoJSON, lookup, IoD2025 domains and indicators, Census 2021: a mirror
  directory of links to those five files only): validation, load report, LSOA
  and ward tables with geometry, aggregation, atomic replace, all included;
* ``needsmap core``  - the core build stage with every issue-2 input (adds CiLIF
  with its two lookups and mid-2020 populations, the official IDACI file and the
  UK BSC ward polygons of all 6,817 English wards, with the LSOA x ward weights and
  fit figures of issue 14; the ``joins`` run has no ward file, so it dissolves LSOAs
  into the 6,784 lookup wards as the reference does);
* ``needsmap full``  - every stage (services, crime, index, access too);
* ``reference``      - the obvious plain pipeline: ``gpd.read_file`` the LSOA
  GeoJSON, ``pd.read_csv`` IoD, Census and the lookup, merge, then
  ``dissolve`` to wards with population-weighted means.

Targets (issue 2): core build <= 10 s and <= 1 GB on 2 cores; the core
joins no slower than the reference (ratio reference/needsmap-joins >= 1).

Usage: ``NEEDSMAP_MIRROR=../shared/geodata python benchmarks/build.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

CHILD_NEEDSMAP = textwrap.dedent("""
    import json, resource, sys, time
    from pathlib import Path
    from rich.console import Console
    from needsmap.settings import Settings
    from needsmap.pipeline import build  # imports every stage's libraries before the clock
    stages = None if sys.argv[3] == "full" else ["areas"]
    t = time.perf_counter()
    s = build(Settings(db_path=Path(sys.argv[1]), mirror=Path(sys.argv[2]), cache_dir=Path(sys.argv[1]).parent / "cache",
                       offline=True), stages=stages, console=Console(quiet=True))
    wall = time.perf_counter() - t
    print(json.dumps({"wall": wall, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "wards": s.get("wards_in_scope"), "timings": s.get("timings")}))
""")

CHILD_REFERENCE = textwrap.dedent("""
    import json, resource, sys, time
    from pathlib import Path
    import geopandas as gpd, pandas as pd
    m = Path(sys.argv[1])
    t = time.perf_counter()
    g = gpd.read_file(m / "boundaries/lsoa21_ew_bsc_dec2021.geojson")
    lu = pd.read_csv(m / "lookups/lsoa21_wd24_lad24_ew_lu.csv")
    iod = pd.read_csv(m / "deprivation/iod2025/iod2025_lsoa21_domains.csv")
    ind = pd.read_csv(m / "deprivation/iod2025/iod2025_lsoa21_underlying_indicators.csv")
    c = pd.read_csv(m / "population/census2021_lsoa21_usual_residents_age6.csv")
    pop = c.groupby("lsoa21_code").usual_residents.sum().rename("population")
    kids = c[c.age_group == "Aged 15 years and under"].set_index("lsoa21_code").usual_residents.rename("children")
    g = g[g.LSOA21CD.str.startswith("E")].to_crs(27700)
    d = (g.merge(lu, on="LSOA21CD").merge(iod, left_on="LSOA21CD", right_on="lsoa21_code")
          .merge(ind, on="lsoa21_code").join(pop, on="LSOA21CD").join(kids, on="LSOA21CD"))
    d["area_km2"] = d.area / 1e6
    d["inc_w"] = d.income_score_rate * d.population
    d["idaci"] = d.income_deprivation_affecting_children_index_idaci_numerator.fillna(4.5)
    w = d[["WD24CD", "geometry", "population", "children", "area_km2", "inc_w", "idaci"]].dissolve(
        "WD24CD", aggfunc="sum")
    w["income_rate"] = w.inc_w / w.population
    w["child_poverty_rate"] = w.idaci / w.children
    w["density"] = w.population / w.area_km2
    wall = time.perf_counter() - t
    print(json.dumps({"wall": wall, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "wards": len(w)}))
""")


def run_child(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


#: The reference pipeline's inputs (catalogue paths), for the like-for-like ``joins`` run.
REFERENCE_INPUTS = (
    "boundaries/lsoa21_ew_bsc_dec2021.geojson",
    "lookups/lsoa21_wd24_lad24_ew_lu.csv",
    "deprivation/iod2025/iod2025_lsoa21_domains.csv",
    "deprivation/iod2025/iod2025_lsoa21_underlying_indicators.csv",
    "population/census2021_lsoa21_usual_residents_age6.csv",
)


def reference_mirror(mirror: Path, dest: Path) -> Path:
    """A mirror directory holding links to the reference's five input files only."""
    for rel in REFERENCE_INPUTS:
        link = dest / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(mirror / rel)
    return dest


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--mirror", default=os.environ.get("NEEDSMAP_MIRROR", "../shared/geodata"))
    ap.add_argument("--skip-full", action="store_true")
    args = ap.parse_args()
    mirror = str(Path(args.mirror).resolve())
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "england.duckdb")
        ref_mirror = str(reference_mirror(Path(mirror), Path(tmp) / "reference-mirror"))
        run_child(CHILD_NEEDSMAP, db, mirror, "core")  # warm the OS cache and checksum memo
        run_child(CHILD_NEEDSMAP, db, ref_mirror, "core")
        kinds = ["joins", "reference", "core"] + ([] if args.skip_full else ["full"])
        best: dict[str, dict] = {}
        # interleaved (joins, reference, core, ...) so that drift in machine speed hits all alike
        for _ in range(args.repeat):
            for kind in kinds:
                if kind == "reference":
                    r = run_child(CHILD_REFERENCE, mirror)
                else:
                    r = run_child(CHILD_NEEDSMAP, db, ref_mirror if kind == "joins" else mirror,
                                  "full" if kind == "full" else "core")
                if kind not in best or r["wall"] < best[kind]["wall"]:
                    best[kind] = r
        rows = [(kind, best[kind]) for kind in kinds]
    head = f"wall s (best of {args.repeat})"
    print(f"{'pipeline':<12} {head:>20} {'peak RSS MB':>12} {'wards':>6}")
    for kind, r in rows:
        print(f"{kind:<12} {r['wall']:>20.2f} {r['rss_mb']:>12.0f} {r['wards']:>6}")
    res = dict(rows)
    ref, joins, core = res["reference"], res["joins"], res["core"]
    print(f"\nratio reference/needsmap-joins (same five inputs; >= 1 means needsmap is no slower): "
          f"{ref['wall'] / joins['wall']:.2f}")
    print(f"ratio reference/needsmap-core (needsmap reading every issue-2 input): "
          f"{ref['wall'] / core['wall']:.2f}")
    for kind in ("joins", "core"):
        tm = res[kind].get("timings") or {}
        print(f"{kind} steps (s; lookup/census/iod/cilif run beside the geometry worker): " + ", ".join(
            f"{k[5:]} {v:.2f}" for k, v in tm.items() if k.startswith("areas.")))
    ok = core["wall"] <= 10 and core["rss_mb"] <= 1024
    print(f"target core <= 10 s and <= 1 GB: {'met' if ok else 'NOT met'}; "
          f"joins no slower than the reference: {'met' if joins['wall'] <= ref['wall'] else 'NOT met'}")
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

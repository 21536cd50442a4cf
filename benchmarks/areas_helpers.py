"""Benchmark: what each performance helper of the areas stage earns (issue 13 rule: keep a
helper only if it saves at least 10% of the stage it serves).

Runs the areas stage of a whole-England build (``stages=["areas"]``, the mirror's files)
in fresh child processes, interleaved, with one helper switched off at a time:

* ``all on``         - the stage as shipped;
* ``no worker``      - the boundary work (read, validate, overlay) runs on the main thread
                       before the DuckDB loads, instead of on a worker thread beside them;
* ``no pool``        - ``needsmap._threads`` does nothing: array-wide geometry work runs
                       on the calling thread instead of in two halves on two pool threads;
* ``no fast geojson``- the LSOA GeoJSON is read by GDAL (pyogrio) instead of
                       ``needsmap.ingest._geojson_lines``;

and prints the median wall time of the stage per configuration and the gain of each
helper as a share of the stage (``(off - on) / off``). (A fourth helper, nice +5 on the
pool's threads, was dropped in issue 14: docs/decisions.md.)

Usage: ``NEEDSMAP_MIRROR=../shared/geodata python benchmarks/areas_helpers.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

CHILD = textwrap.dedent("""
    import json, sys, time
    from concurrent.futures import Future
    from pathlib import Path
    import numpy as np
    from rich.console import Console
    from needsmap.settings import Settings
    from needsmap.pipeline import build
    from needsmap.areas import build as areas
    from needsmap import _threads
    from needsmap.ingest import boundaries

    kind = sys.argv[3]

    class Inline:  # an executor that runs each job at once, on the calling thread
        def __init__(self, *a, **k): pass
        def __enter__(self): return self
        def __exit__(self, *exc): return False
        def submit(self, fn, *args, **kwargs):
            f = Future()
            try:
                f.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # noqa: BLE001
                f.set_exception(exc)
            return f

    if kind == "no worker":
        areas.ThreadPoolExecutor = Inline
    elif kind == "no pool":
        _threads.MIN_SPLIT = 1 << 62  # every array handled on the calling thread
    elif kind == "no fast geojson":
        boundaries.read_feature_lines = lambda path, props: None
    s = build(Settings(db_path=Path(sys.argv[1]), mirror=Path(sys.argv[2]),
                       cache_dir=Path(sys.argv[1]).parent / "cache", offline=True),
              stages=["areas"], console=Console(quiet=True))
    import resource
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"areas": s["timings"]["areas"], "wall": s["wall_s"],
                      "cpu": ru.ru_utime + ru.ru_stime}))
""")

KINDS = ("all on", "no worker", "no pool", "no fast geojson")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--mirror", default=os.environ.get("NEEDSMAP_MIRROR", "../shared/geodata"))
    ap.add_argument("--kinds", nargs="*", default=list(KINDS))
    args = ap.parse_args()
    mirror = str(Path(args.mirror).resolve())
    load0 = os.getloadavg()[0]
    times: dict[str, list[float]] = {k: [] for k in args.kinds}
    cpu: dict[str, list[float]] = {k: [] for k in args.kinds}
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "england.duckdb")
        subprocess.run([sys.executable, "-c", CHILD, db, mirror, "all on"], check=True,
                       capture_output=True)  # warm the OS cache
        for _ in range(args.repeat):
            for kind in args.kinds:
                out = subprocess.run([sys.executable, "-c", CHILD, db, mirror, kind], check=True,
                                     capture_output=True, text=True)
                r = json.loads(out.stdout.strip().splitlines()[-1])
                times[kind].append(r["areas"])
                cpu[kind].append(r["cpu"])
    on, on_min = statistics.median(times["all on"]), min(times["all on"])
    print(f"areas stage, whole England; {args.repeat} interleaved runs (s); load average at the "
          f"start {load0:.1f}")
    print(f"{'configuration':<18} {'median':>7} {'min':>7} {'max':>7} {'CPU s':>7}  "
          "gain of the helper (median; min)")
    for kind in args.kinds:
        t = times[kind]
        med, lo = statistics.median(t), min(t)
        gain = "" if kind == "all on" else f"{(med - on) / med:+.0%}; {(lo - on_min) / lo:+.0%}"
        print(f"{kind:<18} {med:>7.2f} {lo:>7.2f} {max(t):>7.2f} "
              f"{statistics.median(cpu[kind]):>7.2f}  {gain}")
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

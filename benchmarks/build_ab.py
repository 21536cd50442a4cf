"""Benchmark: the whole-England build of this tree against another checkout (A/B, interleaved).

On a busy shared machine absolute times drift; interleaving the two trees' runs (A, B, A,
B, ...) makes the drift hit both alike. Each run is a fresh child process importing
``needsmap`` from the tree's ``src/`` (``PYTHONPATH``; no bytecode written into the other
tree) and building the full store from the mirror; it reports the build's wall time and
the process's peak RSS.

Usage::

    git worktree add --detach /tmp/main-ab main
    NEEDSMAP_MIRROR=../shared/geodata python benchmarks/build_ab.py --other /tmp/main-ab --repeat 5
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
    import json, resource, sys, time
    from pathlib import Path
    from rich.console import Console
    from needsmap.settings import Settings
    from needsmap.pipeline import build
    t = time.perf_counter()
    s = build(Settings(db_path=Path(sys.argv[1]), mirror=Path(sys.argv[2]),
                       cache_dir=Path(sys.argv[1]).parent / "cache", offline=True),
              console=Console(quiet=True))
    print(json.dumps({"wall": time.perf_counter() - t, "wards": s.get("wards_england"),
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "areas": s["timings"].get("areas")}))
""")

HERE = Path(__file__).resolve().parent.parent


def run(tree: Path, db: Path, mirror: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree / "src"), PYTHONDONTWRITEBYTECODE="1")
    out = subprocess.run([sys.executable, "-c", CHILD, str(db), mirror], env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--other", required=True, help="the other checkout (e.g. a worktree of main)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--mirror", default=os.environ.get("NEEDSMAP_MIRROR", "../shared/geodata"))
    args = ap.parse_args()
    mirror = str(Path(args.mirror).resolve())
    trees = {"this": HERE, "other": Path(args.other).resolve()}
    res: dict[str, list[dict]] = {k: [] for k in trees}
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for k, tree in trees.items():  # warm the OS cache and the checksum memo
            run(tree, Path(tmp) / f"{k}.duckdb", mirror)
        for _ in range(args.repeat):
            for k, tree in trees.items():
                res[k].append(run(tree, Path(tmp) / f"{k}.duckdb", mirror))
    print(f"whole-England build, {args.repeat} interleaved runs each; load average "
          f"{load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
    print(f"{'tree':<6} {'wards':>6} {'wall median':>12} {'wall min':>9} {'areas median':>13} "
          f"{'peak RSS MB (max)':>18}")
    for k, rs in res.items():
        w = [r["wall"] for r in rs]
        a = [r["areas"] for r in rs if r["areas"] is not None]
        print(f"{k:<6} {rs[0]['wards']:>6} {statistics.median(w):>12.2f} {min(w):>9.2f} "
              f"{statistics.median(a) if a else float('nan'):>13.2f} "
              f"{max(r['rss_mb'] for r in rs):>18.0f}")
    t, o = ([r["wall"] for r in res[k]] for k in ("this", "other"))
    print(f"\nratio other/this, median wall: {statistics.median(o) / statistics.median(t):.2f}; "
          f"min wall: {min(o) / min(t):.2f} (>= 1 means this tree is no slower)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

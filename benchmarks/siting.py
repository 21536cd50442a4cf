"""Benchmark: siting solve times (spopt + HiGHS) against a plain greedy heuristic.

Usage::

    .venv/bin/python benchmarks/siting.py --db ENGLAND_STORE [--repeat 3] [--pmedian-limit 60]
                                          [--pmedian-large]

Cases (all schools as candidates, R = 1.5 km, need = ACE decile weight):

* Birmingham (the largest LA, 659 LSOAs), N = 10, no existing service fixed
  (``--type family_hub``: the store has no family hub list) and with the
  libraries fixed. Target: MCLP <= 10 s.
* A typical LA (the one with the median number of LSOAs in England), N = 3 and
  N = 10. Target: <= 2 s.

For each case it prints the time to read the inputs, the MILP time for N alone
(model build + solve, spopt already imported), the MILP time for the whole gain
curve 1..N, the time of the plain greedy heuristic
(:func:`needsmap.access.siting.greedy`), the ratio MILP / greedy, and greedy's
optimality gap (how much worse than the proven optimum its answer is). The
one-off import of spopt (it pulls in libpysal, geopandas, scikit-learn...) is
printed separately. p-median is timed for the typical LA and for Birmingham with
its libraries fixed (which leaves a 619 x 432 model), with a per-solve time limit
(``--pmedian-limit``), reporting the gap when hit. ``--pmedian-large`` adds
Birmingham with nothing fixed: spopt's p-median then has 659 x 432 = 284,688
assignment variables, and building and solving it takes many minutes on this
machine (the solver's answer, or greedy's if it has none in time, is reported).
The machine's load average is printed beside the figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

TARGET_LARGE_S = 10.0
TARGET_TYPICAL_S = 2.0


def _t(fn):  # noqa: ANN001, ANN202
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def best(fn, repeat: int):  # noqa: ANN001, ANN202
    times, out = [], None
    for _ in range(repeat):
        dt, out = _t(fn)
        times.append(dt)
    return min(times), out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default=os.environ.get("NEEDSMAP_DB"), help="whole-England store")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pmedian-limit", type=float, default=300.0, metavar="S",
                    help="time limit per p-median solve for Birmingham (default 300 s)")
    ap.add_argument("--pmedian-large", action="store_true",
                    help="also Birmingham p-median with nothing fixed (slow)")
    args = ap.parse_args(argv)
    if not args.db:
        ap.error("--db (or $NEEDSMAP_DB) is required")

    print(f"load average at start: {os.getloadavg()[0]:.2f} (2-core machine)")
    t_imp, _ = _t(lambda: __import__("spopt.locate"))
    import highspy  # noqa: F401 - the first Highs() prints a banner; do it before the timings

    highspy.Highs()
    print(f"one-off import of spopt (+ libpysal, geopandas, scikit-learn...): {t_imp:.2f} s")

    from needsmap.access.siting import SitingProblem, evaluate, greedy, solve
    from needsmap.access.siting_inputs import read_inputs
    from needsmap.store.db import open_store

    con = open_store(args.db)
    n_lsoa = con.execute("SELECT lad_name, count(*) AS n FROM lsoa GROUP BY 1 ORDER BY 2, 1").df()
    typical = n_lsoa.iloc[len(n_lsoa) // 2]
    largest = n_lsoa.iloc[-1]
    print(f"largest LA: {largest['lad_name']} ({largest['n']} LSOAs); typical LA (median LSOA "
          f"count): {typical['lad_name']} ({typical['n']} LSOAs)")

    cases = [(largest["lad_name"], None, 10, "mclp", TARGET_LARGE_S, None),
             (largest["lad_name"], "library", 10, "mclp", TARGET_LARGE_S, None),
             (typical["lad_name"], None, 3, "mclp", TARGET_TYPICAL_S, None),
             (typical["lad_name"], None, 10, "mclp", TARGET_TYPICAL_S, None),
             (typical["lad_name"], "library", 3, "mclp", TARGET_TYPICAL_S, None),
             (typical["lad_name"], None, 3, "pmedian", TARGET_TYPICAL_S, None),
             (typical["lad_name"], "library", 3, "pmedian", TARGET_TYPICAL_S, None),
             (largest["lad_name"], "library", 10, "pmedian", None, args.pmedian_limit)]
    if args.pmedian_large:
        cases.append((largest["lad_name"], None, 10, "pmedian", None, args.pmedian_limit))
    ok = True
    for la, existing, n, model, target, limit in cases:
        t_read, inputs = _t(lambda la=la, existing=existing: read_inputs(
            con, la, existing=existing, candidates="schools", need="ace"))
        problem = SitingProblem.from_frames(inputs.demand, inputs.existing, inputs.candidates, 1.5)
        rep = 1 if limit else args.repeat
        t_one, res = best(lambda problem=problem, n=n, model=model, limit=limit: solve(
            problem, n, model, curve=False, time_limit=limit), rep)
        t_curve, curve = (None, None) if limit else _t(
            lambda problem=problem, n=n, model=model: solve(problem, n, model))
        t_greedy, g = best(lambda problem=problem, n=n, model=model: greedy(problem, n, model),
                           max(args.repeat, 3))
        key = "weighted_covered" if model == "mclp" else "mean_km_weighted"
        opt = float(res.gains[key].iloc[-1])
        gv = evaluate(problem, g)[key]
        gap = (opt - gv) / opt if model == "mclp" else (gv - opt) / opt
        status = res.params["status"]
        print(f"\n{la}, {model}, N = {n}, existing: {existing or 'none (family_hub)'}, "
              f"{len(inputs.candidates)} candidate schools, {len(inputs.demand)} LSOAs; "
              f"reduced model {res.params['model_rows']} x {res.params['model_columns']}")
        print(f"  read inputs from the store:        {t_read:.2f} s")
        line = f"  MILP, N = {n} alone (build+solve):  {t_one:.2f} s  [{status}]"
        if target:
            hit = t_one <= target
            ok &= hit
            line += f"  target <= {target:.0f} s: {'OK' if hit else 'MISSED'}"
        print(line)
        if t_curve is not None:
            print(f"  MILP, gain curve N = 1..{n}:        {t_curve:.2f} s")
        print(f"  greedy heuristic, N = {n}:           {t_greedy * 1000:.1f} ms")
        print(f"  ratio MILP / greedy:               {t_one / t_greedy:,.0f}x")
        what = "need-weighted children covered" if model == "mclp" else "need-weighted mean km"
        print(f"  optimum {opt:,.4f} vs greedy {gv:,.4f} ({what}): greedy's gap {gap:.3%}")
    con.close()
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark the modelled ACE risk index on a built store (prints figures; no assertions).

Usage::

    .venv/bin/python benchmarks/index.py --db /tmp/h_index/england.duckdb

Targets (issues 3 and 16): recompute every English ward with new weights <= 50 ms, the
call the app makes included (``compute_index`` on the cached ``IndicatorFrame``), for
the default ``domains`` method (new domain weights) and the flat methods; stability
bands for all England <= 2 s. The references are plain pandas versions done the
obvious way: ``DataFrame.rank`` + ``scipy.stats.norm.ppf`` per call (``weighted``),
and for ``domains`` the same per proxy, ``mean`` per domain, ``rank`` per domain,
weighted mean, ``rank`` again.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.stats import norm

from needsmap.index import DOMAINS, compute_index, load_indicator_frame
from needsmap.index.indicators import BY_NAME
from needsmap.settings import default_db_path
from needsmap.store.db import open_store

COLS = {"child_poverty": "child_poverty_rate", "income": "income_rate",
        "crime": "crime_score", "density": "density_per_km2"}


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Return (median, min) wall time in ms over ``repeat`` calls."""
    t = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        t.append((time.perf_counter() - t0) * 1000)
    return statistics.median(t), min(t)


def pandas_reference(df: pd.DataFrame, w: dict[str, float]) -> pd.DataFrame:
    """The obvious pandas implementation of the ``weighted`` method."""
    x = df[list(COLS.values())].copy()
    x["density_per_km2"] = np.log(x["density_per_km2"])
    r = x.rank(method="average")
    y = pd.DataFrame(norm.ppf(r / (r.count() + 1)), index=df.index, columns=list(COLS))
    total = sum(w.values())
    score = sum(y[k] * (v / total) for k, v in w.items())
    out = df[["ward_code", "lad_code"]].copy()
    out["ace_score"] = score
    out["ace_rank_england"] = score.rank(ascending=False, method="min").astype(int)
    out["ace_decile_england"] = (out["ace_rank_england"] - 1) * 10 // len(out) + 1
    out["ace_rank_in_lad"] = out.groupby("lad_code")["ace_score"].rank(
        ascending=False, method="min")
    return out


def pandas_domains(df: pd.DataFrame, w: dict[str, float]) -> pd.DataFrame:
    """The obvious pandas implementation of the ``domains`` method."""
    q = {}
    for d in DOMAINS:
        x = df[[BY_NAME[i].column for i in d.indicators]]
        r = x.rank(method="average")
        y = pd.DataFrame(norm.ppf(r / (r.count() + 1)), index=df.index, columns=x.columns)
        dom = y.mean(axis=1)
        q[d.name] = dom.rank(method="average") / (dom.count() + 1)
    total = sum(w.values())
    score = sum(q[k] * (v / total) for k, v in w.items())
    out = df[["ward_code", "lad_code"]].copy()
    out["ace_score"] = score
    out["ace_rank_england"] = score.rank(ascending=False, method="min").astype(int)
    out["ace_decile_england"] = (out["ace_rank_england"] - 1) * 10 // len(out) + 1
    out["ace_rank_in_lad"] = out.groupby("lad_code")["ace_score"].rank(
        ascending=False, method="min")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default=str(default_db_path()))
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    con = open_store(args.db)
    rng = np.random.default_rng(1)

    t0 = time.perf_counter()
    frame = load_indicator_frame(con)
    load_ms = (time.perf_counter() - t0) * 1000
    print(f"wards: {frame.n}, LADs: {frame.n_lads}")
    print(f"load_indicator_frame (once per app session, SQL ranking): {load_ms:8.1f} ms")

    def new_weights() -> dict[str, float]:
        return dict(zip(COLS, rng.dirichlet(np.ones(4)), strict=True))

    def new_domain_weights() -> dict[str, float]:
        return dict(zip((d.name for d in DOMAINS), rng.dirichlet(np.ones(3)), strict=True))

    def weights_for(method: str) -> dict[str, float]:
        return new_domain_weights() if method == "domains" else new_weights()

    fast = {}
    for method in ("domains", "lewer", "weighted", "exponential"):
        for scope in ("england", "lad"):
            med, best = timed(lambda m=method, s=scope: compute_index(frame, m, weights_for(m), s),
                              args.repeat)
            fast[(method, scope)] = (med, best)
            print(f"recompute {method:11s} scope {scope:7s} (app call, new weights): "
                  f"median {med:6.2f} ms, min {best:6.2f} ms   target <= 50 ms")

    raw = con.execute("SELECT * FROM ward_indicators_england").df()
    med_pd, min_pd = timed(lambda: pandas_reference(raw, new_weights()), args.repeat)
    med_f, min_f = fast[("weighted", "england")]
    print(f"pandas reference (DataFrame.rank + norm.ppf per call, weighted): median {med_pd:6.2f} "
          f"ms, min {min_pd:6.2f} ms; fast path is {med_pd / med_f:.1f}x (median) / "
          f"{min_pd / min_f:.1f}x (min) faster")

    med_pd, min_pd = timed(lambda: pandas_domains(raw, new_domain_weights()), args.repeat)
    med_f, min_f = fast[("domains", "england")]
    print(f"pandas reference (rank + norm.ppf per proxy, domain means, ranks, domains):   "
          f"median {med_pd:6.2f} ms, min {min_pd:6.2f} ms; fast path is {med_pd / med_f:.1f}x "
          f"(median) / {min_pd / min_f:.1f}x (min) faster")

    for method in ("domains", "lewer"):
        for draws in (200, 500):
            med, best = timed(lambda d=draws, m=method: compute_index(
                frame, m, weights_for(m), stability=True, draws=d), 3)
            print(f"stability bands, {method:7s}, all England, {draws} Dirichlet draws + "
                  f"drop-one: median {med:7.1f} ms, min {best:7.1f} ms   target <= 2000 ms")
        med, _ = timed(lambda m=method: compute_index(frame, m, scope="lad", stability=True), 3)
        print(f"stability bands, {method:7s}, scope lad (LA quintiles), 200 draws:      "
              f"median {med:7.1f} ms")
    con.close()


if __name__ == "__main__":
    main()

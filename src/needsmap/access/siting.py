"""Where to open the next N sites: maximal covering (MCLP) and p-median, on frames and arrays.

Everything here is pure: frames and arrays in, tidy frames out. The store is read
by :func:`needsmap.access.siting_inputs.read_inputs`; the CLI is
:mod:`needsmap.access.siting_cli`.

Inputs (EPSG:27700 metres)
--------------------------
``demand``
    One row per demand point (an LSOA's point on surface): ``x``, ``y``,
    ``children`` (the demand count, e.g. children aged 0-15) and ``weight``
    (``children`` times the need weight, see :func:`need_weight`); id columns
    such as ``lsoa_code``, ``ward_code``, ``ward_name``, ``lad_name`` are kept.
``existing``
    Services already open: ``site_id``, ``name``, ``x``, ``y``. They are open in
    every solution (fixed).
``candidates``
    Places a new site could open: ``site_id``, ``name``, ``x``, ``y``.

Models
------
With :math:`w_i` the weighted demand at point :math:`i`, :math:`d_{ij}` the cost
(km, :func:`needsmap.access.costs.cost_matrix`), :math:`E` the existing services,
:math:`C` the candidates, :math:`N` the number of new sites and :math:`R` the radius:

* **MCLP** (maximal covering, Church & ReVelle 1974): open :math:`S \\subseteq C`,
  :math:`|S| = N`, to maximise the covered weight
  :math:`\\sum_i w_i [\\min_{j \\in E \\cup S} d_{ij} \\le R]`.
* **p-median** (Hakimi 1964; ReVelle & Swain 1970): open :math:`S \\subseteq C`,
  :math:`|S| = N`, to minimise :math:`\\sum_i w_i \\min_{j \\in E \\cup S} d_{ij}`,
  reported as the weighted mean distance (divided by :math:`\\sum_i w_i`).

Both are built by PySAL spopt (``MCLP.from_cost_matrix``,
``PMedian.from_cost_matrix``) as PuLP models and solved to proven optimality
(relative gap 0) by HiGHS (``highspy``, in-process) or CBC (shipped in the pulp
wheel), after reductions that do not change the optimum:

MCLP
    1. demand already within :math:`R` of an existing service is covered in every
       solution: it is counted and left out of the model (this *is* fixing the
       existing services open; spopt's ``predefined_facilities_arr`` would keep
       those rows with their coverage forced to 1);
    2. demand with no candidate within :math:`R` can never be covered: left out;
    3. candidates within :math:`R` of no remaining demand add nothing, and a candidate
       whose reach is contained in another's adds nothing that one does not: left out
       (if fewer than :math:`N` remain, opening them all already reaches every child any
       candidate can reach; the result says so);
    4. demand points with the same set of candidates in reach are merged (weights summed).
p-median
    1. the existing services, all open, act as one fixed column whose cost is each
       point's distance to its nearest existing service (the minimum over sites that
       are always open), fixed with spopt's ``predefined_facilities_arr``;
    2. a point that no candidate brings nearer than its nearest existing service
       keeps that distance in every solution: left out, its cost added back;
    3. candidates nearer than the existing services to no point: left out.

Every figure in the results is recomputed from the chosen sites by
:func:`evaluate` (not read back from the solver), so the model's answer and a
brute-force check are judged by one function.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from needsmap.access.costs import STRAIGHT_LINE_KM, cost_matrix

#: model key -> plain-words label.
MODELS: dict[str, str] = {
    "mclp": "maximal covering (open N sites to cover the most weighted demand within R km)",
    "pmedian": "p-median (open N sites to minimise the weighted mean distance to the nearest site)",
}

#: need scale key -> plain-words description (see :func:`need_weight`).
NEED_SCALES: dict[str, str] = {
    "decile": "1 + (10 - national need decile) / 9: a child in the highest-need tenth of "
              "English wards counts 2, one in the lowest tenth counts 1",
    "percentile": "national percentile rank of need, 0 (lowest-need ward in England) to 1 "
                  "(highest): children in the lowest-need wards count for almost nothing",
}


def need_weight(rank: np.ndarray, decile: np.ndarray, n_wards: int, scale: str) -> np.ndarray:
    """Need weight of each ward from its national need rank or decile.

    Parameters
    ----------
    rank
        National rank, 1 = highest need (``ward_need.need_rank``).
    decile
        National decile, 1 = highest-need tenth (``ward_need.need_decile``).
    n_wards
        Number of English wards ranked.
    scale
        ``'decile'``: :math:`1 + (10 - \\text{decile}) / 9`, in [1, 2].
        ``'percentile'``: :math:`(n - \\text{rank}) / (n - 1)`, in [0, 1].

    Returns
    -------
    numpy.ndarray
        Weights; ``NaN`` where the ward has no need value.

    >>> need_weight(np.array([1, 6784]), np.array([1, 10]), 6784, "decile").tolist()
    [2.0, 1.0]
    >>> need_weight(np.array([1, 6784]), np.array([1, 10]), 6784, "percentile").tolist()
    [1.0, 0.0]
    """
    if scale not in NEED_SCALES:
        raise ValueError(f"unknown need scale {scale!r}; valid: {', '.join(NEED_SCALES)}")
    if scale == "decile":
        return 1.0 + (10.0 - np.asarray(decile, dtype="float64")) / 9.0
    n = max(int(n_wards), 2)
    return (n - np.asarray(rank, dtype="float64")) / (n - 1)


def relevant_existing(demand_xy: np.ndarray, existing_xy: np.ndarray, radius_km: float) -> np.ndarray:
    """Indices of the existing services that can matter to any demand point.

    A service matters if it lies within ``radius_km`` of a demand point (it covers
    it) or is a demand point's nearest service (p-median distance). Every other
    service is farther than one that is always open, so dropping it changes no
    figure. Straight-line (k-d tree) test; see :mod:`needsmap.access.costs`.
    """
    if len(existing_xy) == 0 or len(demand_xy) == 0:
        return np.zeros(0, dtype=int)
    tree = cKDTree(existing_xy)
    _, nearest = tree.query(demand_xy, k=1)
    within = tree.query_ball_point(demand_xy, r=radius_km * 1000.0)
    keep = set(np.atleast_1d(nearest).tolist())
    for lst in within:
        keep.update(lst)
    return np.array(sorted(keep), dtype=int)


def _xy(df: pd.DataFrame) -> np.ndarray:
    return df[["x", "y"]].to_numpy(dtype="float64").reshape(-1, 2)


@dataclass
class SitingProblem:
    """Demand, existing services and candidates, with their cost matrices.

    Build with :meth:`from_frames`. ``existing`` is narrowed to the services that
    can matter (:func:`relevant_existing`).
    """

    demand: pd.DataFrame
    existing: pd.DataFrame
    candidates: pd.DataFrame
    radius_km: float
    measure: str = STRAIGHT_LINE_KM
    d_cand: np.ndarray = field(repr=False, default=None)  # (n_demand, n_candidates) km
    d_exist: np.ndarray = field(repr=False, default=None)  # (n_demand,) km to nearest existing
    nearest_exist: np.ndarray = field(repr=False, default=None)  # (n_demand,) index, -1 none

    @classmethod
    def from_frames(cls, demand: pd.DataFrame, existing: pd.DataFrame | None,
                    candidates: pd.DataFrame, radius_km: float,
                    measure: str = STRAIGHT_LINE_KM) -> SitingProblem:
        if not radius_km > 0:
            raise ValueError("radius_km must be positive")
        for name, df, cols in (("demand", demand, ("x", "y", "children", "weight")),
                               ("candidates", candidates, ("site_id", "name", "x", "y"))):
            missing = [c for c in cols if c not in df.columns]
            if missing:
                raise ValueError(f"{name} frame lacks column(s) {', '.join(missing)}")
        if existing is None:
            existing = pd.DataFrame({c: pd.Series(dtype="float64" if c in "xy" else object)
                                     for c in ("site_id", "name", "x", "y")})
        demand = demand.reset_index(drop=True)
        bad = ~np.isfinite(demand[["x", "y", "children", "weight"]].to_numpy(dtype="float64")).all(1)
        if bad.any():
            raise ValueError(f"demand rows {np.flatnonzero(bad)[:5].tolist()} have missing "
                             "x, y, children or weight")
        dxy = _xy(demand)
        exist = existing.reset_index(drop=True)
        exist = exist.iloc[relevant_existing(dxy, _xy(exist), radius_km)].reset_index(drop=True)
        cand = candidates.reset_index(drop=True)
        d_cand = cost_matrix(dxy, _xy(cand), measure)
        if len(exist):
            de = cost_matrix(dxy, _xy(exist), measure)
            nearest = de.argmin(axis=1)
            d_exist = de[np.arange(len(dxy)), nearest]
        else:
            nearest = np.full(len(dxy), -1)
            d_exist = np.full(len(dxy), np.inf)
        return cls(demand, exist, cand, float(radius_km), measure, d_cand, d_exist, nearest)

    @property
    def w(self) -> np.ndarray:
        return self.demand["weight"].to_numpy(dtype="float64")

    @property
    def children(self) -> np.ndarray:
        return self.demand["children"].to_numpy(dtype="float64")


# ------------------------------------------------------------------ evaluation


def nearest_open(problem: SitingProblem, chosen: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Distance (km) to the nearest open site and which: ``-1`` existing, else candidate index."""
    d = problem.d_exist.copy()
    which = np.full(len(d), -1)
    chosen = np.asarray(list(chosen), dtype=int)
    if len(chosen):
        sub = problem.d_cand[:, chosen]
        k = sub.argmin(axis=1)
        dk = sub[np.arange(len(d)), k]
        better = dk < d
        d[better] = dk[better]
        which[better] = chosen[k[better]]
    return d, which


def evaluate(problem: SitingProblem, chosen: Sequence[int]) -> dict[str, float]:
    """Coverage and distance figures with the existing services and ``chosen`` candidates open.

    ``children_covered`` counts demand within ``radius_km`` of an open site; the
    ``mean_km`` figures are demand-weighted means of the distance to the nearest
    open site (``NaN`` when nothing is open).
    """
    d, _ = nearest_open(problem, chosen)
    w, c = problem.w, problem.children
    cov = d <= problem.radius_km
    tot_c, tot_w = c.sum(), w.sum()
    finite = np.isfinite(d)
    mean_c = float((c * d).sum() / tot_c) if tot_c and finite.all() else float("nan")
    mean_w = float((w * d).sum() / tot_w) if tot_w and finite.all() else float("nan")
    return {
        "children": float(tot_c), "children_covered": float(c[cov].sum()),
        "share_children_covered": float(c[cov].sum() / tot_c) if tot_c else float("nan"),
        "weighted_demand": float(tot_w), "weighted_covered": float(w[cov].sum()),
        "share_weighted_covered": float(w[cov].sum() / tot_w) if tot_w else float("nan"),
        "mean_km_children": mean_c, "mean_km_weighted": mean_w,
    }


def objective(problem: SitingProblem, chosen: Sequence[int], model: str) -> float:
    """The model's objective for a choice: covered weight (MCLP) or weighted mean km (p-median)."""
    ev = evaluate(problem, chosen)
    return ev["weighted_covered"] if model == "mclp" else ev["mean_km_weighted"]


def greedy(problem: SitingProblem, n: int, model: str) -> list[int]:
    """Plain greedy heuristic: add, one at a time, the candidate with the largest gain.

    The reference the optimiser is benchmarked against (``benchmarks/siting.py``).
    For MCLP greedy is within :math:`1 - 1/e` of the optimum (Nemhauser, Wolsey and
    Fisher 1978); for p-median it has no such guarantee.
    """
    _check_model(model)
    w = problem.w
    chosen: list[int] = []
    d = problem.d_exist.copy()
    if model == "mclp":
        reach = problem.d_cand <= problem.radius_km
    for _ in range(min(n, problem.d_cand.shape[1])):
        if model == "mclp":
            gain = (w * ~(d <= problem.radius_km)) @ reach
        else:
            big = np.where(np.isfinite(d), d, 1e9)[:, None]
            gain = w @ np.maximum(big - problem.d_cand, 0.0)
        gain[chosen] = -1.0
        j = int(np.argmax(gain))
        chosen.append(j)
        d = np.minimum(d, problem.d_cand[:, j])
    return chosen


# ------------------------------------------------------------------ the MILP via spopt


def _check_model(model: str) -> None:
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; valid: {', '.join(MODELS)}")


#: solver key -> plain label.
SOLVERS: dict[str, str] = {
    "highs": "HiGHS (highspy, in-process)",
    "cbc": "CBC (the binary shipped in the pulp wheel)",
}


def make_solver(name: str = "highs", time_limit: float | None = None):  # noqa: ANN201 - pulp solver
    """A PuLP solver that proves optimality (relative gap 0), with an optional time limit."""
    import pulp

    if name not in SOLVERS:
        raise ValueError(f"unknown solver {name!r}; valid: {', '.join(SOLVERS)}")
    if name == "highs":
        return pulp.HiGHS(msg=False, gapRel=0.0, timeLimit=time_limit)
    return pulp.PULP_CBC_CMD(msg=False, gapRel=0.0, timeLimit=time_limit)


@dataclass
class Solve:
    """One solve of one model for one N: the chosen candidates and how the solver ended."""

    n: int
    chosen: list[int]
    status: str  # "optimal[ (how)]", "time limit (gap x%)", "nothing to add", "before"
    seconds: float


def _undominated(reach: np.ndarray) -> np.ndarray:
    """Columns of a boolean reach matrix not dominated by another column.

    Column :math:`j` is dominated when another column :math:`k` reaches every row
    :math:`j` reaches (:math:`A_j \\subseteq A_k`), and reaches more rows or, on a tie,
    comes first. Some undominated column contains each dominated one, so with at
    least :math:`N` of them left an optimal MCLP choice uses none of the others.

    >>> _undominated(np.array([[1, 1, 0], [0, 1, 0], [0, 0, 1]], dtype=bool)).tolist()
    [False, True, True]
    """
    a = reach.astype(np.int32)
    inter = a.T @ a  # rows reached by both j and k
    size = np.diag(inter)
    idx = np.arange(len(size))
    contained = inter == size[:, None]  # [j, k]: j's rows are all k's
    ahead = (size[None, :] > size[:, None]) | ((size[None, :] == size[:, None])
                                               & (idx[None, :] < idx[:, None]))
    return ~(contained & ahead).any(axis=1)


@contextmanager
def _pulp3() -> Iterator[None]:
    """spopt 0.7 builds its models with the PuLP 3 API, which PuLP warns (once per variable)
    will change in PuLP 4; pyproject pins ``pulp<4``, so the warnings are noise here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pulp(\.|$)")
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*PuLP 4")
        yield


class _Reduced:
    """The reduced spopt model of a problem, built once (on first need) and re-solved for each N.

    ``cols`` maps model columns to candidate indices. The facility-count
    constraint (:math:`\\sum_j x_j = p`) is found once so its right-hand side can
    be changed between solves instead of rebuilding the model.

    One new site needs no MILP: every candidate is tried (exact, one vectorised
    step). This also sidesteps a HiGHS presolve that can take tens of seconds on
    the one-site p-median.
    """

    def __init__(self, problem: SitingProblem, model: str) -> None:
        _check_model(model)
        self.problem = problem
        self.model = model
        self.n_fixed = 0
        self.spopt = None
        self.build_s = 0.0
        w, D, R = problem.w, problem.d_cand, problem.radius_km
        if model == "mclp":
            reach = D <= R
            rows = ~(problem.d_exist <= R) & reach.any(axis=1) & (w > 0)
            self.cols = np.flatnonzero(reach[rows].any(axis=0))
            self.shape = (int(rows.sum()), len(self.cols))
            if len(self.cols):
                keep = _undominated(reach[np.ix_(rows, self.cols)])
                self.cols = self.cols[keep]
                sub = reach[np.ix_(rows, self.cols)]
                patterns, inverse = np.unique(sub, axis=0, return_inverse=True)
                self._weights = np.bincount(inverse.ravel(), weights=w[rows],
                                            minlength=len(patterns))
                self._cost = np.where(patterns, 0.0, 2.0 * R + 1.0)  # 0 in reach, else beyond R
                self.shape = (len(patterns), len(self.cols))
        else:
            e = problem.d_exist
            useful = D < e[:, None]
            rows = useful.any(axis=1) & (w > 0)
            self.cols = np.flatnonzero(useful[rows].any(axis=0))
            self.shape = (int(rows.sum()), len(self.cols))
            if len(self.cols):
                self._cost = D[np.ix_(rows, self.cols)]
                self._weights = w[rows]
                self._predefined = None
                if np.isfinite(e).all():
                    self._cost = np.column_stack([self._cost, e[rows]])
                    self._predefined = np.zeros(self._cost.shape[1], dtype=int)
                    self._predefined[-1] = 1
                    self.n_fixed = 1

    def _build(self) -> None:
        from spopt.locate import MCLP, PMedian

        with _pulp3():
            if self.model == "mclp":
                self.spopt = MCLP.from_cost_matrix(self._cost, self._weights,
                                                   service_radius=self.problem.radius_km,
                                                   p_facilities=1)
            else:
                self.spopt = PMedian.from_cost_matrix(
                    self._cost, self._weights, p_facilities=1 + self.n_fixed,
                    predefined_facilities_arr=self._predefined)
        self._count = self._facility_count()

    def _facility_count(self):  # noqa: ANN202 - pulp constraint
        import pulp

        fac = {v.name for v in self.spopt.fac_vars}
        with _pulp3():
            cons = list(self.spopt.problem.constraints.values())
        found = [c for c in cons
                 if c.sense == pulp.LpConstraintEQ and {v.name for v in c.keys()} == fac]
        if len(found) != 1:
            raise RuntimeError("spopt model: cannot find the facility-count constraint")
        return found[0]

    def _best_single(self) -> int:
        """The best one new site, by trying every candidate (ties: the first)."""
        p, cand = self.problem, self.cols
        d = np.minimum(p.d_exist[:, None], p.d_cand[:, cand])
        if self.model == "mclp":
            return int(cand[int(np.argmax(p.w @ (d <= p.radius_km)))])
        return int(cand[int(np.argmin(p.w @ d))])

    def solve(self, n: int, solver) -> Solve:  # noqa: ANN001 - pulp solver
        import pulp

        t0 = time.perf_counter()
        if len(self.cols) == 0 or n == 0:
            return Solve(n, [], "nothing to add", time.perf_counter() - t0)
        n_open = min(n, len(self.cols))
        if n_open == 1:
            return Solve(n, [self._best_single()], "optimal (every candidate tried)",
                         time.perf_counter() - t0)
        if n_open == len(self.cols):
            return Solve(n, [int(j) for j in self.cols], "optimal (every useful candidate)",
                         time.perf_counter() - t0)
        if self.spopt is None:  # built once; its time (and spopt's first import) is kept apart
            self._build()
            self.build_s = time.perf_counter() - t0
            t0 = time.perf_counter()
        self._count.constant = -float(n_open + self.n_fixed)
        prob = self.spopt.problem
        with _pulp3():
            prob.solve(solver)
        if prob.status != pulp.LpStatusOptimal:
            if prob.status == pulp.LpStatusNotSolved:  # time limit before any solution
                return Solve(n, greedy(self.problem, n_open, self.model),
                             "time limit: the solver found no solution in time; the greedy "
                             "heuristic's choice is shown (gap unknown)",
                             time.perf_counter() - t0)
            raise RuntimeError(f"solver ended with status {pulp.LpStatus[prob.status]!r}")
        status = "optimal"
        if prob.sol_status != pulp.LpSolutionOptimal:
            gap = _mip_gap(prob)
            status = "time limit" + (f" (gap {gap:.2%})" if gap is not None else "")
        picked = [j for j, v in enumerate(self.spopt.fac_vars[:len(self.cols)])
                  if (v.value() or 0) > 0.5]
        return Solve(n, [int(self.cols[j]) for j in picked], status, time.perf_counter() - t0)


def _mip_gap(prob) -> float | None:  # noqa: ANN001
    try:
        return float(prob.solverModel.getInfo().mip_gap)
    except Exception:  # noqa: BLE001 - CBC has no solverModel
        return None


# ------------------------------------------------------------------ results


@dataclass
class SitingResult:
    """Tidy outputs of a siting run (see :func:`solve`)."""

    sites: pd.DataFrame  # open sites after: existing that matter + proposed
    coverage: pd.DataFrame  # before / after
    gains: pd.DataFrame  # n = 0..curve_to: optimum at each n and its gain over n - 1
    uncovered_wards: pd.DataFrame  # wards with children beyond the radius after
    demand: pd.DataFrame  # per demand point: before / after distance and coverage
    params: dict[str, object]
    notes: list[str]


def solve(problem: SitingProblem, n: int, model: str = "mclp", *, curve_to: int | None = None,
          curve: bool = True, solver: str = "highs",
          time_limit: float | None = None) -> SitingResult:
    """Choose ``n`` new sites; also the optimum for every count 1..``curve_to`` (the gain curve).

    Parameters
    ----------
    problem
        From :meth:`SitingProblem.from_frames`.
    n
        New sites to open (at least 1).
    model
        ``'mclp'`` or ``'pmedian'`` (:data:`MODELS`).
    curve_to
        Largest count on the gain curve (default ``n``); each count is solved to
        optimality on its own, so the curve shows where one more site stops paying.
    curve
        ``False``: solve for ``n`` only (the gains table then has the rows 0 and ``n``).
    solver
        ``'highs'`` or ``'cbc'`` (:data:`SOLVERS`).
    time_limit
        Seconds per solve; a solve stopped by it is reported with its gap.
    """
    _check_model(model)
    if int(n) < 1:
        raise ValueError("n must be at least 1")
    n = int(n)
    top = max(n, int(curve_to or n))
    slv = make_solver(solver, time_limit)
    t0 = time.perf_counter()
    red = _Reduced(problem, model)
    prep_s = time.perf_counter() - t0
    solves = [Solve(0, [], "before", 0.0)]
    for k in (range(1, top + 1) if curve else [n]):
        solves.append(red.solve(k, slv))
    final = solves[-1] if not curve else solves[n]
    params = {"model": model, "n": n, "radius_km": problem.radius_km, "measure": problem.measure,
              "solver": solver, "curve_to": top if curve else n, "prepare_s": round(prep_s, 3),
              "model_build_s": round(red.build_s, 3),
              "solve_s": round(sum(s.seconds for s in solves), 3),
              "existing_that_matter": len(problem.existing), "candidates": len(problem.candidates),
              "model_rows": red.shape[0],
              "model_columns": len(red.cols), "status": final.status}
    notes = []
    if len(red.cols) < (top if curve else n):
        notes.append(f"Only {len(red.cols)} candidate site(s) are needed to reach every child "
                     "any candidate can reach within the radius; more sites add nothing."
                     if model == "mclp" else
                     f"Only {len(red.cols)} candidate site(s) can bring anyone nearer than the "
                     "existing services; more sites add nothing.")
    return SitingResult(
        sites=_sites_frame(problem, final.chosen, model),
        coverage=_coverage_frame(problem, final.chosen),
        gains=_gains_frame(problem, solves, model),
        uncovered_wards=_uncovered_wards(problem, final.chosen),
        demand=_demand_frame(problem, final.chosen),
        params=params, notes=notes)


def _order_within(problem: SitingProblem, chosen: list[int], model: str) -> list[tuple[int, float]]:
    """Order the chosen sites greedily by marginal gain *within the chosen set*."""
    left, done, out = list(chosen), [], []
    base = objective(problem, [], model)
    while left:
        vals = [objective(problem, done + [j], model) for j in left]
        k = int(np.argmax(vals)) if model == "mclp" else int(np.argmin(vals))
        j = left.pop(k)
        gain = vals[k] - base if model == "mclp" else base - vals[k]
        out.append((j, float(gain) if np.isfinite(gain) else float("nan")))
        done.append(j)
        base = vals[k]
    return out


def _sites_frame(problem: SitingProblem, chosen: list[int], model: str) -> pd.DataFrame:
    """Open sites after: the proposed ones (in greedy order within the set) and the existing
    services that matter, with the demand each covers and serves."""
    R = problem.radius_km
    w, c = problem.w, problem.children
    d_after, which = nearest_open(problem, chosen)
    ex, cand = problem.existing, problem.candidates
    covered_before = problem.d_exist <= R
    reach_ex = (cost_matrix(_xy(problem.demand), _xy(ex), problem.measure) <= R
                if len(ex) else np.zeros((len(w), 0), dtype=bool))
    reach_new = problem.d_cand[:, chosen] <= R
    n_cover = reach_ex.sum(axis=1) + reach_new.sum(axis=1)

    def row(status: str, src: pd.DataFrame, k: int, reach: np.ndarray, near: np.ndarray,
            **extra: object) -> dict[str, object]:
        only = reach & (n_cover == 1)
        cn = c[near].sum()
        return {"status": status, "site_id": src.at[k, "site_id"], "name": src.at[k, "name"],
                "x": src.at[k, "x"], "y": src.at[k, "y"],
                "children_within_radius": c[reach].sum(), "weighted_within_radius": w[reach].sum(),
                "children_only_this_site": c[only].sum(), "weighted_only_this_site": w[only].sum(),
                "children_nearest": cn,
                "mean_km_nearest": float((c[near] * d_after[near]).sum() / cn) if cn else np.nan,
                **extra}

    rows = []
    for order, (j, gain) in enumerate(_order_within(problem, chosen, model), start=1):
        reach = problem.d_cand[:, j] <= R
        rows.append(row("proposed", cand, j, reach, which == j, order=order,
                        children_newly_covered=c[reach & ~covered_before].sum(),
                        weighted_newly_covered=w[reach & ~covered_before].sum(),
                        gain_in_order=gain))
    for k in range(len(ex)):
        rows.append(row("existing", ex, k, reach_ex[:, k],
                        (which == -1) & (problem.nearest_exist == k)))
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    first = ["status", "order", "site_id", "name"]
    for col in ("order", "children_newly_covered", "weighted_newly_covered", "gain_in_order"):
        if col not in out.columns:  # no site proposed (e.g. every candidate is already open)
            out[col] = np.nan
    out = out[first + [col for col in out.columns if col not in first]]
    for col in ("type", "source", "postcode", "lsoa_code", "ward_code", "ward_name", "lad_code",
                "lad_name", "n_at_site"):
        vals: dict[object, object] = {}
        for src in (ex, cand):
            if col in src.columns:
                vals.update(dict(zip(src["site_id"], src[col], strict=True)))
        if vals:
            out[col] = out["site_id"].map(vals)
    return out


def _coverage_frame(problem: SitingProblem, chosen: list[int]) -> pd.DataFrame:
    before = evaluate(problem, [])
    after = evaluate(problem, chosen)
    rows = [{"scenario": "before", "new_sites": 0, **before},
            {"scenario": "after", "new_sites": len(chosen), **after}]
    df = pd.DataFrame(rows)
    df["children_beyond_radius"] = df["children"] - df["children_covered"]
    return df


def _gains_frame(problem: SitingProblem, solves: list[Solve], model: str) -> pd.DataFrame:
    rows = []
    for s in solves:
        ev = evaluate(problem, s.chosen)
        names = problem.candidates.loc[s.chosen, "name"].astype(str).tolist() if s.chosen else []
        rows.append({"new_sites": s.n, "objective": ev["weighted_covered"] if model == "mclp"
                     else ev["mean_km_weighted"], **{k: ev[k] for k in (
                         "children_covered", "share_children_covered", "weighted_covered",
                         "share_weighted_covered", "mean_km_children", "mean_km_weighted")},
                     "sites": "; ".join(names), "status": s.status, "solve_s": round(s.seconds, 3)})
    df = pd.DataFrame(rows)
    df["gain_children_covered"] = df["children_covered"].diff()
    df["gain_weighted_covered"] = df["weighted_covered"].diff()
    df["gain_mean_km_weighted"] = -df["mean_km_weighted"].diff()
    return df


def _uncovered_wards(problem: SitingProblem, chosen: list[int]) -> pd.DataFrame:
    d_after, _ = nearest_open(problem, chosen)
    dem = problem.demand
    if "ward_code" not in dem.columns:
        return pd.DataFrame()
    unc = ~(d_after <= problem.radius_km)
    keys = [c for c in ("ward_code", "ward_name", "lad_code", "lad_name", "need_decile",
                        "need_weight") if c in dem.columns]
    df = dem[keys].assign(children=problem.children, weight=problem.w,
                          children_uncovered=problem.children * unc,
                          weighted_uncovered=problem.w * unc)
    g = df.groupby(keys, dropna=False, as_index=False)[
        ["children", "weight", "children_uncovered", "weighted_uncovered"]].sum()
    g["share_uncovered"] = g["children_uncovered"] / g["children"].where(g["children"] > 0)
    g = g[g["children_uncovered"] > 0]
    return g.sort_values(["weighted_uncovered", "ward_code"], ascending=[False, True],
                         ignore_index=True)


def _demand_frame(problem: SitingProblem, chosen: list[int]) -> pd.DataFrame:
    d_after, which = nearest_open(problem, chosen)
    dem = problem.demand.copy()
    ex_names = problem.existing["name"].to_numpy(dtype=object) if len(problem.existing) else None
    cand_names = problem.candidates["name"].to_numpy(dtype=object)
    before_name = np.array([ex_names[k] if k >= 0 else None for k in problem.nearest_exist],
                           dtype=object)
    after_name = before_name.copy()
    new = which >= 0
    after_name[new] = cand_names[which[new]]
    dem["km_before"] = problem.d_exist
    dem["nearest_before"] = before_name
    dem["km_after"] = d_after
    dem["nearest_after"] = after_name
    dem["nearest_after_is_new"] = which >= 0
    dem["covered_before"] = problem.d_exist <= problem.radius_km
    dem["covered_after"] = d_after <= problem.radius_km
    return dem


__all__ = ["MODELS", "NEED_SCALES", "SOLVERS", "SitingProblem", "SitingResult", "Solve",
           "evaluate", "greedy", "make_solver", "nearest_open", "need_weight", "objective",
           "relevant_existing", "solve"]

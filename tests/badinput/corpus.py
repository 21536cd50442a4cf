"""Run every loader on every bad-input variant and classify the outcome.

Outcomes (one per loader x variant):

``clear_error``  an ``InputError``/``ValueError`` subclass whose message names the file
``rejected``     the loader returned and recorded rejected rows, each with a reason
``accepted``     the loader returned and rejected nothing
``crash``        any other exception, or a ValueError that does not name the file (must be 0)

``lost`` counts rows that vanished without a record: a file report that does not
balance (``rows_read != rows_kept + rows_rejected``), plus data records present in
the variant (counted independently by ``make_corpus``) that the loader never
counted as read (must be 0).

``python tests/badinput/corpus.py [--store STORE] [--only LOADER]`` prints the table.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # allow `python tests/badinput/corpus.py`
    sys.path.insert(0, str(HERE.parent))

from badinput.make_corpus import (  # noqa: E402
    FORMULA_CELLS,
    NOTICE,
    CsvSpec,
    GeoSpec,
    Variant,
    csv_variants,
    geojson_variants,
    locality_scope_variants,
    locality_variants,
    option_variants,
)

# -- specs: one per loader, from the real mirror files ------------------------------------------

SPECS: list[CsvSpec | GeoSpec] = [
    GeoSpec("boundaries_lsoa21", "boundaries/lsoa21_ew_bsc_dec2021.geojson", "LSOA21CD", "LSOA21NM"),
    GeoSpec("boundaries_wd24", "boundaries/wards_may2024_bgc_blackpool.geojson", "WD24CD", "WD24NM",
            vintage="ward"),
    CsvSpec("lookup_lsoa21_wd24", "lookups/lsoa21_wd24_lad24_ew_lu.csv", key="LSOA21CD",
            code="lsoa21", text="WD24NM", sample=300),
    CsvSpec("lookup_lsoa11_lsoa21", "lookups/lsoa11_lsoa21_lad22_ew_lu.csv", key="LSOA11CD",
            code="lsoa21", text="LSOA21NM"),
    CsvSpec("lookup_lsoa11_msoa11", "lookups/lsoa11_msoa11_lu.csv", key="LSOA11CD", code="lsoa21",
            text="MSOA11NM"),
    CsvSpec("iod2025_domains", "deprivation/iod2025/iod2025_lsoa21_domains.csv", key="lsoa21_code",
            code="lsoa21", numeric=("imd_score", "imd_rank")),
    CsvSpec("iod2025_indicators", "deprivation/iod2025/iod2025_lsoa21_underlying_indicators.csv",
            key="lsoa21_code", code="lsoa21",
            numeric=("income_domain_numerator",
                     "income_deprivation_affecting_children_index_idaci_numerator",
                     "anti_social_behaviour_rate_per_1_000_at_risk_population")),
    CsvSpec("iod2025_file5_extract", "deprivation/iod2025/iod2025_file5_extract_blackpool.csv",
            key="lsoa21cd", code="lsoa21", numeric=("idaci_score_rate",), sample=94),
    CsvSpec("census2021_age6", "population/census2021_lsoa21_usual_residents_age6.csv",
            key="lsoa21_code", code="lsoa21", numeric=("usual_residents",), text="lsoa21_name",
            sample=300),
    CsvSpec("sape_mid2020", "population/sape23dt2_mid2020_lsoa11_single_year_of_age.csv",
            key="lsoa11_code", code="lsoa11", numeric=("all_ages", "age_0"), text="lsoa11_name"),
    CsvSpec("cilif_msoa", "child_poverty/children_relative_low_income_msoa_14-22.csv", key=0,
            code=None, numeric=("2021/22 (p)",), text=0),
    CsvSpec("police_uk", "crime/police_uk/2022-01/2022-01-lancashire-street.csv", key="LSOA code",
            code="lsoa11", numeric=(), text="Location", coords=("Longitude", "Latitude"),
            sample=300, filename="2022-01-lancashire-street.csv", huge_mb=48),
    CsvSpec("gias", "services/gias_open_establishments_20250524.csv", key="urn", code=None,
            numeric=("number_of_pupils", "easting"), text="establishment_name",
            coords=("easting", "northing"), coord_kind="bng", sample=300),
    CsvSpec("epraccur", "services/epraccur.csv", key=0, code=None, text=1, header=False,
            sample=300),
    CsvSpec("libraries", "services/libraries.csv", key="Library name", code=None,
            text="Library name", sample=300),
    CsvSpec("user_service_csv", "services/gm_pharmacies.csv", key="pharmacy_name", code=None,
            text="pharmacy_name", sample=631, huge_mb=6, extra={"formula": True}),
]


# -- environment: prerequisite tables and the postcode index -------------------------------------

@dataclass
class Env:
    """Shared prerequisites, built once: base databases (cloned per variant with
    ``cursor()``, so temp tables never leak between runs) and the postcode index."""

    mirror: Path
    cache: Path
    store: Path | None = None
    _postcodes: Any = None
    _bases: dict[str, Any] = field(default_factory=dict)

    def _base(self, kind: str) -> Any:
        if kind in self._bases:
            return self._bases[kind]
        import duckdb

        from needsmap.ingest.report import FileReport

        if kind == "lookup":
            from needsmap.ingest.lookup import load_lookup

            con = duckdb.connect()
            f = self.mirror / "lookups/lsoa21_wd24_lad24_ew_lu.csv"
            load_lookup(con, f, FileReport("prereq", str(f)))
        elif kind == "msoa11":
            from needsmap.ingest.cilif import load_msoa_lookup

            con = duckdb.connect()
            f = self.mirror / "lookups/lsoa11_msoa11_lu.csv"
            load_msoa_lookup(con, f, FileReport("prereq", str(f)))
            # the loader's table is temporary (one connection's); variants run on cursors
            con.execute("CREATE TABLE main.msoa11 AS SELECT * FROM temp.msoa11")
        elif kind == "spatial":
            if self.store is None:
                raise LookupError("needs a built store (its lsoa table)")
            from needsmap.crime.load import ensure_tables
            from needsmap.ingest.police import read_lsoa11_lookup as load_lsoa11_lookup
            from needsmap.store.db import connect

            con = connect(None)
            store = str(self.store).replace("'", "''")
            con.execute(f"ATTACH '{store}' AS s (READ_ONLY)")
            con.execute("CREATE TABLE lsoa AS SELECT * FROM s.lsoa")
            con.execute("DETACH s")
            ensure_tables(con)
            load_lsoa11_lookup(con, self.mirror / "lookups/lsoa11_lsoa21_lad22_ew_lu.csv")
        else:
            raise ValueError(kind)
        self._bases[kind] = con
        return con

    def con(self, prereq: str | None = None) -> Any:
        """A connection for one variant: plain, or a cursor on a prerequisite base."""
        import duckdb

        if prereq is None:
            return duckdb.connect()
        cur = self._base(prereq).cursor()
        if prereq == "spatial":
            cur.execute("LOAD spatial")
        return cur

    def close(self) -> None:
        for con in self._bases.values():
            con.close()
        self._bases.clear()

    @property
    def postcodes(self) -> Any:
        if self._postcodes is None:
            from needsmap.ingest.codepoint import PostcodeIndex, load_codepoint

            table = load_codepoint(self.mirror / "postcodes/codepo_gb.zip", self.cache)
            self._postcodes = PostcodeIndex(table, vintage="Code-Point Open")
        return self._postcodes


Reports = list  # list[FileReport]


def _fr(v: Variant) -> Any:
    from needsmap.ingest.report import FileReport

    return FileReport(source_id=v.loader, file=str(v.path))


def _run_boundaries(code: str, name: str, pattern: str, extra: tuple[str, ...] = ()) -> Callable:
    def run(v: Variant, env: Env) -> Reports:
        from needsmap.ingest.boundaries import read_boundaries

        fr = _fr(v)
        g = read_boundaries(v.path, fr, code, name, pattern, extra)
        fr.rows_kept = len(g)  # as the core stage does: every returned feature is kept
        return [fr]
    return run


def _run_sql_loader(modname: str, fn: str, prereq: str | None = None, args: tuple = ()) -> Callable:
    def run(v: Variant, env: Env) -> Reports:
        import importlib

        loader = getattr(importlib.import_module(modname), fn)
        con = env.con(prereq)
        try:
            fr = _fr(v)
            loader(con, v.path, fr, *args)
            return [fr]
        finally:
            con.close()
    return run


def _run_police(v: Variant, env: Env) -> Reports:
    from needsmap.crime.load import ensure_tables, load_file
    from needsmap.ingest.police import CrimeFileReport, PoliceFile, parse_name
    from needsmap.ingest.police import read_lsoa11_lookup as load_lsoa11_lookup

    con = env.con("spatial")
    try:
        for t in ("crime_point", "crime_file", "crime_snap"):  # each variant starts clean
            con.execute(f"DROP TABLE IF EXISTS {t}")
        ensure_tables(con)
        load_lsoa11_lookup(con, env.mirror / "lookups/lsoa11_lsoa21_lad22_ew_lu.csv")  # a TEMP table
        month, force = parse_name(v.path)
        fr = CrimeFileReport(source_id=v.loader, file=str(v.path))
        load_file(con, PoliceFile(v.path, month, force), fr, 1)
        return [fr]
    finally:
        con.close()


def _services_finish(df: Any, fr: Any, env: Env) -> None:
    """Finish as the services stage does: locate in an English LSOA, count kept source rows."""
    if env.store is None or len(df) == 0:
        fr.rows_kept = int(df["row"].nunique()) if len(df) else 0
        return
    from needsmap.areas.locate import locate, reject_unlocated

    con = env.con("spatial")
    try:
        located = reject_unlocated(locate(con, df.assign(_file="f")), {"f": fr})
    finally:
        con.close()
    fr.rows_kept = int(located["row"].nunique())


def _run_gias(v: Variant, env: Env) -> Reports:
    from needsmap.ingest.services.gias import read_gias

    fr = _fr(v)
    _services_finish(read_gias(v.path, fr), fr, env)
    return [fr]


def _run_epraccur(v: Variant, env: Env) -> Reports:
    from needsmap.ingest.services.epraccur import read_epraccur

    fr = _fr(v)
    _services_finish(read_epraccur(v.path, fr, env.postcodes), fr, env)
    return [fr]


def _run_libraries(v: Variant, env: Env) -> Reports:
    from needsmap.ingest.services.libraries import read_libraries

    fr = _fr(v)
    _services_finish(read_libraries(v.path, fr, env.postcodes), fr, env)
    return [fr]


def _run_user_csv(v: Variant, env: Env) -> Reports:
    from needsmap.escape import FORMULA_PREFIXES
    from needsmap.ingest.services.user_lists import read_service_csv

    fr = _fr(v)
    df = read_service_csv(v.path.read_bytes(), fr, env.postcodes, default_type="pharmacy",
                          label=v.path.name, column_map={"pharmacy_name": "name"})
    if v.name in FORMULA_CELLS:  # a kept name that is a formula once trimmed is a failure
        kept = [n for n in df["name"].dropna() if str(n).lstrip().startswith(FORMULA_PREFIXES)]
        if kept:
            raise AssertionError(f"formula text kept as a service name: {kept[:3]!r}")
    _services_finish(df, fr, env)
    return [fr]


@dataclass
class LocalityResult:
    rows_read: int
    rows_kept: int
    rows_rejected: int = 0
    rejected: list = field(default_factory=list)


def _run_localities(v: Variant, env: Env) -> Reports:
    from needsmap.snapshot.localities import WardInfo, parse_localities

    wards = {}
    import csv

    with open(env.mirror / "lookups/lsoa21_wd24_lad24_ew_lu.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["LAD24CD"].startswith("E"):
                wards[r["WD24CD"]] = WardInfo(r["WD24CD"], r["WD24NM"], r["LAD24CD"], r["LAD24NM"])
    ls = parse_localities(v.path.read_bytes(), v.path.name, wards=wards,
                          fmt=v.path.suffix.lstrip("."), la=v.params.get("la"))
    kept = sum(len(loc.ward_codes) for loc in ls)
    # all-or-nothing: an accepted file must carry every row's ward
    return [LocalityResult(rows_read=kept if v.rows is None else v.rows, rows_kept=kept)]


def _run_cli_options(v: Variant, env: Env) -> Reports:
    """Parse the variant's argv with the ``needsmap`` parser (nothing runs)."""
    import contextlib
    import io
    import json

    from needsmap.cli import make_parser
    from needsmap.ingest.report import InputError

    argv = json.loads(v.path.read_text(encoding="utf-8"))
    # the option under test is the last one (a base argv such as ``site --la X`` comes first)
    opt = next((a.split("=")[0] for a in reversed(argv) if a.startswith("--")), "?")
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            make_parser().parse_args(argv)
    except SystemExit as exc:
        lines = [ln for ln in err.getvalue().splitlines() if ln.strip()]
        msg = lines[-1] if lines else ""
        if exc.code == 2 and f"argument {opt}: must be" in msg:
            raise InputError(str(v.path), msg) from None  # a clear message for the option
        raise RuntimeError(f"unclear or no message for {opt}: {msg!r}") from None
    return [LocalityResult(rows_read=1, rows_kept=1)]  # parsed: the option was accepted


LOADERS: dict[str, tuple[str, Callable[[Variant, Env], Reports]]] = {
    # loader id: (owner, runner)
    "boundaries_lsoa21": ("lead (core)", _run_boundaries("LSOA21CD", "LSOA21NM", r"[EW]01[0-9]{6}")),
    "boundaries_wd24": ("lead (core)", _run_boundaries("WD24CD", "WD24NM", r"[EW]05[0-9]{6}",
                                                       ("LAD24CD",))),
    "lookup_lsoa21_wd24": ("lead (core)", _run_sql_loader("needsmap.ingest.lookup", "load_lookup")),
    "lookup_lsoa11_lsoa21": ("lead (core)", _run_sql_loader("needsmap.ingest.cilif", "load_lsoa11_lsoa21")),
    "lookup_lsoa11_msoa11": ("lead (core)", _run_sql_loader("needsmap.ingest.cilif", "load_msoa_lookup")),
    "iod2025_domains": ("lead (core)", _run_sql_loader("needsmap.ingest.iod", "load_domains", "lookup")),
    "iod2025_indicators": ("lead (core)", _run_sql_loader("needsmap.ingest.iod", "load_indicators", "lookup")),
    "iod2025_file5_extract": ("lead (core)", _run_sql_loader(
        "needsmap.ingest.iod", "load_idaci_official", "lookup", args=("lsoa21cd", "idaci_score_rate"))),
    "census2021_age6": ("lead (core)", _run_sql_loader("needsmap.ingest.census", "load_census", "lookup")),
    "sape_mid2020": ("lead (core)", _run_sql_loader("needsmap.ingest.cilif", "load_sape")),
    "cilif_msoa": ("lead (core)", _run_sql_loader("needsmap.ingest.cilif", "load_cilif_msoa", "msoa11")),
    "police_uk": ("crime engineer", _run_police),
    "gias": ("services engineer", _run_gias),
    "epraccur": ("services engineer", _run_epraccur),
    "libraries": ("services engineer", _run_libraries),
    "user_service_csv": ("services engineer", _run_user_csv),
    "localities": ("snapshot engineer", _run_localities),
    "cli_options": ("lead (cli)", _run_cli_options),
}


# -- classification ---------------------------------------------------------------------------

@dataclass
class Outcome:
    loader: str
    variant: str
    expect: str
    result: str  # clear_error | rejected | accepted | crash | skipped
    rows_in: int | None = None
    rows_read: int = 0
    kept: int = 0
    rejected: int = 0
    lost: int = 0
    seconds: float = 0.0
    detail: str = ""

    @property
    def unnoticed(self) -> bool:
        return self.expect == NOTICE and self.result == "accepted"


def _names_file(msg: str, v: Variant) -> bool:
    return str(v.path) in msg or v.path.name in msg


def classify(v: Variant, run: Callable[[Variant, Env], Reports], env: Env) -> Outcome:
    from needsmap.ingest.report import InputError

    t = time.perf_counter()
    try:
        reports = run(v, env)
    except (InputError, ValueError) as exc:
        msg = str(exc)
        ok = _names_file(msg, v)
        return Outcome(v.loader, v.name, v.expect,
                       "clear_error" if ok else "crash", v.rows, seconds=time.perf_counter() - t,
                       detail=(type(exc).__name__ + ": " + msg.splitlines()[0][:160])
                       + ("" if ok else " [message does not name the file]"))
    except LookupError as exc:
        return Outcome(v.loader, v.name, v.expect, "skipped", v.rows, detail=str(exc))
    except Exception as exc:  # noqa: BLE001 - a crash is what we are counting
        tb = traceback.extract_tb(exc.__traceback__)
        where = next((f"{Path(f.filename).name}:{f.lineno}" for f in reversed(tb)
                      if "needsmap" in f.filename), "?")
        return Outcome(v.loader, v.name, v.expect, "crash", v.rows, seconds=time.perf_counter() - t,
                       detail=f"{type(exc).__name__} at {where}: {str(exc).splitlines()[0][:160] if str(exc) else ''}")
    read = sum(int(r.rows_read) for r in reports)
    kept = sum(int(r.rows_kept) for r in reports)
    rej = sum(int(r.rows_rejected) for r in reports)
    lost = sum(abs(int(r.rows_read) - int(r.rows_kept) - int(r.rows_rejected)) for r in reports)
    if v.rows is not None and read < v.rows:
        lost += v.rows - read
    reasons_ok = all(bool(x.get("reason")) for r in reports for x in getattr(r, "rejected", []))
    detail = "" if reasons_ok else "a rejected row has no reason"
    if not reasons_ok:
        lost += sum(1 for r in reports for x in getattr(r, "rejected", []) if not x.get("reason"))
    if v.rows is not None and read > v.rows:
        detail = f"read {read} rows, the file has {v.rows} records"
    return Outcome(v.loader, v.name, v.expect, "rejected" if rej else "accepted", v.rows, read,
                   kept, rej, lost, time.perf_counter() - t, detail)


# -- the corpus -------------------------------------------------------------------------------

def build_corpus(mirror: Path, out: Path, only: Sequence[str] | None = None) -> list[Variant]:
    vs: list[Variant] = []
    for spec in SPECS:
        if only and spec.loader not in only:
            continue
        vs += geojson_variants(mirror, spec, out) if isinstance(spec, GeoSpec) else csv_variants(mirror, spec, out)
    if not only or "localities" in only:
        vs += locality_variants(mirror, out)
        vs += locality_scope_variants(mirror, out)
    if not only or "cli_options" in only:
        vs += option_variants(out)
    return vs


def available(loader: str) -> str | None:
    """Return why ``loader``'s module cannot be imported yet, or None."""
    mods = {"police_uk": "needsmap.ingest.police", "gias": "needsmap.ingest.services.gias",
            "epraccur": "needsmap.ingest.services.epraccur", "libraries": "needsmap.ingest.services.libraries",
            "user_service_csv": "needsmap.ingest.services.user_lists",
            "localities": "needsmap.snapshot.localities"}
    mod = mods.get(loader, "needsmap.ingest.report")
    try:
        __import__(mod)
    except ImportError as exc:
        return f"{mod} not importable: {exc}"
    return None


def run_corpus(mirror: Path, work: Path, store: Path | None = None,
               only: Sequence[str] | None = None) -> list[Outcome]:
    env = Env(mirror=mirror, cache=work / "cache", store=store)
    outs: list[Outcome] = []
    variants = build_corpus(mirror, work / "corpus", only)
    for v in variants:
        why = available(v.loader)
        if why:
            outs.append(Outcome(v.loader, v.name, v.expect, "skipped", v.rows, detail=why))
            continue
        outs.append(classify(v, LOADERS[v.loader][1], env))
    env.close()
    return outs


def figures(outs: Sequence[Outcome]) -> dict[str, int]:
    tried = [o for o in outs if o.result != "skipped" and o.variant != "baseline"]
    return {
        "loaders": len({o.loader for o in tried}),
        "variants tried": len(tried),
        "clear errors": sum(o.result == "clear_error" for o in tried),
        "rejected with reason": sum(o.result == "rejected" for o in tried),
        "accepted": sum(o.result == "accepted" for o in tried),
        "crashes": sum(o.result == "crash" for o in outs if o.result != "skipped"),
        "rows lost": sum(o.lost for o in outs),
        "unnoticed (should error or reject)": sum(o.unnoticed for o in tried),
        "baselines failing": sum(o.variant == "baseline" and o.result in ("crash", "clear_error")
                                 for o in outs),
        "skipped": sum(o.result == "skipped" for o in outs),
    }


def table(outs: Sequence[Outcome]) -> str:
    lines = []
    by: dict[str, list[Outcome]] = {}
    for o in outs:
        by.setdefault(o.loader, []).append(o)
    hdr = f"{'loader':24s} {'owner':18s} {'tried':>5s} {'error':>5s} {'reject':>6s} {'accept':>6s} {'crash':>5s} {'lost':>5s} {'unnot':>5s}"
    lines.append(hdr)
    lines.append("-" * len(hdr))
    for loader, os_ in by.items():
        t = [o for o in os_ if o.variant != "baseline" and o.result != "skipped"]
        if not t and all(o.result == "skipped" for o in os_):
            lines.append(f"{loader:24s} {LOADERS[loader][0]:18s} skipped: {os_[0].detail[:60]}")
            continue
        lines.append(
            f"{loader:24s} {LOADERS[loader][0]:18s} {len(t):5d} "
            f"{sum(o.result == 'clear_error' for o in t):5d} {sum(o.result == 'rejected' for o in t):6d} "
            f"{sum(o.result == 'accepted' for o in t):6d} {sum(o.result == 'crash' for o in os_):5d} "
            f"{sum(o.lost for o in os_):5d} {sum(o.unnoticed for o in t):5d}")
    f = figures(outs)
    lines.append("-" * len(hdr))
    lines.append("FIGURES: " + ", ".join(f"{k} {v}" for k, v in f.items()))
    bad = [o for o in outs if o.result == "crash" or o.lost]
    if bad:
        lines.append("CRASHES / LOST ROWS:")
        lines += [f"  {o.loader}/{o.variant}: {o.result} lost={o.lost} {o.detail}" for o in bad]
    un = [o for o in outs if o.unnoticed or (o.variant == "baseline" and o.result != "accepted"
                                              and o.result != "rejected" and o.result != "skipped")]
    if un:
        lines.append("UNNOTICED / BASELINE PROBLEMS (informational):")
        lines += [f"  {o.loader}/{o.variant}: {o.result} {o.detail}" for o in un]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", type=Path, default=None, help="built store (for police.uk)")
    ap.add_argument("--only", action="append", help="loader id (repeatable)")
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per variant")
    a = ap.parse_args(argv)
    mirror = Path(os.environ.get("NEEDSMAP_MIRROR") or HERE.parents[2].parent / "shared/geodata")
    work = a.work or Path(tempfile.mkdtemp(prefix="needsmap-badinput-"))
    outs = run_corpus(mirror, work, a.store, a.only)
    if a.verbose:
        for o in outs:
            print(f"{o.loader:22s} {o.variant:26s} {o.expect:6s} {o.result:11s} in={o.rows_in} "
                  f"read={o.rows_read} kept={o.kept} rej={o.rejected} lost={o.lost} "
                  f"{o.seconds:5.2f}s {o.detail}")
    print(table(outs))
    f = figures(outs)
    return 1 if f["crashes"] or f["rows lost"] else 0


if __name__ == "__main__":
    raise SystemExit(main())

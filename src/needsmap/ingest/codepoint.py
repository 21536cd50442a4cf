"""OS Code-Point Open: offline postcode geocoding.

The official zip holds 120 headerless CSVs (``Data/CSV/<area>.csv``); the column
names are in ``Doc/Code-Point_Open_Column_Headers.csv`` (row 1 short codes, row 2
long names). Each member is read straight from the zip stream with
``pyarrow.csv`` (about 1 s for all 1.74 million postcodes on one core); the
parsed table is cached as Parquet in the user cache, keyed by the file's
SHA-256, so later builds read it in about 0.1 s.

Code-Point writes postcodes in a fixed 7-character form (``B1  1AA``,
``FY1 1AN``, ``AB101AB``); the mirror's copy already uses a single space
(``AB10 1AB``). :func:`normalise_postcodes` turns both, and whatever users type
(``fy11an``, `` FY1  1AN ``), into one form: upper case, no inner spaces except
a single one before the three-character inward code.

Postcodes with positional quality ``90`` have no coordinates (easting and
northing 0); they are reported as "missing coordinates", never placed at 0,0.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from needsmap.ingest.report import InputError
from needsmap.sources.resolve import sha256_file

ENGLAND = "E92000001"
WALES = "W92000004"
COUNTRY_NAMES = {"E92000001": "England", "W92000004": "Wales", "S92000003": "Scotland",
                 "N92000002": "Northern Ireland"}

#: Full UK postcode shape after normalisation (the GIR 0AA special case included).
POSTCODE_RE = r"^(?:[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}|GIR 0AA)$"

_KEEP = ["Postcode", "Positional_quality_indicator", "Eastings", "Northings", "Country_code",
         "Admin_district_code"]
_CACHE_VERSION = "1"


def normalise_postcodes(values: pd.Series) -> pd.Series:
    """Normalise postcodes (vectorised): upper case, one space before the inward code.

    Values that are blank become ``<NA>``; values that do not have a postcode's
    shape are returned normalised as far as possible (upper case, spaces fixed)
    so the load report shows what was tried. Use :func:`valid_postcode_mask`
    to test the shape.

    >>> normalise_postcodes(pd.Series([" fy1  1an", "FY11AN", "B1  1AA", "", None])).tolist()
    ['FY1 1AN', 'FY1 1AN', 'B1 1AA', <NA>, <NA>]
    """
    s = values.astype("string").str.upper().str.replace(r"\s+", "", regex=True)
    s = s.where(s.str.len() > 0)
    long_enough = s.str.len() >= 5
    spaced = s.str.slice(0, -3) + " " + s.str.slice(-3)
    return s.where(~long_enough.fillna(False), spaced)


def _normalise_arrow(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    """Arrow-compute twin of :func:`normalise_postcodes` (fast path for 1.7 M rows)."""
    s = pc.replace_substring_regex(pc.utf8_upper(arr), r"\s+", "")
    return pc.replace_substring_regex(s, r"^(.{2,})(.{3})$", r"\1 \2")


def valid_postcode_mask(normalised: pd.Series) -> pd.Series:
    """Boolean mask: the value has the shape of a UK postcode."""
    return normalised.str.match(POSTCODE_RE).fillna(False).astype(bool)


def _headers(z: zipfile.ZipFile) -> list[str]:
    names = [n for n in z.namelist() if n.endswith("Code-Point_Open_Column_Headers.csv")]
    if not names:
        raise InputError(z.filename or "codepo_gb.zip",
                         "not the official Code-Point Open layout: no Doc/Code-Point_Open_Column_Headers.csv")
    lines = z.read(names[0]).decode("utf-8-sig").splitlines()
    long_names = [c.strip() for c in lines[1].split(",")] if len(lines) > 1 else []
    missing = [c for c in _KEEP if c not in long_names]
    if missing:
        raise InputError(names[0], f"column headers lack {missing}", row=2)
    return long_names


def read_codepoint_zip(path: str | os.PathLike[str]) -> pa.Table:
    """Read every ``Data/CSV/*.csv`` member of the official zip into one Arrow table.

    Columns: ``postcode`` (normalised), ``pqi``, ``easting``, ``northing``
    (int32; null where the postcode has no coordinates), ``country_code``,
    ``district_code``, ``area_file``.
    """
    with zipfile.ZipFile(path) as z:
        cols = _headers(z)
        members = sorted(n for n in z.namelist()
                         if n.startswith("Data/CSV/") and n.lower().endswith(".csv"))
        if not members:
            raise InputError(str(path), "no Data/CSV/*.csv members (not the official layout)")
        types = {"Postcode": pa.string(), "Positional_quality_indicator": pa.int16(),
                 "Eastings": pa.int32(), "Northings": pa.int32(), "Country_code": pa.string(),
                 "Admin_district_code": pa.string()}
        tables = []
        for m in members:
            t = pacsv.read_csv(
                io.BytesIO(z.read(m)),
                read_options=pacsv.ReadOptions(column_names=cols),
                convert_options=pacsv.ConvertOptions(column_types=types, include_columns=_KEEP),
            )
            area = pa.array(np.full(t.num_rows, Path(m).stem.upper(), dtype=object), pa.string())
            tables.append(t.append_column("area_file", area))
    t = pa.concat_tables(tables)
    t = t.set_column(0, "Postcode", _normalise_arrow(t.column("Postcode")))
    df = t.to_pandas()
    df.columns = ["postcode", "pqi", "easting", "northing", "country_code", "district_code",
                  "area_file"]
    no_xy = (df["pqi"] == 90) | ((df["easting"] == 0) & (df["northing"] == 0))
    df["easting"] = df["easting"].astype("Int32").mask(no_xy)
    df["northing"] = df["northing"].astype("Int32").mask(no_xy)
    return pa.Table.from_pandas(df, preserve_index=False)


def load_codepoint(path: str | os.PathLike[str], cache_dir: str | os.PathLike[str] | None = None,
                   sha256: str | None = None) -> pa.Table:
    """Return the Code-Point table, from the Parquet cache when it is there.

    Parameters
    ----------
    path
        The official ``codepo_gb.zip``.
    cache_dir
        User cache directory; the parsed table is stored as
        ``<cache>/derived/codepoint-<sha256[:16]>.parquet``. ``None``: no cache.
    sha256
        The file's SHA-256 if already known (the catalogue's), else it is computed.
    """
    path = Path(path)
    if cache_dir is None:
        return read_codepoint_zip(path)
    key = (sha256 or sha256_file(path))[:16]
    cached = Path(cache_dir) / "derived" / f"codepoint-{key}-v{_CACHE_VERSION}.parquet"
    if cached.exists():
        try:
            return pq.read_table(cached)
        except (OSError, pa.ArrowInvalid):
            cached.unlink(missing_ok=True)
    table = read_codepoint_zip(path)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(cached.name + f".part-{os.getpid()}")
        pq.write_table(table, tmp)
        os.replace(tmp, cached)
    except OSError:
        pass  # an unwritable cache only costs a re-parse next time
    return table


class PostcodeIndex:
    """Lookup from normalised postcode to coordinates and country.

    Holds the Code-Point table as Arrow in a private in-memory DuckDB; each
    :meth:`lookup` is one hash join of the query postcodes against it (tens of
    milliseconds for tens of thousands of postcodes; no per-row Python).

    Parameters
    ----------
    table
        Arrow or pandas table with ``postcode, easting, northing, country_code``.
    vintage
        Code-Point release, quoted in rejection reasons.
    """

    def __init__(self, table: pa.Table | pd.DataFrame | None, vintage: str = "",
                 con: duckdb.DuckDBPyConnection | None = None, relation: str = "codepoint") -> None:
        self.vintage = vintage
        #: Countries whose postcodes are kept (the rest are "point outside ..."); England by
        #: default, England and Wales in a build with the Welsh tables (issue 21).
        self.countries: tuple[str, ...] = (ENGLAND,)
        self._relation = relation
        self._sectors: pd.DataFrame | None = None
        if table is None:
            if con is None:
                raise ValueError("PostcodeIndex needs a table or a connection")
            self.table = None
            self._con = con
            return
        if isinstance(table, pd.DataFrame):
            table = pa.Table.from_pandas(table, preserve_index=False)
        self.table = table.select(["postcode", "easting", "northing", "country_code"])
        self._con = duckdb.connect()
        self._con.register(relation, self.table)

    @classmethod
    def from_store(cls, con: duckdb.DuckDBPyConnection, vintage: str = "") -> PostcodeIndex:
        """Use the store's ``postcode`` table in place (no copy; read-only is fine).

        The vintage is read from the store's ``source`` table when not given.
        """
        if not vintage:
            try:
                row = con.execute("SELECT vintage FROM source WHERE source_id = 'codepoint_open'"
                                  ).fetchone()
                vintage = str(row[0]) if row and row[0] else ""
            except duckdb.Error:
                vintage = ""
        return cls(None, vintage=vintage, con=con, relation="postcode")

    @classmethod
    def from_table(cls, table: pa.Table, vintage: str = "") -> PostcodeIndex:
        return cls(table, vintage=vintage)

    def lookup(self, normalised: pd.Series) -> pd.DataFrame:
        """Return ``found, easting, northing, country_code`` aligned with ``normalised``."""
        q = pa.table({"i": pa.array(np.arange(len(normalised), dtype=np.int64)),
                      "postcode": pa.array(normalised.astype(object).where(normalised.notna(), None)
                                           .tolist(), pa.string())})
        self._con.register("_q", q)
        try:
            res = self._con.execute(
                "SELECT q.i, c.postcode IS NOT NULL AS found, c.easting::DOUBLE AS easting, "
                "c.northing::DOUBLE AS northing, c.country_code FROM _q q "
                f"LEFT JOIN {self._relation} c ON q.postcode = c.postcode ORDER BY q.i"  # noqa: S608 - fixed relation name
            ).fetchnumpy()
        finally:
            self._con.unregister("_q")
        return pd.DataFrame({
            "found": np.asarray(res["found"], dtype=bool),
            "easting": np.ma.filled(np.ma.asarray(res["easting"], dtype="float64"), np.nan),
            "northing": np.ma.filled(np.ma.asarray(res["northing"], dtype="float64"), np.nan),
            "country_code": np.asarray(res["country_code"], dtype=object),
        }, index=normalised.index)

    def sector_country(self, normalised: pd.Series) -> pd.Series:
        """Country code of each postcode's *sector* (``SA15 8``), aligned with ``normalised``.

        For postcodes missing from Code-Point (terminated or mistyped), the sector
        still says which country they were almost certainly in: the country of
        most current postcodes of that sector. ``None`` when the sector is unknown.
        """
        if not normalised.notna().any():
            return pd.Series(None, index=normalised.index, dtype=object)
        if self._sectors is None:
            self._sectors = self._con.execute(
                "SELECT left(postcode, length(postcode) - 2) AS sector, "  # noqa: S608 - fixed name
                f"mode(country_code) AS country_code FROM {self._relation} GROUP BY 1").df()
        sec = normalised.str.slice(0, -2)
        lut = pd.Series(self._sectors["country_code"].to_numpy(dtype=object),
                        index=self._sectors["sector"].to_numpy(dtype=object))
        got = sec.astype(object).where(sec.notna(), None).map(lut)
        return got.astype(object).where(got.notna(), None)

    def __len__(self) -> int:
        if self.table is not None:
            return self.table.num_rows
        return int(self._con.execute(f"SELECT count(*) FROM {self._relation}").fetchone()[0])  # noqa: S608

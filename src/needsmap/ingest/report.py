"""The load report: every input row is either kept or rejected with a reason.

Each loader calls :meth:`LoadReport.file` once per input file and records the
rows it read and kept, and every rejected row with its 1-based data row
number, the column at fault, a reason and the raw text. ``rows_read ==
rows_kept + rows_rejected`` must hold for every file; :meth:`check` enforces it.
The report is written to the store's ``load_report`` and ``rejected_rows``
tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from needsmap.sql import run_sql


class InputError(ValueError):
    """A bad input file. The message names the file, row and column."""

    def __init__(self, file: str, message: str, row: int | None = None,
                 column: str | None = None) -> None:
        where = file
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")
        self.file, self.row, self.column = file, row, column


def require_file(path) -> str:  # noqa: ANN001 - str or Path
    """Return ``str(path)``; raise :class:`InputError` if it is missing or empty."""
    from pathlib import Path

    name = str(path)
    p = Path(path)
    if not p.exists():
        raise InputError(name, "file not found")
    if p.is_dir():
        raise InputError(name, "is a directory, not a file")
    if p.stat().st_size == 0:
        raise InputError(name, "file is empty", row=0)
    return name


@dataclass
class FileReport:
    source_id: str
    file: str
    rows_read: int = 0
    rows_kept: int = 0
    note: str = ""
    rejected: list[dict] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected)

    def reject(self, row: int | None, column: str | None, reason: str, raw: str = "") -> None:
        self.rejected.append(
            {"source_id": self.source_id, "file": self.file, "row": row,
             "column": column, "reason": reason, "raw": raw}
        )

    def reject_frame(self, df: pd.DataFrame, reason: str, column: str | None = None,
                     row_col: str = "row", raw_cols: list[str] | None = None) -> None:
        """Reject every row of ``df`` (vectorised), keeping a raw text of ``raw_cols``."""
        if df.empty:
            return
        cols = raw_cols or [c for c in df.columns if c != row_col]
        raw = df[cols].astype(str).agg(",".join, axis=1) if cols else pd.Series("", index=df.index)
        rows = df[row_col] if row_col in df.columns else pd.Series([None] * len(df), index=df.index)
        for r, t in zip(rows.tolist(), raw.tolist(), strict=True):
            self.rejected.append(
                {"source_id": self.source_id, "file": self.file,
                 "row": None if r is None or pd.isna(r) else int(r),
                 "column": column, "reason": reason, "raw": t[:500]}
            )


class LoadReport:
    """Collects :class:`FileReport` objects for a build."""

    def __init__(self) -> None:
        self.files: list[FileReport] = []

    def file(self, source_id: str, file: str) -> FileReport:
        fr = FileReport(source_id=source_id, file=file)
        self.files.append(fr)
        return fr

    def check(self) -> None:
        """Raise if any file's rows do not balance (read = kept + rejected)."""
        for f in self.files:
            if f.rows_read != f.rows_kept + f.rows_rejected:
                raise AssertionError(
                    f"load report does not balance for {f.file}: read {f.rows_read}, "
                    f"kept {f.rows_kept}, rejected {f.rows_rejected}"
                )

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{"source_id": f.source_id, "file": f.file, "rows_read": f.rows_read,
              "rows_kept": f.rows_kept, "rows_rejected": f.rows_rejected, "note": f.note}
             for f in self.files],
            columns=["source_id", "file", "rows_read", "rows_kept", "rows_rejected", "note"],
        )

    def rejected(self) -> pd.DataFrame:
        rows = [r for f in self.files for r in f.rejected]
        return pd.DataFrame(rows, columns=["source_id", "file", "row", "column", "reason", "raw"])

    def write(self, con) -> None:  # noqa: ANN001 - duckdb connection
        """Append this report to the ``load_report`` and ``rejected_rows`` tables."""
        self.check()
        s = self.summary()
        r = self.rejected().astype({"row": "Int64"})
        con.register("_lr", s)
        con.register("_rr", r)
        try:
            run_sql(con, "load_report_write")
        finally:
            con.unregister("_lr")
            con.unregister("_rr")

"""SQL text: the ``queries/*.sql`` runner and the one identifier-quoting helper.

Every layer that talks to DuckDB (readers, the store, the stages, the app) uses
these three functions, so set logic lives in ``queries/`` and identifiers are
quoted one way everywhere:

* :func:`ident` quotes an identifier (a column or table name taken from a
  publisher's header or from the catalogue). Values from users are never put
  into SQL text: they are bound as parameters (``$name`` or ``?``).
* :func:`read_query` returns the text of ``queries/<name>.sql``.
* :func:`run_sql` runs every statement of a query file with bound parameters.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb

from needsmap.settings import QUERIES_DIR


def ident(name: str) -> str:
    """Quote ``name`` as a SQL identifier, doubling any double quote inside it.

    >>> ident("LSOA code (2021)")
    '"LSOA code (2021)"'
    """
    return '"' + str(name).replace('"', '""') + '"'


def literal(value: object) -> str:
    """A SQL literal for a constant the code itself chose (never a user's value).

    Used only where DuckDB takes no parameter, e.g. ``read_csv`` options.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def read_query(name: str) -> str:
    """Return the text of ``queries/<name>.sql``."""
    path = QUERIES_DIR / f"{name}.sql"
    if not path.exists():
        raise FileNotFoundError(f"query file not found: {path}")
    return path.read_text(encoding="utf-8")


def statements(name: str) -> list[str]:
    """The statements of ``queries/<name>.sql``, comments dropped (split on ``;`` at line ends)."""
    out = []
    for stmt in re.split(r";\s*\n", read_query(name)):
        body = "\n".join(line for line in stmt.splitlines()
                         if not line.strip().startswith("--")).strip().rstrip(";")
        if body:
            out.append(body)
    return out


def run_sql(con: duckdb.DuckDBPyConnection, name: str,
            params: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """Run every statement of ``queries/<name>.sql`` and return the connection.

    Values are passed as DuckDB named parameters (``$name``), never pasted into
    the SQL text; each statement gets the parameters it uses. The result of the
    last statement can be fetched from the returned connection.
    """
    for body in statements(name):
        used = set(re.findall(r"\$(\w+)", body))
        p = {k: v for k, v in (params or {}).items() if k in used}
        con.execute(body, p) if p else con.execute(body)
    return con


def query(con: duckdb.DuckDBPyConnection, name: str,
          params: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """Run ``queries/<name>.sql`` (a single SELECT) with bound parameters; fetch from the result."""
    body = read_query(name)
    used = set(re.findall(r"\$(\w+)", body))
    p = {k: v for k, v in (params or {}).items() if k in used}
    return con.execute(body, p) if p else con.execute(body)

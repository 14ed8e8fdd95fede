"""Writing result tables for people: CSV that spreadsheets cannot execute, and Parquet.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel and LibreOffice, and a customer name or id comes from a user's export, so text cells
like that are written with a leading apostrophe (the OWASP advice for CSV injection). Numbers
are written as numbers: ``-12.5`` is a value, not a formula.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from riskseg.errors import InputError

_FORMULA_START = r"^[=+\-@\t\r]"


def neutralise_formulas(table: pa.Table) -> pa.Table:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe.

    >>> neutralise_formulas(pa.table({"name": ["=1+1", "ACME"]})).column("name").to_pylist()
    ["'=1+1", 'ACME']
    """
    columns = []
    for col in table.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            risky = pc.match_substring_regex(col, _FORMULA_START)
            col = pc.if_else(risky, pc.binary_join_element_wise("'", col, ""), col)
        columns.append(col)
    return pa.table(columns, names=table.column_names)


def to_csv(table: pa.Table, path: str | Path) -> None:
    """UTF-8 CSV with a header; formula-like text neutralised."""
    pacsv.write_csv(neutralise_formulas(table), str(path))


def to_parquet(table: pa.Table, path: str | Path) -> None:
    """Parquet keeps types; no spreadsheet reads it, so values are written as they are."""
    pq.write_table(table, str(path))


def write_table(table: pa.Table, path: str | Path) -> None:
    """By the file's extension: ``.csv`` or ``.parquet``."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        to_csv(table, path)
    elif suffix in (".parquet", ".pq"):
        to_parquet(table, path)
    else:
        raise InputError(f"cannot write {path}: use a .csv or .parquet file name")

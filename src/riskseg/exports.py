"""Writing result tables for people: CSV and Excel that spreadsheets cannot execute, and Parquet.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel and LibreOffice, and a customer name or id comes from a user's export, so text cells
like that are written with a leading apostrophe (the OWASP advice for CSV injection). Numbers
are written as numbers: ``-12.5`` is a value, not a formula. In ``.xlsx`` files text is also
written as a text cell, which Excel never evaluates; the apostrophe is kept there as well, so
that a sheet saved again as CSV stays safe.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from riskseg.errors import InputError

_FORMULA_START = r"^[=+\-@\t\r]"
_FORMULA_RE = re.compile(_FORMULA_START)


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


#: what Excel refuses in a sheet name, and its longest one
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_SHEET_MAX = 31
#: Excel's rows per sheet, the header included
_EXCEL_ROWS = 1_048_576
_WIDTH_MIN, _WIDTH_MAX = 8, 60
#: number formats unless ``formats`` names one for the column
_DEFAULT_FORMATS = {
    "int": "#,##0",
    "float": "#,##0.00",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}


def excel_sheet_name(name: str, taken: Collection[str] = ()) -> str:
    """A sheet name Excel accepts: no ``[]:*?/\\``, at most 31 characters, no apostrophe at
    either end, not ``History`` (reserved) and none of ``taken`` (compared ignoring case).

    >>> excel_sheet_name("Finance: overdue [2025/12]")
    'Finance_ overdue _2025_12_'
    >>> excel_sheet_name("finance", taken=["Finance"])
    'finance (2)'
    """
    base = _SHEET_FORBIDDEN.sub("_", name).strip("'")[:_SHEET_MAX] or "Sheet"
    used = {t.casefold() for t in taken} | {"history"}
    candidate, n = base, 1
    while candidate.casefold() in used:
        n += 1
        suffix = f" ({n})"
        candidate = base[: _SHEET_MAX - len(suffix)].rstrip("'") + suffix
    return candidate


def to_excel(
    sheets: Mapping[str, pa.Table],
    path: str | Path,
    *,
    formats: Mapping[str, str] | None = None,
) -> None:
    """An ``.xlsx`` workbook, one sheet per table, in which no cell is a formula.

    Text is written as text cells (never read as a formula, a number or a link) and, as in
    :func:`to_csv`, text that starts like a formula gets a leading apostrophe. Numbers are
    numbers, dates and timestamps Excel dates, booleans booleans, and empty values (and NaN)
    blank cells. The header row is bold and frozen with an autofilter, each column is as wide
    as its longest value (8 to 60 characters), and sheet names are made valid for Excel
    (:func:`excel_sheet_name`). Rows are written one at a time, so memory stays flat.

    Parameters
    ----------
    sheets
        Sheet name -> table, in the order the sheets appear.
    path
        The ``.xlsx`` file; replaced when it exists.
    formats
        Column name -> Excel number format for that column in every sheet, e.g.
        ``{"change_pct": "0.0%"}``. Otherwise whole numbers are ``#,##0``, other numbers
        ``#,##0.00``, dates ``yyyy-mm-dd``.

    Examples
    --------
    >>> import tempfile
    >>> from openpyxl import load_workbook
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     to_excel({"queue": pa.table({"name": ["=1+1"], "amount": [12.5]})}, f"{tmp}/q.xlsx")
    ...     [[c.value for c in row] for row in load_workbook(f"{tmp}/q.xlsx")["queue"].rows]
    [['name', 'amount'], ["'=1+1", 12.5]]
    """
    import xlsxwriter

    for name, table in sheets.items():
        if table.num_rows >= _EXCEL_ROWS:
            raise InputError(
                f"cannot write {path}: sheet {name!r} has {table.num_rows:,} rows, Excel holds "
                f"{_EXCEL_ROWS - 1:,}; write it with to_csv or to_parquet instead"
            )
    chosen = dict(formats or {})
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            # text stays text even if a later change calls the generic worksheet.write()
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "remove_timezone": True,
            "constant_memory": True,
        },
    )
    header = workbook.add_format({"bold": True, "bg_color": "#F5F7FA", "bottom": 1})
    styles: dict[str, Any] = {}

    def style(spec: str | None) -> Any:
        if spec is None:
            return None
        if spec not in styles:
            styles[spec] = workbook.add_format({"num_format": spec})
        return styles[spec]

    try:
        taken: list[str] = []
        for name, table in sheets.items():
            taken.append(excel_sheet_name(name, taken))
            sheet = workbook.add_worksheet(taken[-1])
            columns = []
            for j, (title, col) in enumerate(zip(table.column_names, table.columns, strict=True)):
                kind = _cell_kind(col.type)
                values = col.to_pylist()
                if kind == "text":
                    values = [None if v is None else _safe_text(v) for v in values]
                spec = chosen.get(title, _DEFAULT_FORMATS.get(kind))
                columns.append((kind, values, style(spec)))
                width = max([len(title), *(_shown_width(kind, v) for v in values)])
                sheet.set_column(j, j, min(max(width + 2, _WIDTH_MIN), _WIDTH_MAX))
            sheet.freeze_panes(1, 0)
            if table.num_columns:
                sheet.autofilter(0, 0, table.num_rows, table.num_columns - 1)
            for j, title in enumerate(table.column_names):
                sheet.write_string(0, j, title, header)
            # constant_memory: each row is written whole, in order
            for i in range(table.num_rows):
                for j, (kind, values, cell_style) in enumerate(columns):
                    _write_cell(sheet, i + 1, j, kind, values[i], cell_style)
    finally:
        workbook.close()


def _cell_kind(t: pa.DataType) -> str:
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "float"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "datetime"
    return "text"


def _safe_text(value: object) -> str:
    text = str(value)
    return "'" + text if _FORMULA_RE.match(text) else text


def _shown_width(kind: str, value: object) -> int:
    if value is None:
        return 0
    if kind in ("int", "float") and isinstance(value, (int, float)):
        return len(f"{value:,.2f}") if math.isfinite(value) else 0
    if kind == "date":
        return 10
    if kind == "datetime":
        return 16
    return len(str(value))


def _write_cell(sheet: Any, row: int, col: int, kind: str, value: Any, style: Any) -> None:
    if value is None:
        return
    if kind == "text":
        sheet.write_string(row, col, value)
    elif kind == "bool":
        sheet.write_boolean(row, col, bool(value))
    elif kind in ("int", "float"):
        number = float(value)
        if math.isfinite(number):
            sheet.write_number(row, col, number, style)
    elif isinstance(value, (date, datetime)):
        sheet.write_datetime(row, col, value, style)

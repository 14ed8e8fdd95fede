"""The review as a workbook: ``riskseg.exports.to_excel`` writes text that never runs, numbers and
dates that stay numbers and dates, one sheet per department; read back with openpyxl and with
calamine (what Excel-like readers see)."""

from __future__ import annotations

import doctest
import re
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
import reviewtools
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook
from reviewtools import NAMES, NEUTRALISED, all_xlsx_cells, open_counts

import riskseg
from riskseg import exports
from riskseg.errors import InputError
from riskseg.exports import excel_sheet_name, neutralise_formulas, to_excel
from riskseg.reports.review import QUEUE_COLUMNS, portfolio_review, write_review

hand_store = reviewtools.hand_store

RISKY = re.compile(r"^[=+\-@\t\r]")


def _hand_workbook(store: riskseg.Store, tmp_path: Path) -> Path:
    _, book = write_review(portfolio_review(store), tmp_path)
    return book


def test_no_cell_is_a_formula_and_risky_text_is_neutralised(
    hand_store: riskseg.Store, tmp_path: Path
) -> None:
    book = _hand_workbook(hand_store, tmp_path)
    cells = all_xlsx_cells(book)
    assert cells and all(kind != "f" for _, _, kind in cells)
    text = {v for _, v, kind in cells if kind == "s"}
    assert text >= NEUTRALISED  # the names, with their apostrophe, as text
    assert not [v for v in text if RISKY.match(str(v))]
    assert "'=because C1" in text  # reasons too, not only names
    # calamine sees the same strings, and none of them is a formula either
    wb = CalamineWorkbook.from_path(str(book))
    seen = {
        v for name in wb.sheet_names for row in wb.get_sheet_by_name(name).to_python() for v in row
    }
    assert seen >= NEUTRALISED and not [v for v in seen if isinstance(v, str) and RISKY.match(v)]
    # saved again as CSV, the values stay safe: neutralising them again changes nothing
    column = pa.table({"v": sorted(v for v in seen if isinstance(v, str))})
    assert neutralise_formulas(column).equals(column)


def test_one_sheet_per_department_with_the_open_actions(
    hand_store: riskseg.Store, tmp_path: Path
) -> None:
    book = load_workbook(_hand_workbook(hand_store, tmp_path))
    assert book.sheetnames == [
        "Summary",
        "finance",
        "sales",
        "Segment movers",
        "Migration matrix",
        "Equity by segment",
        "Impact of actions",
    ]
    for owner, n in open_counts(hand_store, 2).items():
        sheet = book[owner]
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0] == QUEUE_COLUMNS and len(rows) == n + 1
    finance = list(book["finance"].iter_rows(values_only=True))
    head = finance[0]
    first = dict(zip(head, finance[1], strict=True))
    assert first["customer_id"] == "C3" and first["customer_name"] == "'-2"
    assert first["expected_impact"] == 900 and first["priority"] == 2
    assert first["due_date"] == datetime(2025, 12, 31)  # a date cell, not text
    sheet = book["finance"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:I3"
    assert sheet["A1"].font.b
    col = {c.value: c.column_letter for c in sheet[1]}
    assert sheet[f"{col['expected_impact']}2"].number_format == "#,##0"
    assert sheet[f"{col['due_date']}2"].number_format == "yyyy-mm-dd"
    summary = book["Summary"]
    pct = {c.value: c.column_letter for c in summary[1]}["change_pct"]
    assert summary[f"{pct}6"].number_format == "0.0%"
    assert summary["A6"].value == "customer equity" and summary[f"{pct}6"].value == 0.1875
    # calamine reads the same sheets, the dates as dates
    wb = CalamineWorkbook.from_path(str(tmp_path / "portfolio-review-2025-12-31.xlsx"))
    assert wb.sheet_names == book.sheetnames
    rows = wb.get_sheet_by_name("sales").to_python()
    assert len(rows) == 6 and rows[1][5] == date(2025, 12, 31)  # header, run 2: 4, run 1: 1
    assert [r[2] for r in rows[1:]] == ["'+1", "'+1", "'@SUM(A1)", NAMES["C6"], "'" + NAMES["C1"]]


def test_to_excel_types_blanks_and_formats(tmp_path: Path) -> None:
    table = pa.table(
        {
            "name": ["=1+1", "\tTab", "\rCR", "ACME", None],
            "n": pa.array([1, None, 3, 4, 5], pa.int64()),
            "x": [0.5, float("nan"), None, float("inf"), -12.5],
            "day": pa.array([date(2025, 1, 2)] * 5, pa.date32()),
            "at": pa.array([datetime(2025, 1, 2, 3, 4)] * 5, pa.timestamp("us")),
            "ok": [True, False, None, True, True],
        }
    )
    path = tmp_path / "t.xlsx"
    to_excel({"t": table}, path, formats={"x": "0.0%"})
    sheet = load_workbook(path)["t"]
    rows = list(sheet.iter_rows(min_row=2))
    assert [c.value for c in rows[0]] == [
        "'=1+1",
        1,
        0.5,
        datetime(2025, 1, 2),
        datetime(2025, 1, 2, 3, 4),
        True,
    ]
    # Excel and calamine read the carriage return back; openpyxl shows its XML escape _x000D_
    assert [r[0].value for r in rows] == ["'=1+1", "'\tTab", "'_x000D_CR", "ACME", None]
    names = [r[0] for r in CalamineWorkbook.from_path(str(path)).get_sheet_by_name("t").to_python()]
    assert names == ["name", "'=1+1", "'\tTab", "'\rCR", "ACME", ""]
    assert [r[2].value for r in rows] == [0.5, None, None, None, -12.5]  # NaN, inf: blank
    assert rows[0][2].number_format == "0.0%" and rows[0][1].number_format == "#,##0"
    assert rows[4][2].number_format == "0.0%" and rows[0][3].number_format == "yyyy-mm-dd"
    assert [r[5].data_type for r in rows[:2]] == ["b", "b"] and rows[2][5].value is None
    widths = {k: d.width for k, d in sheet.column_dimensions.items()}
    assert min(widths.values()) >= 8 and max(widths.values()) <= 61


def test_to_excel_keeps_an_empty_sheet_and_long_text(tmp_path: Path) -> None:
    long = "x" * 500
    path = tmp_path / "t.xlsx"
    to_excel(
        {"empty": pa.table({"a": pa.array([], pa.string())}), "long": pa.table({"a": [long]})}, path
    )
    book = load_workbook(path)
    assert [c.value for c in book["empty"][1]] == ["a"] and book["empty"].max_row == 1
    assert book["long"]["A2"].value == long
    assert book["long"].column_dimensions["A"].width <= 61


def test_sheet_names_are_made_valid_for_excel(tmp_path: Path) -> None:
    assert excel_sheet_name("a[b]c:d*e?f/g\\h") == "a_b_c_d_e_f_g_h"
    assert excel_sheet_name("x" * 40) == "x" * 31
    assert excel_sheet_name("'quoted'") == "quoted"
    assert excel_sheet_name("") == "Sheet"
    assert excel_sheet_name("History") == "History (2)"  # Excel keeps that name for itself
    assert excel_sheet_name("y" * 40, taken=["Y" * 31]) == "y" * 27 + " (2)"
    t = pa.table({"a": [1]})
    path = tmp_path / "names.xlsx"
    to_excel({"finance/sales": t, "finance_sales": t, "z" * 35: t}, path)
    assert load_workbook(path).sheetnames == ["finance_sales", "finance_sales (2)", "z" * 31]


def test_more_rows_than_excel_holds_is_refused(tmp_path: Path) -> None:
    big = pa.table({"a": pa.array(range(1_048_576), pa.int64())})
    with pytest.raises(InputError, match="Excel holds 1,048,575"):
        to_excel({"big": big}, tmp_path / "big.xlsx")
    assert not (tmp_path / "big.xlsx").exists()


def test_exports_doctests() -> None:
    assert doctest.testmod(exports).failed == 0

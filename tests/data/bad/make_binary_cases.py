"""Write the two binary cases of the bad-input corpus (run from anywhere; output is committed).

- ``binary_junk/invoices.csv``: random bytes with NULs, as when a ZIP or a database file is
  renamed to ``.csv``.
- ``excel_title_rows/invoices.xlsx``: a report-style sheet with a merged title, a merged
  subtitle and a blank row above the header; sheet row 7 has text in the amount.

    python tests/data/bad/make_binary_cases.py
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent


def binary_junk(path: Path) -> None:
    rng = random.Random(20240229)
    data = bytearray(rng.randbytes(4096))
    for i in range(0, len(data), 97):  # plenty of NULs, the first at byte 1
        data[i] = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(data))


def excel_title_rows(path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Open items"
    ws["A1"] = "Open items per 31-12-2024"
    ws.merge_cells("A1:F1")
    ws["A2"] = "Acme Holding - accounts receivable"
    ws.merge_cells("A2:F2")
    # row 3 stays blank
    ws.append([])
    ws.append(
        ["invoice_id", "customer_id", "issue_date", "due_date", "amount", "currency"]
    )  # row 4
    ws.append(["INV-231", "C001", dt.datetime(2024, 1, 5), dt.datetime(2024, 2, 4), 100.0, "EUR"])
    ws.append(["INV-232", "C002", dt.datetime(2024, 1, 6), dt.datetime(2024, 1, 20), 200.5, "EUR"])
    ws.append(["INV-233", "C003", dt.datetime(2024, 1, 7), dt.datetime(2024, 3, 7), "n/a", "EUR"])
    ws.append(["INV-234", "C001", "2024-01-08", "2024-02-07", 400, "EUR"])  # dates typed as text
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


if __name__ == "__main__":
    binary_junk(HERE / "binary_junk" / "invoices.csv")
    excel_title_rows(HERE / "excel_title_rows" / "invoices.xlsx")

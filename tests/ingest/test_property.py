"""Property: whatever mix of good and bad invoice rows a CSV holds, nothing is lost.

Hypothesis writes invoice exports the way ERPs and spreadsheets do (any of the four
delimiters, decimal point or comma, ISO and day-first dates, CRLF, a BOM, quoted fields
holding delimiters, quotes and line breaks, no final newline) and spoils some rows (bad or
impossible dates, text amounts, blank required fields, unknown customers, due before issue,
rows cut short or with extra fields, duplicate keys that agree or conflict). An independent
oracle works out which rows must be stored and with which values. Then:

- every record written is read: read == records == stored + quarantined;
- exactly the rows the oracle expects are stored, with its values, each pointing at the
  physical line where its record starts;
- every other record is quarantined once, at the line where it starts, with its text;
- importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskseg

CUSTOMERS = ("C001", "C002", "C003", "C004", "C005")
CUSTOMERS_CSV = "customer_id,name\n" + "".join(f"{c},Customer {c}\n" for c in CUSTOMERS)
#: ``note`` is not a contract column: it is read (and must not break parsing) but not stored
COLUMNS = ("invoice_id", "customer_id", "issue_date", "due_date", "amount", "currency", "note")
REQUIRED = ("invoice_id", "customer_id", "issue_date", "due_date", "amount")

BAD_DATES = ("31-02-2024", "2024-02-30", "2024-13-01", "00/00/0000", "yesterday",
             "15th Jan 2024", "2024/31/12", "31.04.2024")  # fmt: skip
BAD_AMOUNTS = ("TBD", "n/a", "twelve", "1O0", "12.3.4", "€", "--5", "1,2,3,4")
UNKNOWN_CUSTOMERS = ("C999", "c001", "C0001", "X")
#: free text: the file's delimiters, quotes and line breaks, accents, spaces
TEXT = st.text(alphabet="abcXYZ019 ,;|\t\"'\né€-", max_size=12)
FIRST_DAY = dt.date(2023, 1, 1)


@dataclass
class Row:
    """One record as written, plus what it stands for."""

    cells: dict[str, str]
    #: what the cells mean where they are well formed (None: not a valid value)
    issue: dt.date | None
    due: dt.date | None
    cents: int | None
    #: "." or "," when the amount has decimals (it then votes for that separator), else None
    amount_style: str | None
    width: int = len(COLUMNS)  # fields written: fewer = cut short, more = extra fields
    extra: list[str] = field(default_factory=list)


# -- writing values the way exports do -----------------------------------------------------
def _date_text(d: dt.date, how: str) -> str:
    # day-first only with days > 12, so the file is never ambiguous (that case is refused,
    # tested in test_bad_input.py)
    if how == "iso" or d.day <= 12:
        return d.isoformat()
    sep = {"dmy-": "-", "dmy/": "/", "dmy.": "."}[how]
    return f"{d.day:02d}{sep}{d.month:02d}{sep}{d.year}"


def _amount_text(cents: int, decimal: str, how: str) -> tuple[str, str | None]:
    """(text, style it votes for) for an amount of ``cents``."""
    whole, frac = divmod(abs(cents), 100)
    if how == "integer" and frac == 0:
        digits, style = str(whole), None
    else:
        thousands = "," if decimal == "." else "."
        if how == "grouped" and whole >= 1000:
            whole_text = f"{whole:,}".replace(",", thousands)
        else:
            whole_text = str(whole)
        digits, style = f"{whole_text}{decimal}{frac:02d}", decimal
    if cents >= 0:
        text = {"euro": f"€{digits}", "code": f"{digits} EUR"}.get(how, digits)
    else:
        text = {"accounting": f"({digits})", "sap": f"{digits}-"}.get(how, f"-{digits}")
    return text, style


@st.composite
def rows(draw: st.DrawFn, i: int, decimal: str, earlier: list[Row]) -> Row:
    copy = draw(st.integers(0, 4)) == 0
    if copy and earlier:
        # the same invoice again: an exact copy (values may be written differently) or a
        # conflicting one
        src = draw(st.sampled_from(earlier))
        key = src.cells["invoice_id"]
        if draw(st.booleans()) and src.issue and src.due and src.cents is not None:
            issue, due, cents = src.issue, src.due, src.cents
            customer, currency = src.cells["customer_id"], src.cells["currency"]
        else:
            issue = FIRST_DAY + dt.timedelta(days=draw(st.integers(0, 700)))
            due = issue + dt.timedelta(days=draw(st.integers(0, 90)))
            cents = draw(st.integers(-100_000, 10**9))
            customer, currency = draw(st.sampled_from(CUSTOMERS)), draw(TEXT)
    else:
        key = f"INV{i:04d}"
        issue = FIRST_DAY + dt.timedelta(days=draw(st.integers(0, 700)))
        due = issue + dt.timedelta(days=draw(st.integers(0, 90)))
        cents = draw(st.integers(-100_000, 10**9))
        customer = draw(st.sampled_from(CUSTOMERS))
        currency = draw(TEXT)
    date_how = st.sampled_from(["iso", "dmy-", "dmy/", "dmy."])
    amount, style = _amount_text(
        cents,
        decimal,
        draw(st.sampled_from(["plain", "grouped", "integer", "euro", "code", "accounting", "sap"])),
    )
    if draw(st.booleans()):
        customer = (
            draw(st.sampled_from(["", " ", "  "])) + customer + draw(st.sampled_from(["", " "]))
        )
    row = Row(
        {
            "invoice_id": key,
            "customer_id": customer,
            "issue_date": _date_text(issue, draw(date_how)),
            "due_date": _date_text(due, draw(date_how)),
            "amount": amount,
            "currency": currency,
            "note": draw(TEXT),
        },
        issue,
        due,
        cents,
        style,
    )
    # spoil about one row in three, some twice
    for _ in range(draw(st.sampled_from([0, 0, 0, 0, 1, 2]))):
        spoil = draw(
            st.sampled_from(
                ["date", "blank", "amount", "customer", "order", "decimal", "short", "long"]
            )
        )
        if spoil == "date":
            col = draw(st.sampled_from(["issue_date", "due_date"]))
            row.cells[col] = draw(st.sampled_from(BAD_DATES))
            setattr(row, "issue" if col == "issue_date" else "due", None)
        elif spoil == "blank":
            row.cells[draw(st.sampled_from(REQUIRED))] = draw(st.sampled_from(["", " "]))
        elif spoil == "amount":
            row.cells["amount"], row.cents, row.amount_style = (
                draw(st.sampled_from(BAD_AMOUNTS)),
                None,
                None,
            )
        elif spoil == "customer":
            row.cells["customer_id"] = draw(st.sampled_from(UNKNOWN_CUSTOMERS))
        elif spoil == "order" and row.issue and row.due:
            row.due = row.issue - dt.timedelta(days=draw(st.integers(1, 30)))
            row.cells["due_date"] = _date_text(row.due, draw(date_how))
        elif spoil == "decimal" and row.cents is not None:
            # the other decimal separator: valid only if the file's majority writes it so
            other = "," if decimal == "." else "."
            row.cells["amount"], row.amount_style = _amount_text(row.cents, other, "plain")
        elif spoil == "short" and not row.extra:
            row.width = draw(st.integers(2, len(COLUMNS) - 1))
        elif spoil == "long" and row.width == len(COLUMNS):
            row.extra = draw(st.lists(TEXT, min_size=1, max_size=3))
    return row


@dataclass
class Export:
    data: bytes
    rows: list[Row]
    order: list[str]
    starts: list[int]  # physical line (1-based) where each row's record starts
    decimal: str
    delimiter: str


@st.composite
def exports(draw: st.DrawFn) -> Export:
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    decimal = draw(st.sampled_from([".", ","]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    order = draw(st.permutations(COLUMNS))
    written: list[Row] = []
    for i in range(draw(st.integers(0, 20))):
        written.append(draw(rows(i, decimal, written)))
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=newline, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(order)
    starts = []
    for r in written:
        starts.append(buf.getvalue().count("\n") + 1)
        writer.writerow([r.cells[c] for c in order][: r.width] + r.extra)
    text = buf.getvalue()
    final_newline = draw(st.booleans())
    if written and not final_newline:
        text = text.removesuffix(newline)
    bom = b"\xef\xbb\xbf" if draw(st.integers(0, 3)) == 0 else b""
    return Export(bom + text.encode("utf-8"), written, list(order), starts, decimal, delimiter)


# -- the oracle -------------------------------------------------------------------------------
def _expected(exp: Export) -> tuple[dict[str, tuple[Any, ...]], dict[str, int], set[int]]:
    """({invoice_id: stored values}, {invoice_id: line stored from}, quarantined lines)."""
    # extra fields that are empty (a trailing delimiter) lose nothing and are accepted, as for
    # Excel and SQL sources; any other row of the wrong width is rejected
    parsed = [r for r in exp.rows if r.width == len(COLUMNS) and not any(r.extra)]
    parsed_ids = {id(r) for r in parsed}
    votes = {
        s: sum(1 for r in parsed if r.amount_style == s and r.cells["amount"].strip()) for s in ".,"
    }
    decimal = "," if votes[","] > votes["."] else "."
    valid: list[tuple[int, tuple[Any, ...]]] = []
    quarantined: set[int] = set()
    for line, r in zip(exp.starts, exp.rows, strict=True):
        if id(r) in parsed_ids:
            key = r.cells["invoice_id"].strip()
            customer = r.cells["customer_id"].strip()
            issue = r.issue if r.cells["issue_date"].strip() else None
            due = r.due if r.cells["due_date"].strip() else None
            amount_ok = (
                r.cells["amount"].strip()
                and r.cents is not None
                and r.amount_style in (None, decimal)
            )
            currency = r.cells["currency"].strip(" ") or None
            if key and customer in CUSTOMERS and issue and due and amount_ok and due >= issue:
                assert r.cents is not None
                valid.append((line, (key, customer, issue, due, r.cents / 100, currency)))
                continue
        quarantined.add(line)
    groups: dict[str, list[tuple[int, tuple[Any, ...]]]] = {}
    for line, values in valid:
        groups.setdefault(values[0], []).append((line, values))
    stored, lines = {}, {}
    for key, found in groups.items():
        if len({v for _, v in found}) == 1:  # exact copies: the first is stored
            stored[key], lines[key] = found[0][1], found[0][0]
            quarantined.update(line for line, _ in found[1:])
        else:  # conflicting copies: none can be trusted
            quarantined.update(line for line, _ in found)
    return stored, lines, quarantined


def _stored(store: riskseg.Store) -> tuple[dict[str, tuple[Any, ...]], dict[str, int]]:
    got = store.con.execute(
        "SELECT invoice_id, customer_id, issue_date, due_date, amount, currency, _line FROM invoices"
    ).fetchall()
    return {r[0]: tuple(r[:6]) for r in got}, {r[0]: r[6] for r in got}


def _table(store: riskseg.Store) -> list[dict[str, Any]]:
    return sorted(store.table("invoices").to_pylist(), key=repr)


# -- the property -------------------------------------------------------------------------------
@pytest.mark.slow
@settings(
    max_examples=25,
    deadline=None,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(exp=exports())
def test_every_record_is_stored_or_quarantined_at_its_line(exp: Export) -> None:
    with tempfile.TemporaryDirectory() as tmp, riskseg.Store(":memory:") as store:
        folder = Path(tmp)
        (folder / "customers.csv").write_text(CUSTOMERS_CSV, encoding="utf-8")
        path = folder / "invoices.csv"
        path.write_bytes(exp.data)
        report = riskseg.import_path(store, folder)
        assert report.exit_code == 0, [s.error for s in report.failed]
        src = next(s for s in report.sources if s.table == "invoices")

        # nothing lost
        assert src.read == len(exp.rows), (src.read, src.notes)
        assert src.read == src.stored + src.quarantined
        assert store.count("invoices") == src.stored

        # the rows the oracle expects, with its values, from the line where they start
        want, want_lines, want_quarantined = _expected(exp)
        got, got_lines = _stored(store)
        assert got == want
        assert got_lines == want_lines

        # every other record quarantined once, at the line where it starts, with its text
        q = store.quarantine("invoices")
        assert all(r["source"] == str(path) for r in q)
        q_lines = [r["line"] for r in q]
        assert sorted(q_lines) == sorted(want_quarantined), [(r["line"], r["reason"]) for r in q]
        row_at = dict(zip(exp.starts, exp.rows, strict=True))
        for r in q:
            row = row_at[r["line"]]
            key = row.cells["invoice_id"].strip()
            if key and exp.order.index("invoice_id") < row.width:
                assert key in (r["record"] or ""), r
            assert r["reason"]

        # importing the same file again changes nothing
        before = (_table(store), [(r["line"], r["column"], r["reason"]) for r in q])
        again = riskseg.import_path(store, path)
        assert again.exit_code == 0
        [src2] = again.sources
        assert (src2.read, src2.inserted, src2.updated, src2.unchanged, src2.quarantined) == (
            src.read,
            0,
            0,
            src.stored,
            src.quarantined,
        )
        after = (
            _table(store),
            [(r["line"], r["column"], r["reason"]) for r in store.quarantine("invoices")],
        )
        assert after == before
        assert _stored(store) == (got, got_lines)


def test_the_oracle_reads_a_known_file() -> None:
    """The oracle itself, on a hand-made export."""
    good = Row(
        {
            "invoice_id": "INV0000",
            "customer_id": " C001",
            "issue_date": "15-01-2024",
            "due_date": "2024-02-14",
            "amount": "1.234,50",
            "currency": " EUR ",
            "note": "a;b",
        },
        dt.date(2024, 1, 15),
        dt.date(2024, 2, 14),
        123450,
        ",",
    )
    copy = Row(
        dict(good.cells, issue_date="2024-01-15", amount="1234,50"),
        good.issue,
        good.due,
        123450,
        ",",
    )
    bad = Row(
        dict(good.cells, invoice_id="INV0002", amount="TBD"), good.issue, good.due, None, None
    )
    cut = Row(dict(good.cells, invoice_id="INV0003"), good.issue, good.due, 123450, ",", width=3)
    exp = Export(b"", [good, copy, bad, cut], list(COLUMNS), [2, 3, 4, 6], ",", ";")
    stored, lines, quarantined = _expected(exp)
    assert stored == {
        "INV0000": ("INV0000", "C001", dt.date(2024, 1, 15), dt.date(2024, 2, 14), 1234.5, "EUR")
    }
    assert lines == {"INV0000": 2}
    assert quarantined == {3, 4, 6}
    assert _amount_text(-123450, ",", "grouped") == ("-1.234,50", ",")
    assert _amount_text(-500, ".", "accounting") == ("(5.00)", ".")
    assert _amount_text(500, ".", "integer") == ("5", None)
    assert _date_text(dt.date(2024, 1, 5), "dmy/") == "2024-01-05"
    assert _date_text(dt.date(2024, 1, 15), "dmy.") == "15.01.2024"

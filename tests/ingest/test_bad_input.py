"""Realistic bad exports (tests/data/bad/): what a user sees when a file or a row is wrong.

Each case folder holds one file named after its table. Invoices and flags reference the
customers of ``tests/data/bad/_customers``; ``_baseline`` fills a store with data (and one
quarantined row) so that a rejected file can be shown to leave it unchanged.

A file that can be read at all is imported (exit code 0) and its bad rows are quarantined
with file, line, column and reason; a file that cannot be used at all is refused (exit
code 2) with a message naming the file, and the store is left as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import riskseg
from riskseg.contract import TABLES

ROOT = Path(__file__).resolve().parents[2]
BAD = ROOT / "tests" / "data" / "bad"
CUSTOMERS = BAD / "_customers"
BASELINE = BAD / "_baseline"


@dataclass(frozen=True)
class Bad:
    """A row expected in quarantine."""

    line: int
    column: str | None
    value: str | None  # None: not checked
    reason: str  # words the reason must contain


@dataclass(frozen=True)
class Case:
    folder: str
    file: str
    read: int
    stored: int
    bad: tuple[Bad, ...] = ()

    @property
    def table(self) -> str:
        return self.file.split(".")[0]

    @property
    def path(self) -> Path:
        return BAD / self.folder / self.file


#: files that are imported; their bad rows are quarantined
IMPORTED = [
    Case("header_only", "invoices.csv", 0, 0),
    Case(
        "mixed_dates", "invoices.csv", 5, 4, (Bad(5, "issue_date", "15th Jan 2024", "not a date"),)
    ),
    Case(
        "impossible_date", "invoices.csv", 3, 2, (Bad(3, "due_date", "31-02-2024", "not a date"),)
    ),
    Case("text_amount", "invoices.csv", 3, 2, (Bad(3, "amount", "TBD", "not a number"),)),
    Case("severity_7", "flags.csv", 3, 2, (Bad(3, "severity", "7", "1-3"),)),
    Case(
        "duplicate_keys",
        "invoices.csv",
        5,
        2,
        (
            Bad(4, "invoice_id", "INV-141", "exact copy of line 2"),
            Bad(5, "invoice_id", "INV-143", "lines 5, 6"),
            Bad(6, "invoice_id", "INV-143", "lines 5, 6"),
        ),
    ),
    Case(
        "unknown_customer",
        "invoices.csv",
        3,
        2,
        (Bad(3, "customer_id", "C999", "not in customers"),),
    ),
    # the quote opened in the amount of line 4 is never closed: the file ends there
    Case("truncated_quote", "invoices.csv", 3, 2, (Bad(4, "amount", None, "never closed"),)),
    # line 4 stops after issue_date: due_date is the first field missing
    Case("truncated_short", "invoices.csv", 3, 2, (Bad(4, "due_date", None, "fewer fields"),)),
    # the note of line 2 runs over two lines, so the bad row is on physical line 5
    Case("multiline_note", "flags.csv", 3, 2, (Bad(5, "category", "gossip", "not one of"),)),
    Case("utf8_bom", "invoices.csv", 3, 2, (Bad(3, "customer_id", "C404", "not in customers"),)),
    Case("excel_title_rows", "invoices.xlsx", 4, 3, (Bad(7, "amount", "n/a", "not a number"),)),
    # a tab-separated export whose two rows have a stray field (one too many, one too few),
    # each holding a comma: the header still says the delimiter is a tab
    Case(
        "tsv_ragged_rows",
        "invoices.csv",
        2,
        0,
        (
            Bad(2, None, None, "more fields"),
            Bad(3, "currency", None, "fewer fields"),
        ),
    ),
    Case("semicolon_decimal_comma", "invoices.csv", 3, 3),
    Case("cp1252", "customers.csv", 3, 3),
]


@dataclass(frozen=True)
class Refused:
    folder: str
    file: str
    says: tuple[str, ...]  # words the message must contain

    @property
    def path(self) -> Path:
        return BAD / self.folder / self.file


#: files that cannot be used at all: exit code 2, store unchanged
REFUSED = [
    Refused("empty", "invoices.csv", ("empty",)),
    Refused("binary_junk", "invoices.csv", ("not a text file",)),
    Refused("missing_column", "invoices.csv", ("due_date", "missing")),
    Refused("wrong_delimiter", "invoices.csv", ("one column", "delimiter")),
    Refused("ambiguous_dates", "invoices.csv", ("day-first", "--date-format", "date_format:")),
    Refused("unknown_table", "facturas_2024.csv", ("mapping",)),
]


# -- helpers --------------------------------------------------------------------------------
@pytest.fixture
def mem_store() -> Iterator[riskseg.Store]:
    with riskseg.Store(":memory:") as s:
        yield s


def _with_data(store: riskseg.Store) -> riskseg.Store:
    """A store that already holds customers, invoices and a quarantined row."""
    report = riskseg.import_path(store, CUSTOMERS, BASELINE)
    assert report.exit_code == 0
    assert store.count("invoices") == 2 and store.count("quarantine") == 1
    return store


def _rows(store: riskseg.Store, table: str) -> list[dict[str, Any]]:
    return sorted(store.table(table).to_pylist(), key=repr)


def _snapshot(store: riskseg.Store) -> dict[str, Any]:
    """Everything a user could see in the store."""
    snap: dict[str, Any] = {t: _rows(store, t) for t in TABLES}
    snap["quarantine"] = store.quarantine()
    snap["import_log"] = [
        (r["import_id"], r["source"], r["rows_read"], r["inserted"]) for r in store.imports()
    ]
    snap["counts"] = {t: store.count(t) for t in [*TABLES, "quarantine", "import_log"]}
    return snap


def _reconciles(counts: dict[str, dict[str, int]]) -> None:
    for table, c in counts.items():
        assert c["read"] == c["stored"] + c["quarantined"], (table, c)
        assert c["stored"] == c["inserted"] + c["updated"] + c["unchanged"] + c["merged"], (
            table,
            c,
        )


def _lines(case: Case) -> list[str]:
    """Physical lines of a text case, as a user's editor shows them."""
    raw = case.path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    return text.split("\n")


def _check_quarantine(rows: list[dict[str, Any]], case: Case) -> None:
    assert sorted((r["line"], r["column"]) for r in rows) == sorted(
        (b.line, b.column) for b in case.bad
    ), rows
    by_line: dict[int, dict[str, Any]] = {}
    for r in rows:
        by_line.setdefault(r["line"], r)
    for b in case.bad:
        r = by_line[b.line]
        assert case.file in r["source"] and case.folder in r["source"], r
        if b.value is not None:
            assert r["value"] == b.value, r
        assert b.reason in r["reason"], r
        assert r["reason"].strip(), r


# -- imported with quarantine: Python API ------------------------------------------------------
@pytest.mark.parametrize("case", IMPORTED, ids=lambda c: c.folder)
def test_bad_rows_are_quarantined_with_file_line_and_column(
    mem_store: riskseg.Store, case: Case
) -> None:
    store = mem_store
    if case.table != "customers":
        assert riskseg.import_path(store, CUSTOMERS).exit_code == 0
    report = riskseg.import_path(store, BAD / case.folder)
    assert report.exit_code == 0, [s.error for s in report.failed]
    assert report.ignored == []
    [src] = report.sources
    assert (src.table, src.read, src.stored, src.quarantined) == (
        case.table,
        case.read,
        case.stored,
        len(case.bad),
    )
    _reconciles(report.by_table())
    assert store.count(case.table) == case.stored
    _check_quarantine(store.quarantine(case.table), case)

    if case.path.suffix == ".csv":
        # every stored row points at the physical line that holds it
        key = TABLES[case.table].key[0]
        lines = _lines(case)
        got = store.con.execute(f"SELECT {key}, _line FROM {case.table}").fetchall()
        for value, line in got:
            assert lines[line - 1].startswith(str(value)), (value, line, lines[line - 1])

    # importing the same file again changes nothing
    before = (_rows(store, case.table), store.quarantine())
    again = riskseg.import_path(store, BAD / case.folder)
    assert again.exit_code == 0
    [src2] = again.sources
    assert (src2.inserted, src2.updated, src2.unchanged, src2.quarantined) == (
        0,
        0,
        case.stored,
        len(case.bad),
    )
    after = (_rows(store, case.table), store.quarantine())
    assert [(r["line"], r["column"], r["reason"]) for r in before[1]] == [
        (r["line"], r["column"], r["reason"]) for r in after[1]
    ]
    assert before[0] == after[0]


def _by_key(store: riskseg.Store, table: str) -> dict[str, dict[str, Any]]:
    key = TABLES[table].key[0]
    return {r[key]: r for r in store.table(table).to_pylist()}


def _imported(store: riskseg.Store, folder: str) -> riskseg.ImportReport:
    riskseg.import_path(store, CUSTOMERS)
    report = riskseg.import_path(store, BAD / folder)
    assert report.exit_code == 0
    return report


def test_mixed_date_formats_are_read_day_first(mem_store: riskseg.Store) -> None:
    _imported(mem_store, "mixed_dates")
    inv = _by_key(mem_store, "invoices")
    assert (inv["INV-111"]["issue_date"], inv["INV-111"]["due_date"]) == (
        dt.date(2024, 1, 15),
        dt.date(2024, 2, 14),
    )
    assert (inv["INV-112"]["issue_date"], inv["INV-112"]["due_date"]) == (
        dt.date(2024, 1, 15),
        dt.date(2024, 1, 29),
    )
    assert inv["INV-113"]["due_date"] == dt.date(2024, 2, 19)
    assert inv["INV-115"]["issue_date"] == dt.date(2024, 1, 31)


def test_thousands_separator_in_quoted_amount(mem_store: riskseg.Store) -> None:
    _imported(mem_store, "text_amount")
    assert _by_key(mem_store, "invoices")["INV-131"]["amount"] == 1250.0


def test_semicolons_and_decimal_commas(mem_store: riskseg.Store) -> None:
    _imported(mem_store, "semicolon_decimal_comma")
    inv = _by_key(mem_store, "invoices")
    assert {k: r["amount"] for k, r in inv.items()} == {
        "INV-211": 1234.5,
        "INV-212": 99.95,
        "INV-213": -12.0,
    }
    assert inv["INV-211"]["issue_date"] == dt.date(2024, 1, 15)
    assert inv["INV-213"]["due_date"] == dt.date(2024, 3, 16)


def test_cp1252_names_keep_their_accents_and_euro_sign(mem_store: riskseg.Store) -> None:
    report = riskseg.import_path(mem_store, BAD / "cp1252")
    assert report.exit_code == 0
    cust = _by_key(mem_store, "customers")
    assert {k: (r["name"], r["account_manager"]) for k, r in cust.items()} == {
        "K-01": ("Café Bélier SA", "Hélène Dupré"),
        "K-02": ("€uro Trading Zürich AG", "Jürgen Größ"),
        "K-03": ("Ñandú Logística SL", "José Peña"),
    }


def test_utf8_bom_and_crlf(mem_store: riskseg.Store) -> None:
    _imported(mem_store, "utf8_bom")
    inv = _by_key(mem_store, "invoices")
    assert set(inv) == {"INV-221", "INV-223"}  # no BOM glued to the first key
    assert {r["currency"] for r in inv.values()} == {"EUR"}  # no \r left on the last field


def test_multiline_note_is_kept_whole(mem_store: riskseg.Store) -> None:
    _imported(mem_store, "multiline_note")
    flags = _by_key(mem_store, "flags")
    assert flags["F-11"]["note"] == "Called our agent names.\nManager informed."
    assert set(flags) == {"F-11", "F-12"}


def test_excel_title_rows_are_skipped(mem_store: riskseg.Store) -> None:
    report = _imported(mem_store, "excel_title_rows")
    [src] = report.sources
    assert src.source.endswith("invoices.xlsx [Open items]")
    assert any("sheet row 4" in n for n in src.notes), src.notes
    inv = _by_key(mem_store, "invoices")
    assert inv["INV-232"]["amount"] == 200.5
    assert (inv["INV-234"]["issue_date"], inv["INV-234"]["due_date"]) == (
        dt.date(2024, 1, 8),
        dt.date(2024, 2, 7),
    )


def test_header_only_is_an_empty_import(mem_store: riskseg.Store) -> None:
    report = _imported(mem_store, "header_only")
    [src] = report.sources
    assert any("header only" in n for n in src.notes), src.notes
    assert mem_store.count("invoices") == 0 and mem_store.count("quarantine") == 0


def test_duplicate_keys_keep_the_first_exact_copy(mem_store: riskseg.Store) -> None:
    _imported(mem_store, "duplicate_keys")
    got = mem_store.con.execute("SELECT invoice_id, _line FROM invoices ORDER BY 1").fetchall()
    assert got == [("INV-141", 2), ("INV-142", 3)]


def test_a_5_mb_field_is_quarantined_and_later_lines_stay_right(
    mem_store: riskseg.Store, tmp_path: Path
) -> None:
    note = "x" * (5 * 1024 * 1024)
    (tmp_path / "flags.csv").write_text(
        "flag_id,customer_id,date,category,severity,department,note\n"
        "F-1,C001,2024-03-01,conduct,2,service,short note\n"
        f'F-2,C002,2024-03-05,fraud,3,finance,"{note}"\n'
        "F-3,C003,2024-13-07,reputation,1,sales,month 13\n"
        "F-4,C003,2024-03-08,reputation,1,sales,fine\n",
        encoding="utf-8",
    )
    riskseg.import_path(mem_store, CUSTOMERS)
    report = riskseg.import_path(mem_store, tmp_path)
    assert report.exit_code == 0
    [src] = report.sources
    assert (src.read, src.stored, src.quarantined) == (4, 2, 2)
    q = {r["line"]: r for r in mem_store.quarantine("flags")}
    assert set(q) == {3, 4}
    assert q[3]["column"] == "note" and str(len(note)) in q[3]["reason"]
    assert len(q[3]["value"] or "") <= 1000  # the value shown is cut, not 5 MB
    assert q[4]["column"] == "date" and q[4]["value"] == "2024-13-07"
    assert all(r["source"] == str(tmp_path / "flags.csv") for r in q.values())
    assert set(_by_key(mem_store, "flags")) == {"F-1", "F-4"}


# -- refused files: Python API ------------------------------------------------------------
@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c.folder)
def test_an_unusable_file_is_refused_and_the_store_is_unchanged(
    mem_store: riskseg.Store, case: Refused
) -> None:
    store = _with_data(mem_store)
    before = _snapshot(store)
    report = riskseg.import_path(store, case.path)
    assert report.exit_code == 2
    [failed] = report.failed
    msg = failed.error or ""
    assert str(case.path) in msg, msg
    for word in case.says:
        assert word in msg, msg
    assert report.by_table() == {}
    assert _snapshot(store) == before


def test_a_folder_with_only_an_unknown_table_imports_nothing_and_says_so(
    mem_store: riskseg.Store,
) -> None:
    store = _with_data(mem_store)
    before = _snapshot(store)
    report = riskseg.import_path(store, BAD / "unknown_table")
    assert [Path(p).name for p, _ in report.ignored] == ["facturas_2024.csv"]
    assert "mapping" in report.ignored[0][1]
    # nothing at all could be used: the user must not be told all went well
    assert report.exit_code == 2
    assert _snapshot(store) == before


def test_ambiguous_dates_import_once_the_format_is_declared(mem_store: riskseg.Store) -> None:
    riskseg.import_path(mem_store, CUSTOMERS)
    report = riskseg.import_path(mem_store, BAD / "ambiguous_dates", date_format="%d/%m/%Y")
    assert report.exit_code == 0
    inv = _by_key(mem_store, "invoices")
    assert (inv["INV-201"]["issue_date"], inv["INV-201"]["due_date"]) == (
        dt.date(2024, 4, 3),
        dt.date(2024, 5, 3),
    )
    assert inv["INV-202"]["due_date"] == dt.date(2024, 4, 12)


# -- the command line: exit codes, messages, no tracebacks -----------------------------------
@dataclass
class CliRun:
    args: list[str]
    db: Path
    rc: int = -1
    stdout: str = ""
    stderr: str = ""
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    quarantine: list[dict[str, Any]] | None = None


def _rel(p: Path) -> str:
    # relative paths keep messages short, so the console does not fold a path in two
    return str(p.relative_to(ROOT))


def _spawn(args: list[str]) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "RISKSEG_DB"}
    return subprocess.Popen(
        [sys.executable, "-m", "riskseg.cli", *args],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _run_all(runs: dict[str, CliRun], argv: Any) -> None:
    procs = {k: _spawn(argv(r)) for k, r in runs.items()}
    for k, p in procs.items():
        out, err = p.communicate(timeout=120)
        runs[k].rc, runs[k].stdout, runs[k].stderr = p.returncode, out, err


#: imported cases also run through the command line (the rest only through the API: each
#: ``riskseg`` start costs about a second)
CLI_IMPORTED = ("impossible_date", "duplicate_keys", "excel_title_rows")


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CliRun]:
    """The command-line cases, all started at once."""
    tmp = tmp_path_factory.mktemp("cli")
    runs: dict[str, CliRun] = {}
    for case in REFUSED:
        runs[f"refused:{case.folder}"] = CliRun([_rel(case.path)], tmp / f"r-{case.folder}.duckdb")
    runs["refused:unknown_table_folder"] = CliRun(
        [_rel(BAD / "unknown_table")], tmp / "r-unknown_table_folder.duckdb"
    )
    for imported in IMPORTED:
        if imported.folder in CLI_IMPORTED:
            runs[f"imported:{imported.folder}"] = CliRun(
                [_rel(CUSTOMERS), _rel(BAD / imported.folder)], tmp / f"i-{imported.folder}.duckdb"
            )
    runs["declared:ambiguous_dates"] = CliRun(
        [_rel(CUSTOMERS), _rel(BAD / "ambiguous_dates"), "--date-format", "%d/%m/%Y"],
        tmp / "d-ambiguous.duckdb",
    )
    for key, run in runs.items():
        if key.startswith("refused:"):
            with riskseg.Store(run.db) as store:
                run.before = _snapshot(_with_data(store))
    _run_all(runs, lambda r: ["import", *r.args, "--db", str(r.db), "--json"])
    for run in runs.values():
        if run.before is not None:
            with riskseg.Store(run.db) as store:
                run.after = _snapshot(store)
        elif run.rc == 0:
            with riskseg.Store(run.db) as store:
                run.quarantine = store.quarantine()
    return runs


def _flat(text: str) -> str:
    return " ".join(text.split())


def _check_cli_basics(run: CliRun) -> dict[str, dict[str, int]]:
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    counts: dict[str, dict[str, int]] = json.loads(run.stdout)
    _reconciles(counts)
    return counts


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c.folder)
def test_cli_refuses_an_unusable_file_with_exit_code_2(
    cli: dict[str, CliRun], case: Refused
) -> None:
    run = cli[f"refused:{case.folder}"]
    counts = _check_cli_basics(run)
    err = _flat(run.stderr)
    assert _rel(case.path) in err, err
    for word in case.says:
        assert word in err, err
    assert counts == {}
    assert run.after == run.before
    assert run.rc == 2, (run.rc, err)


def test_cli_exit_code_2_when_a_folder_holds_only_an_unknown_table(cli: dict[str, CliRun]) -> None:
    run = cli["refused:unknown_table_folder"]
    counts = _check_cli_basics(run)
    assert "facturas_2024.csv" in _flat(run.stderr), run.stderr
    assert counts == {}
    assert run.after == run.before
    assert run.rc == 2, (run.rc, run.stderr)


@pytest.mark.parametrize(
    "case", [c for c in IMPORTED if c.folder in CLI_IMPORTED], ids=lambda c: c.folder
)
def test_cli_imports_a_file_with_bad_rows_with_exit_code_0(
    cli: dict[str, CliRun], case: Case
) -> None:
    run = cli[f"imported:{case.folder}"]
    assert run.rc == 0, (run.rc, run.stderr)
    counts = _check_cli_basics(run)
    assert "not imported" not in run.stderr, run.stderr
    c = counts[case.table]
    assert (c["read"], c["stored"], c["quarantined"]) == (case.read, case.stored, len(case.bad))
    assert run.quarantine is not None
    _check_quarantine([r for r in run.quarantine if r["table_name"] == case.table], case)


def test_cli_date_format_option_resolves_ambiguous_dates(cli: dict[str, CliRun]) -> None:
    run = cli["declared:ambiguous_dates"]
    assert run.rc == 0, (run.rc, run.stderr)
    counts = _check_cli_basics(run)
    assert (counts["invoices"]["read"], counts["invoices"]["stored"]) == (3, 3)


def test_cli_lists_quarantined_rows_with_file_line_column_and_reason(
    cli: dict[str, CliRun],
) -> None:
    run = cli["imported:impossible_date"]
    assert run.rc == 0, run.stderr
    shown = subprocess.run(
        [sys.executable, "-m", "riskseg.cli", "quarantine", "--db", str(run.db), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0 and "Traceback" not in shown.stderr, shown.stderr
    rows = [json.loads(line) for line in shown.stdout.splitlines() if line.strip()]
    assert [(r["table_name"], r["source"], r["line"], r["column"], r["value"]) for r in rows] == [
        ("invoices", "tests/data/bad/impossible_date/invoices.csv", 3, "due_date", "31-02-2024")
    ]
    assert "not a date" in rows[0]["reason"]

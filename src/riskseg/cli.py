"""The ``riskseg`` command: a thin shell over the Python API.

Exit codes scripts can rely on: 0 success (rows may be quarantined), 2 a source or an
argument could not be used at all, 1 an internal error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from riskseg import __version__
from riskseg.errors import InputError, RisksegError
from riskseg.store.store import DEFAULT_DB, Store, default_db_path

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2

app = typer.Typer(
    name="riskseg",
    help="Find the B2B customers who cost more than they bring, explain why, and act on it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
mapping_app = typer.Typer(
    help="Write and check mapping files (your headers -> the contract).", no_args_is_help=True
)
app.add_typer(mapping_app, name="mapping")

out = Console()
err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="RISKSEG_DB",
        show_envvar=True,
        help=f"Store file (default ./{DEFAULT_DB}).",
        show_default=False,
    ),
]


def _open(db: str | None) -> Store:
    return Store(db or default_db_path())


def _version(value: bool) -> None:
    if value:
        out.print(f"riskseg {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """riskseg: one shared, explainable view of every customer's risk and value."""


@app.command("import")
def import_cmd(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Files, folders or database URLs (postgresql://..., sqlite:///...).",
            show_default=False,
        ),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping", "-m", help="Mapping YAML: your headers and values -> the contract."
        ),
    ] = None,
    db: DbOption = None,
    date_format: Annotated[
        str | None,
        typer.Option("--date-format", help='How dates are written when not ISO, e.g. "%d-%m-%Y".'),
    ] = None,
    decimal: Annotated[
        str | None,
        typer.Option("--decimal", help='Decimal separator of numbers in text files: "." or ",".'),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help='Print {table: {"read", "stored", "quarantined"}} as JSON.'),
    ] = False,
) -> None:
    """Import exports into the store; bad rows go to quarantine with their reasons.

    Every row read is either stored or quarantined (file, line, column, reason), and the
    counts are shown per table. Each source is imported in one transaction; importing
    the same file again changes nothing, and newer versions of rows (same key) update them.

    A database URL (postgresql://user@host/db, sqlite:///erp.db) imports every table named
    after a contract table, or the queries named in the mapping.

    Examples:

      riskseg import docs/examples/exports/

      riskseg import --mapping docs/examples/erp/mapping.yaml

      riskseg import docs/examples/exports/ --json > counts.json
    """
    from riskseg.ingest.importer import import_path

    if decimal not in (None, ".", ","):
        raise InputError(f'--decimal must be "." or ",", not {decimal!r}')
    store = _open(db)
    try:
        with _progress(enabled=not as_json) as hook:
            report = import_path(
                store,
                *(paths or []),
                mapping=mapping,
                date_format=date_format,
                decimal=decimal,
                progress=hook,
            )
    finally:
        store.close()
    for path, why in report.ignored:
        err.print(f"[yellow]skipped[/] {path}: {why}", highlight=False)
    for s in report.failed:
        err.print(f"[red]not imported[/] {s.error}", highlight=False)
    if as_json:
        print(json.dumps(report.by_table(), indent=2, sort_keys=True))
    else:
        _print_import(report)
    raise typer.Exit(report.exit_code)


def _print_import(report: Any) -> None:
    t = RichTable(title="Import", title_justify="left")
    for col in ("source", "table", "read", "stored", "new", "updated", "unchanged", "quarantined"):
        t.add_column(col, justify="left" if col in ("source", "table") else "right")
    for s in report.sources:
        if s.error:
            continue
        q = f"[yellow]{s.quarantined:,}[/]" if s.quarantined else "0"
        t.add_row(
            s.source,
            s.table,
            f"{s.read:,}",
            f"{s.stored:,}",
            f"{s.inserted:,}",
            f"{s.updated:,}",
            f"{s.unchanged:,}",
            q,
        )
    if t.row_count:
        out.print(t)
    for s in report.sources:
        for note in s.notes:
            out.print(f"  {s.source}: {note}", highlight=False)
    if any(s.quarantined for s in report.sources):
        out.print("See the quarantined rows and their reasons with: riskseg quarantine")


class _progress:
    """Rich progress while sources are imported (only drawn on a terminal)."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled and err.is_terminal
        self.bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[stage]}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> Any:
        if self.enabled:
            self.bar.start()
        return self.hook if self.enabled else None

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.bar.stop()

    def hook(self, source: str, stage: str) -> None:
        steps = {"reading": 0, "checking": 1, "storing": 2, "done": 3}
        if source not in self.tasks:
            self.tasks[source] = self.bar.add_task(
                Path(source).name or source, total=3, stage=stage
            )
        self.bar.update(self.tasks[source], completed=steps.get(stage, 0), stage=stage)


@app.command()
def status(
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
) -> None:
    """Show what the store holds: tables, rows, periods and which signal families are covered.

    Example:

      riskseg status --db demo.duckdb
    """
    from riskseg.store.store import FAMILIES

    with _open(db) as store:
        st = store.status()
    if as_json:
        print(json.dumps(st.as_dict(), indent=2))
        return
    t = RichTable(title=f"Store {st.path} (schema v{st.schema_version})", title_justify="left")
    for col in ("table", "rows", "from", "to", "quarantined", "imports"):
        t.add_column(col, justify="right" if col in ("rows", "quarantined", "imports") else "left")
    for ts in st.tables:
        t.add_row(
            ts.table,
            f"{ts.rows:,}",
            str(ts.first or ""),
            str(ts.last or ""),
            f"{ts.quarantined:,}",
            str(ts.imports),
        )
    out.print(t)
    f = RichTable(title="Signal families", title_justify="left")
    f.add_column("family")
    f.add_column("covered")
    f.add_column("needs")
    for fam, ok in st.families.items():
        f.add_row(
            fam,
            "[green]yes[/]" if ok else "[yellow]not covered[/]",
            " or ".join(f"{n}.csv" for n in FAMILIES[fam]),
        )
    out.print(f)


@app.command()
def quarantine(
    table: Annotated[str | None, typer.Option("--table", "-t", help="Only this table.")] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many rows (0 = all).")] = 50,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON lines.")] = False,
) -> None:
    """List quarantined rows: file, line, column, value and the reason they were not stored.

    Examples:

      riskseg quarantine --table invoices

      riskseg quarantine --json --limit 0 > quarantine.jsonl
    """
    with _open(db) as store:
        rows = store.quarantine(table, limit=limit or None)
        total = store.quarantine_count(table)
    if as_json:
        for r in rows:
            print(json.dumps(r, default=str))
        return
    if not rows:
        out.print("No quarantined rows.")
        return
    t = RichTable(title=f"Quarantine ({total:,} rows)", title_justify="left", show_lines=False)
    for col in ("table", "file", "line", "column", "value", "reason"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(
            r["table_name"],
            Path(r["source"]).name,
            str(r["line"] or ""),
            r["column"] or "",
            _short(r["value"]),
            r["reason"],
        )
    out.print(t)
    if total > len(rows):
        out.print(f"... {total - len(rows):,} more; use --limit 0 or --json to see all")


def _short(v: Any) -> str:
    text = "" if v is None else str(v)
    return text if len(text) <= 40 else text[:37] + "..."


@app.command()
def demo(
    customers: Annotated[
        int, typer.Option(help="Number of customers (prospects included).")
    ] = 2000,
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives the same company.")
    ] = 0,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the exported tables.")] = Path(
        "demo-data"
    ),
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    db: DbOption = None,
    no_import: Annotated[bool, typer.Option("--no-import", help="Only write the files.")] = False,
) -> None:
    """Create the demo company (a European B2B supplier, three years) and import it.

    Example:

      riskseg demo --customers 300 --seed 0 --out demo-data --db demo.duckdb
    """
    from riskseg.demo import generate
    from riskseg.ingest.importer import import_path

    if fmt not in ("parquet", "csv"):
        raise InputError(f"--format must be parquet or csv, not {fmt!r}")
    with err.status(f"Generating {customers:,} customers (seed {seed})..."):
        company = generate(customers=customers, seed=seed)
        company.write(out_dir, format="csv" if fmt == "csv" else "parquet")
    out.print(f"Demo company written to {out_dir}/ ({', '.join(company.tables)})")
    if no_import:
        return
    store = _open(db)
    try:
        with _progress(enabled=True) as hook:
            report = import_path(store, out_dir, progress=hook)
    finally:
        store.close()
    _print_import(report)
    out.print(f"Store: {db or default_db_path()}")
    raise typer.Exit(report.exit_code)


@app.command()
def signals(
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Compute as of this day (YYYY-MM-DD); default today.",
            show_default=False,
        ),
    ] = None,
    customer: Annotated[
        str | None, typer.Option("--customer", "-c", help="Only this customer, shown in full.")
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write all rows to FILE.csv or FILE.parquet."),
    ] = None,
    family: Annotated[
        list[str] | None,
        typer.Option("--family", "-f", help="Only this family (repeatable)."),
    ] = None,
    list_: Annotated[
        bool, typer.Option("--list", help="List every signal: family, unit, direction, meaning.")
    ] = False,
    explain: Annotated[
        str | None,
        typer.Option(
            "--explain", help="Explain one signal: meaning, formula, inputs.", show_default=False
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="Compute where the data lives: a postgresql:// URL with contract-named tables "
            "(default: the store).",
            show_default=False,
        ),
    ] = None,
    schema: Annotated[
        str | None, typer.Option("--schema", help="Schema of the tables in --source.")
    ] = None,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Per-customer risk and value signals as of a date, nothing after it counted.

    One row per customer (prospects included) with every signal of the families payment,
    value, cost to serve, sales, engagement, external credit, flags, loyalty and peer group,
    plus which families had data. Empty means "no data", never zero.

    Examples:

      riskseg signals --list

      riskseg signals --explain days_late_mean_12m

      riskseg signals --db demo.duckdb --as-of 2025-06-30 --out signals.csv

      riskseg signals --db demo.duckdb --as-of 2025-06-30 --customer C000042
    """
    from riskseg.signals import REGISTRY, get_signal

    if list_:
        _print_signal_list(family, as_json)
        return
    if explain:
        sig = get_signal(explain)
        if as_json:
            print(json.dumps(_signal_dict(sig), indent=2))
        else:
            print(sig.describe())
        if not customer:
            return
    day = _parse_day(as_of)
    table = _compute(source, schema, db, day, customer, family)
    if customer is not None and table.num_rows == 0:
        raise InputError(
            f"no customer {customer!r} as of {day} (unknown, or customer_since is after that day)"
        )
    if out_file is not None:
        from riskseg.exports import write_table

        write_table(table, out_file)
        err.print(f"{table.num_rows:,} customers x {table.num_columns - 2} signals -> {out_file}")
        return
    if explain:
        value = table.column(explain)[0].as_py()
        print(f"  value for {customer} as of {day}: {_fmt(value)}")
        return
    if as_json:
        for row in table.to_pylist():
            print(json.dumps(row, default=str))
        return
    if customer is not None:
        _print_customer(table.to_pylist()[0], REGISTRY)
    else:
        _print_signal_summary(table, day)


def _parse_day(text: str | None) -> Any:
    from datetime import date

    if text is None:
        return date.today()  # the CLI is the one place that may pick "today"
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--as-of must be a date like 2025-06-30, not {text!r}") from None


def _compute(
    source: str | None,
    schema: str | None,
    db: str | None,
    day: Any,
    customer: str | None,
    family: list[str] | None,
) -> Any:
    from riskseg.signals import compute_signals

    with err.status("Computing signals...") as status:

        def hook(name: str) -> None:
            status.update(f"Computing signals: {name.replace('_', ' ')}...")

        if source is None:
            with _open(db) as store:
                return compute_signals(
                    store, as_of=day, customer=customer, families=family, progress=hook
                )
        return _compute_remote(source, schema, day, customer, family, hook)


def _compute_remote(
    url: str, schema: str | None, day: Any, customer: str | None, family: Any, hook: Any
) -> Any:
    import ibis

    from riskseg.ingest.sources import redact_url
    from riskseg.signals import compute_signals

    if not url.startswith(("postgresql://", "postgres://")):
        raise InputError(f"--source must be a postgresql:// URL, not {redact_url(url)!r}")
    try:
        backend = ibis.connect(url)
    except Exception as exc:
        raise InputError(f"cannot connect to {redact_url(url)}: {exc}") from None
    try:
        return compute_signals(
            backend, as_of=day, customer=customer, families=family, database=schema, progress=hook
        )
    finally:
        backend.disconnect()


def _signal_dict(sig: Any) -> dict[str, Any]:
    return {
        "name": sig.name,
        "family": sig.family,
        "unit": sig.unit,
        "direction": sig.direction,
        "type": sig.dtype,
        "meaning": sig.meaning,
        "formula": sig.formula,
        "inputs": list(sig.inputs),
        "empty_when": sig.null_when,
    }


def _print_signal_list(family: list[str] | None, as_json: bool) -> None:
    from riskseg.signals import FAMILY_ORDER, family_signals

    unknown = sorted(set(family or ()) - set(FAMILY_ORDER))
    if unknown:
        raise InputError(f"unknown family {', '.join(unknown)}; known: {', '.join(FAMILY_ORDER)}")
    chosen = [f for f in FAMILY_ORDER if not family or f in family]
    sigs = [s for f in chosen for s in family_signals(f)]
    if as_json:
        print(json.dumps([_signal_dict(s) for s in sigs], indent=2))
        return
    t = RichTable(title=f"{len(sigs)} signals", title_justify="left")
    for col in ("signal", "family", "unit", "direction", "meaning"):
        t.add_column(col, overflow="fold")
    for s in sigs:
        t.add_row(s.name, s.family, s.unit, s.direction, s.meaning)
    out.print(t)
    out.print("Details of one signal: riskseg signals --explain NAME")


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _print_customer(row: dict[str, Any], registry: Any) -> None:
    t = RichTable(title=f"Customer {row['customer_id']} as of {row['as_of']}", title_justify="left")
    t.add_column("signal", no_wrap=True)
    t.add_column("value", justify="right", no_wrap=True)
    t.add_column("unit")
    t.add_column("meaning", overflow="fold", ratio=1)
    family = None
    for name, value in row.items():
        if name in ("customer_id", "as_of"):
            continue
        sig = registry[name]
        if sig.family != family:
            if family is not None:
                t.add_section()
            family = sig.family
            t.add_row(f"[bold]{family.replace('_', ' ')}[/]", "", "", "")
        t.add_row(name, _fmt(value), sig.unit, sig.meaning)
    out.print(t)
    out.print("Empty (-) means no data for that signal, not zero.")


def _print_signal_summary(table: Any, day: Any) -> None:
    from riskseg.signals.coverage import COVERED_BY

    n = table.num_rows
    out.print(f"{n:,} customers x {table.num_columns - 2} signals as of {day}")
    t = RichTable(title="Families with data", title_justify="left")
    t.add_column("family")
    t.add_column("customers", justify="right")
    t.add_column("share", justify="right")
    for fam in COVERED_BY:
        col = f"coverage_{fam}"
        if col in table.column_names:
            covered = sum(1 for v in table.column(col).to_pylist() if v)
            t.add_row(fam, f"{covered:,}", f"{covered / n:.0%}" if n else "-")
    out.print(t)
    out.print("Write every row with --out signals.csv, or show one customer with --customer ID.")


@mapping_app.command("suggest")
def mapping_suggest(
    files: Annotated[list[Path], typer.Argument(help="Export files (CSV, Excel, Parquet).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of printing.")
    ] = None,
) -> None:
    """Write a starter mapping by matching your headers to the contract columns.

    Knows common English, Dutch, German, French and Spanish ERP headers. Check the result:
    unmatched headers and missing required columns are listed as comments.

    Example:

      riskseg mapping suggest docs/examples/erp/Klanten.csv docs/examples/erp/Facturen.csv -o mapping.yaml
    """
    from riskseg.ingest.peek import read_headers
    from riskseg.ingest.suggest import render_mapping_yaml, suggest_mapping

    found: dict[str, list[str]] = {}
    for f in files:
        found.update(read_headers(f))
    text = render_mapping_yaml(suggest_mapping(found))
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"Mapping written to {output}")
    else:
        print(text, end="")


# the scoring and playbook commands live in their own modules; importing them registers them
# (run first: the --help examples run in this order and the playbook's read the run's actions)
from riskseg import cli_run  # noqa: E402, F401, I001
from riskseg import cli_actions  # noqa: E402, F401
from riskseg import cli_report  # noqa: E402, F401
from riskseg import cli_api  # noqa: E402, F401
from riskseg import cli_webhooks  # noqa: E402, F401


def main() -> None:
    """Entry point: user mistakes become one clear line and exit 2, never a traceback."""
    try:
        # without standalone mode, click returns the code of typer.Exit instead of raising
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else EXIT_OK)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except InputError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        sys.exit(EXIT_INPUT)
    except RisksegError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        sys.exit(EXIT_INTERNAL)
    except (typer.Abort, KeyboardInterrupt):
        err.print("aborted")
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"error: {exc.format_message()}", highlight=False)
        sys.exit(EXIT_INPUT)
    except Exception as exc:  # anything unexpected: one line, no traceback
        err.print(
            f"[red]internal error:[/] {type(exc).__name__}: {exc}\n"
            "Please report this with the command you ran.",
            highlight=False,
        )
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()

"""``riskseg run`` and ``riskseg backtest``: thin commands over :mod:`riskseg.pipeline`.

Registered on :data:`riskseg.cli.app` when ``riskseg.cli`` is imported.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table as RichTable

from riskseg.cli import DbOption, _open, _parse_day, _print_import, _progress, app, err, out


@app.command()
def scorecard(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the shipped scorecard here to edit it."),
    ] = None,
    check: Annotated[
        Path | None,
        typer.Option("--check", help="Validate a scorecard file and list its weights."),
    ] = None,
) -> None:
    """The scorecard behind the risk and value scores: weights, bins and reason wording.

    Without options it prints the shipped scorecard. Write it to a file, change weights and
    bins, check it, and pass it to `riskseg run --scorecard`. Errors name the key and line.

    Examples:

      riskseg scorecard -o my-scorecard.yaml

      riskseg scorecard --check my-scorecard.yaml
    """
    from riskseg.models.scorecard import default_scorecard_path, load_scorecard_settings

    shipped = default_scorecard_path().read_text(encoding="utf-8")
    if check is not None:
        settings = load_scorecard_settings(check)
        table = RichTable(title=f"{check}: valid", title_justify="left")
        for col in ("family", "weight", "signals"):
            table.add_column(col, justify="right" if col == "weight" else "left")
        for name, fam in settings.risk.families.items():
            names = [r.signal for r in settings.risk.signals if r.family == name]
            table.add_row(fam.label, f"{fam.weight:g}", ", ".join(names))
        out.print(table)
        out.print(f"value score: {', '.join(r.signal for r in settings.value.signals)}")
        return
    if output is not None:
        output.write_text(shipped, encoding="utf-8")
        err.print(f"Scorecard written to {output}; check it with riskseg scorecard --check")
        return
    print(shipped, end="")


@app.command()
def run(
    data_dir: Annotated[
        Path | None,
        typer.Argument(
            help="Import this folder of exports first (as `riskseg import`).", show_default=False
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Score as of this day (YYYY-MM-DD); default today.", show_default=False
        ),
    ] = None,
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for customers_scored.csv and models/.")
    ] = Path("riskseg-out"),
    scorecard: Annotated[
        Path | None,
        typer.Option(
            "--scorecard",
            help="Your scorecard YAML (default: the shipped one).",
            show_default=False,
        ),
    ] = None,
    no_models: Annotated[
        bool, typer.Option("--no-models", help="Scorecard only: no churn, payment or CLV models.")
    ] = False,
    no_backtest: Annotated[
        bool,
        typer.Option("--no-backtest", help="Skip the backtest (its metrics go into the models)."),
    ] = False,
    playbook: Annotated[
        Path | None,
        typer.Option(
            "--playbook", help="Your playbook YAML (default: the shipped one).", show_default=False
        ),
    ] = None,
    webhooks: Annotated[
        Path | None,
        typer.Option(
            "--webhooks",
            help="POST the run's new high-priority actions to the URLs of this file "
            "(docs/webhooks.md).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """The main job: score, segment and propose actions for every customer, as of a date.

    Computes the signals, scores every customer on the scorecard, learns the churn and
    late-payment models from your own history when there is enough of it (else the scorecard
    stands in and the output says so), fits CLV, backtests the models, segments every customer
    and applies the playbook. The run is stored (as of, configuration, data fingerprint) with its
    actions, and customers_scored.csv, actions.csv, report.html and the models go into --out.

    Examples:

      riskseg run --db demo.duckdb --as-of 2025-12-31 --out run-2025-12

      riskseg run docs/examples/exports --db small.duckdb --as-of 2025-06-30 --out run-small

      riskseg run --db demo.duckdb --as-of 2025-12-31 --no-models --scorecard my-scorecard.yaml
    """
    from riskseg.pipeline import run as run_pipeline

    day = _parse_day(as_of)
    hooks = None
    if webhooks is not None:
        from riskseg.webhooks import endpoint_secrets, load_webhooks

        # before the run: a bad file or an unset secret fails in a second, not after an hour
        hooks = load_webhooks(webhooks)
        endpoint_secrets(hooks)
    with _open(db) as store:
        if data_dir is not None:
            from riskseg.ingest.importer import import_path

            with _progress(enabled=not as_json) as hook:
                report = import_path(store, data_dir, progress=hook)
            if not as_json:
                _print_import(report)
            if report.exit_code:
                raise typer.Exit(report.exit_code)
        with err.status("Scoring...") as status:

            def hook(step: str) -> None:
                status.update(f"Scoring: {step}...")

            result = run_pipeline(
                store,
                as_of=day,
                out_dir=out_dir,
                scorecard=str(scorecard) if scorecard else None,
                models=not no_models,
                backtest=not (no_models or no_backtest),
                playbook=str(playbook) if playbook else None,
                progress=hook,
            )
        if hooks is not None and result.run_id is not None:
            from riskseg.webhooks import deliver_new_actions

            with err.status("Sending webhooks..."):
                sent = deliver_new_actions(store, result.run_id, hooks, now=datetime.now(UTC))
            for d in sent:
                err.print(
                    f"webhook {d.url}: {'delivered' if d.delivered else 'FAILED'} "
                    f"({len(d.actions)} actions, {d.attempts} attempt(s))"
                    + ("" if d.delivered else f": {d.error}"),
                    highlight=False,
                )
    summary = result.summary()
    if as_json:
        print(json.dumps(summary, indent=2, default=str))
        return
    _print_run(summary)


def _print_run(summary: dict[str, Any]) -> None:
    out.print(
        f"Scored {summary['customers']:,} customers and {summary['prospects']:,} prospects "
        f"as of {summary['as_of']}"
    )
    out.print(f"data fingerprint: {summary['fingerprint']}")
    table = RichTable(title="Risk score bands (customers)", title_justify="left")
    for col in ("band", "customers", "revenue 12m", "mean churn", "mean payment risk"):
        table.add_column(col, justify="left" if col == "band" else "right")
    for band in summary["bands"]:
        table.add_row(
            band["band"],
            f"{band['customers']:,}",
            f"{band['revenue_12m']:,.0f}",
            _pct(band["churn_probability"]),
            _pct(band["payment_risk"]),
        )
    out.print(table)
    if summary["segments"]:
        grid = RichTable(title="Value x risk (customers)", title_justify="left")
        for col in ("", "low risk", "medium risk", "high risk"):
            grid.add_column(col, justify="left" if not col else "right")
        for value in ("high", "mid", "low"):
            grid.add_row(
                f"{value} value",
                *(
                    f"{summary['segments'].get(f'{value}_value_{risk}_risk', 0):,}"
                    for risk in ("low", "medium", "high")
                ),
            )
        out.print(grid)
    if summary["queues"]:
        queues = RichTable(title="Department queues (open actions)", title_justify="left")
        for col in ("department", "actions", "at stake"):
            queues.add_column(col, justify="left" if col == "department" else "right")
        for owner, q in sorted(summary["queues"].items()):
            queues.add_row(owner, f"{int(q['actions']):,}", f"{q['at_stake']:,.0f}")
        out.print(queues)
    for name, basis in summary["basis"].items():
        out.print(f"{name}: {basis}")
    for name, metrics in summary["backtest"].items():
        out.print(f"backtest {name}: {metrics}")
    for note in summary["notes"]:
        out.print(f"[yellow]note:[/] {note}", highlight=False)
    for name, path in summary["files"].items():
        if not name.startswith("model:"):
            out.print(f"{name}: {path}")
    models = [p for n, p in summary["files"].items() if n.startswith("model:")]
    if models:
        out.print(f"models: {Path(models[0]).parent}/ ({len(models)} files)")
    if "report" in summary["files"]:
        out.print(f"[bold]Open the report: {summary['files']['report']}[/]")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


@app.command()
def backtest(
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Last day whose data counts (YYYY-MM-DD); default today. The test cut-off "
            "is the latest one whose outcome is known by then.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """How right the churn and late-payment models would have been, beside simple baselines.

    Trains each model on the cut-offs before the latest fully observed one, scores that
    cut-off, and compares with what happened: AUC, PR-AUC, top-decile lift, Brier score and a
    calibration table, beside recency-only and logistic-regression-on-RFM baselines for churn
    and past lateness for late payment.

    Examples:

      riskseg backtest --db demo.duckdb --as-of 2025-12-31

      riskseg backtest --db demo.duckdb --as-of 2025-12-31 --json
    """
    from riskseg.models.backtest import backtest as run_backtest

    day = _parse_day(as_of)
    with _open(db) as store, err.status("Backtesting...") as status:

        def hook(target: str) -> None:
            status.update(f"Backtesting: {target.replace('_', ' ')}...")

        report = run_backtest(store, as_of=day, progress=hook)
    if as_json:
        print(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        print(report.format_text())

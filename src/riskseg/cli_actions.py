"""``riskseg actions``, ``riskseg action``, ``riskseg playbook`` and ``riskseg impact``.

Thin commands over :mod:`riskseg.playbook`; registered on :data:`riskseg.cli.app` when
``riskseg.cli`` is imported.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from riskseg.cli import DbOption, _open, _parse_day, app, err, out


@app.command()
def playbook(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the shipped playbook here to edit it."),
    ] = None,
    check: Annotated[
        Path | None,
        typer.Option("--check", help="Validate a playbook file against the store's columns."),
    ] = None,
) -> None:
    """The playbook: which customers get which action, owned by which department.

    Without options it prints the shipped playbook. Write it to a file, change rules, check it
    and pass it to `riskseg run --playbook`. Errors name the file, the line and the rule.

    Examples:

      riskseg playbook -o my-playbook.yaml

      riskseg playbook --check my-playbook.yaml
    """
    from riskseg.playbook.rules import check_rule_columns, default_playbook_path, load_playbook

    shipped = default_playbook_path().read_text(encoding="utf-8")
    if check is not None:
        settings = load_playbook(check)
        check_rule_columns(settings, fact_column_names(), str(check))
        table = RichTable(title=f"{check}: valid", title_justify="left")
        for col in ("rule", "action", "owner", "priority"):
            table.add_column(col)
        for rule in settings.rules:
            actions = " -> ".join(rule.actions)
            owners = ", ".join(sorted({rule.owner_of(a) for a in rule.actions}))
            table.add_row(rule.name, actions, owners, str(rule.priority))
        out.print(table)
        return
    if output is not None:
        output.write_text(shipped, encoding="utf-8")
        err.print(f"Playbook written to {output}; check it with riskseg playbook --check")
        return
    print(shipped, end="")


def fact_column_names() -> set[str]:
    """Every column a rule may name: signals, scores, segments, customer attributes."""
    from riskseg.models.scores import CONTRACT_COLUMNS
    from riskseg.playbook.facts import CUSTOMER_ATTRIBUTES
    from riskseg.segments import CUSTOMER_SCHEMA
    from riskseg.signals import REGISTRY

    scored = {
        *CONTRACT_COLUMNS,
        "status",
        "prospect_decision",
        "churn_basis",
        "payment_risk_basis",
        "p_alive",
        "expected_orders_12m",
        "expected_margin_12m",
        "net_clv_12m",
        "value_reasons",
        *(f"risk_{f}" for f in ("payment", "commercial", "cost_to_serve", "external")),
        *(f"risk_{f}" for f in ("conduct", "loyalty")),
    }
    return set(REGISTRY) | scored | set(CUSTOMER_SCHEMA.names) | set(CUSTOMER_ATTRIBUTES)


@app.command("actions")
def actions_cmd(
    owner: Annotated[
        str | None,
        typer.Option(
            "--owner", help="Only this department: finance, sales, service, management, hr."
        ),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="Only this status: proposed, accepted, done, dismissed."),
    ] = None,
    customer: Annotated[str | None, typer.Option("--customer", "-c", help="One customer.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Show at most this many.")] = 30,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """A department's work queue: the actions with the most money at stake first.

    Examples:

      riskseg actions --db demo.duckdb --owner finance --status proposed

      riskseg actions --db demo.duckdb --customer C000007
    """
    from riskseg.playbook.actions import list_actions

    with _open(db) as store:
        table = list_actions(store, owner=owner, status=status, customer=customer, limit=limit)
    if as_json:
        for row in table.to_pylist():
            print(json.dumps(row, default=str))
        return
    if table.num_rows == 0:
        out.print("no actions match (riskseg run proposes them)")
        return
    out.print(f"{table.num_rows} action(s), most money at stake first:")
    for r in table.to_pylist():
        out.print(
            f"[bold]{r['action_id']:>6}[/]  {r['customer_id']}  {r['action']}  ({r['owner']}, "
            f"priority {r['priority']})  {r['expected_impact'] or 0:,.0f} at stake  "
            f"due {r['due_date']}  {r['status']}",
            highlight=False,
        )
        out.print(f"        {r['reason']}", highlight=False, soft_wrap=False)


def _short(text: str | None, width: int) -> str:
    t = text or ""
    return t if len(t) <= width else t[: width - 3] + "..."


@app.command("action")
def action_cmd(
    action_id: Annotated[int, typer.Argument(help="The action's id (riskseg actions shows it).")],
    verb: Annotated[str, typer.Argument(help="accept, done or dismiss.")],
    note: Annotated[
        str | None, typer.Option("--note", help="Why (required to dismiss).", show_default=False)
    ] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Who acts (default: your login name).", show_default=False),
    ] = None,
    db: DbOption = None,
) -> None:
    """Accept an action, mark it done, or dismiss it with a reason; kept in the audit trail.

    A dismissed action is not proposed again for the playbook's quiet time unless its reason
    changes.

    Examples:

      riskseg action 12 accept --db demo.duckdb --note "calling them Monday"

      riskseg action 12 done --db demo.duckdb --note "agreed a payment plan"
    """
    from riskseg.playbook.actions import events, set_status

    who = by or _login()
    with _open(db) as store:
        change = set_status(store, action_id, verb, by=who, note=note)
        trail = events(store, action_id)
    out.print(
        f"action {change.action_id} ({change.action} for {change.customer_id}, {change.owner}): "
        f"{change.status_from} -> {change.status_to} by {who}"
    )
    for e in trail:
        out.print(
            f"  {e['at']:%Y-%m-%d %H:%M}  {e['from'] or '-':>9} -> {e['to']:<9} {e['by']}  {e['note'] or ''}"
        )


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@app.command()
def impact(
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Outcomes known up to this day (YYYY-MM-DD); default today.",
            show_default=False,
        ),
    ] = None,
    after: Annotated[int, typer.Option("--after", help="Days after the action to measure.")] = 90,
    action: Annotated[
        str | None, typer.Option("--action", help="Only this action code.", show_default=False)
    ] = None,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Did the actions work? Treated customers against their control group, with confidence
    intervals: days late, overdue balance, churn and margin in the days after the action.

    Examples:

      riskseg impact --db demo.duckdb --as-of 2025-12-31 --after 90
    """
    from riskseg.playbook.impact import measure_impact

    day = _parse_day(as_of)
    with _open(db) as store:
        report = measure_impact(store, as_of=day, after_days=after, action=action)
    if as_json:
        print(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        print(report.format_text())

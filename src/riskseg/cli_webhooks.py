"""``riskseg webhooks test`` and ``riskseg webhooks log``: thin commands over
:mod:`riskseg.webhooks`; registered on :data:`riskseg.cli.app` when ``riskseg.cli`` is imported.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from riskseg.cli import EXIT_INTERNAL, DbOption, _open, app, out

if TYPE_CHECKING:  # the commands import riskseg.webhooks when they run: the CLI starts fast
    from riskseg.webhooks import Delivery

webhooks_app = typer.Typer(
    help="Webhooks: new high-priority actions POSTed to your URLs, signed (docs/webhooks.md).",
    no_args_is_help=True,
)
app.add_typer(webhooks_app, name="webhooks")


def _line(d: Delivery) -> str:
    http = f"HTTP {d.http_status}" if d.http_status is not None else "no answer"
    tries = f"{d.attempts} attempt{'s' if d.attempts != 1 else ''}"
    why = f"  {d.error}" if d.error and d.error != http else ""
    return f"{d.status:<9}  {http:<9}  {tries:<10}  {d.url}{why}"


@webhooks_app.command("test")
def webhooks_test(
    file: Annotated[Path, typer.Argument(help="The webhooks file (YAML).")],
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """Send a signed ping to every endpoint of a webhooks file and show what each answered.

    The secrets are read from the environment variables the file names (secret_env); an unset
    one stops the test before anything is sent. Retries as a real delivery would. The pings are
    logged (riskseg webhooks log). Exits 1 when an endpoint did not answer with a 2xx.

    Example, with a receiver listening at the file's URLs:

      RISKSEG_WEBHOOK_SECRET=... riskseg webhooks test webhooks.yaml --db demo.duckdb
    """
    from riskseg.webhooks import load_webhooks, send_ping

    settings = load_webhooks(file)
    with _open(db) as store:
        deliveries = send_ping(store, settings, now=datetime.now(UTC))
    for d in deliveries:
        if as_json:
            print(json.dumps(dataclasses.asdict(d), default=str))
        else:
            out.print(_line(d), highlight=False)
    if not all(d.delivered for d in deliveries):
        raise typer.Exit(EXIT_INTERNAL)


@webhooks_app.command("log")
def webhooks_log(
    db: DbOption = None,
    run_id: Annotated[
        int | None, typer.Option("--run", help="Only this run's deliveries.", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Show at most this many.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """The latest webhook deliveries: when, to which URL, which actions, and the answer.

    Examples:

      riskseg webhooks log --db demo.duckdb

      riskseg webhooks log --db demo.duckdb --run 1 --json
    """
    from riskseg.webhooks import list_deliveries

    with _open(db) as store:
        deliveries = list_deliveries(store, limit=limit, run_id=run_id)
    if as_json:
        for d in deliveries:
            print(json.dumps(dataclasses.asdict(d), default=str))
        return
    if not deliveries:
        out.print("no webhook deliveries yet (riskseg webhooks test sends a ping)")
        return
    for d in deliveries:
        run = f"run {d.run_id}" if d.run_id is not None else "-"
        what = f"{d.event} ({len(d.actions)} actions)" if d.event != "ping" else d.event
        out.print(f"{d.last_attempt_at:%Y-%m-%d %H:%M:%S}  {run:<7}  {what}", highlight=False)
        out.print(f"  {_line(d)}", highlight=False)

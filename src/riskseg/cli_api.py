"""``riskseg user ...`` (the API's users and tokens) and ``riskseg serve`` (the REST API).

Thin commands over :mod:`riskseg.api.auth` and :func:`riskseg.api.create_app`; registered on
:data:`riskseg.cli.app` when ``riskseg.cli`` is imported.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from riskseg.cli import DbOption, _open, app, err, out
from riskseg.errors import InputError

user_app = typer.Typer(
    help="The REST API's users: add, remove, list them, and issue tokens.", no_args_is_help=True
)
app.add_typer(user_app, name="user")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="The username.")],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="admin, finance, sales, service, management or viewer.",
            show_default=False,
        ),
    ],
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            help="The password (at least 8 characters); asked twice when not given.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Add a user of the REST API with a role.

    A department role (finance, sales, service) sees and changes its own department's
    actions; admin and management all of them; a viewer reads everything and changes nothing.
    Contacts' names and e-mails are shown to admin, sales and management only.

    Examples:

      riskseg user add ana --role finance --password "correct horse" --db demo.duckdb

      riskseg user add ben --role viewer --password "battery staple" --db demo.duckdb
    """
    from riskseg.api.auth import ROLES, add_user

    if role not in ROLES:  # before asking for a password that would be thrown away
        raise InputError(f"--role must be one of {', '.join(ROLES)}, not {role!r}")
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _open(db) as store:
        add_user(store, name, password=password, role=role, now=_now())
    err.print(f"user {name} added ({role}); riskseg user token {name} issues a token")


@user_app.command("token")
def user_token(
    name: Annotated[str, typer.Argument(help="The username.")],
    days: Annotated[int, typer.Option("--days", help="How long the token is valid.", min=1)] = 30,
    db: DbOption = None,
) -> None:
    """Print a new token for a user (for scripts: Authorization: Bearer <token>).

    The token is shown once; the store keeps only its hash.

    Examples:

      riskseg user token ana --days 7 --db demo.duckdb
    """
    from riskseg.api.auth import issue_token

    with _open(db) as store:
        token, expires = issue_token(store, name, now=_now(), days=days)
    print(token)
    err.print(f"valid until {expires:%Y-%m-%d %H:%M} UTC")


@user_app.command("list")
def user_list(
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """List the users, their roles and when they last used a token.

    Examples:

      riskseg user list --db demo.duckdb
    """
    from riskseg.api.auth import list_users

    with _open(db) as store:
        users = list_users(store)
    if as_json:
        for u in users:
            print(json.dumps(u, default=str))
        return
    if not users:
        out.print("no users (riskseg user add adds one)")
    for u in users:
        last = u["last_used_at"] or "never"
        out.print(f"{u['username']:<20} {u['role']:<11} last used {last}", highlight=False)


@user_app.command("remove")
def user_remove(
    name: Annotated[str, typer.Argument(help="The username.")],
    db: DbOption = None,
) -> None:
    """Remove a user; their tokens stop working at once.

    Examples:

      riskseg user remove ben --db demo.duckdb
    """
    from riskseg.api.auth import remove_user

    with _open(db) as store:
        revoked = remove_user(store, name)
    err.print(f"user {name} removed, {revoked} token(s) revoked")


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option("--host", help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="The port to listen on.")] = 8000,
    token_days: Annotated[
        int, typer.Option("--token-days", help="How long a login's token is valid.", min=1)
    ] = 30,
    out_dir: Annotated[
        str, typer.Option("--out", help="Where runs started from the dashboard write files.")
    ] = "riskseg-out",
    secure_cookies: Annotated[
        bool,
        typer.Option("--secure-cookies", help="Session cookie over HTTPS only (TLS proxy)."),
    ] = False,
    webhooks: Annotated[
        str | None,
        typer.Option(
            "--webhooks",
            help="Runs started from the dashboard POST their new high-priority actions to "
            "the URLs of this file (docs/webhooks.md).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the dashboard and the REST API (docs/dashboard.md, docs/api.md) until Ctrl+C.

    For example `riskseg serve --db demo.duckdb` opens the dashboard on http://127.0.0.1:8000/
    (log in as a user made with `riskseg user add`); scripts use POST /api/login and a token.

    The server holds the store file: while it runs, start runs from the dashboard or with
    POST /api/runs (they execute inside the server, which keeps answering meanwhile); stop it
    before `riskseg run`, `riskseg import` or `riskseg user`.

    Listen on another --host than 127.0.0.1 only behind a TLS proxy, with --secure-cookies.
    """
    import uvicorn

    from riskseg.api.app import ApiSettings, create_app
    from riskseg.store.store import default_db_path

    settings = ApiSettings(
        db=db or default_db_path(),
        token_days=token_days,
        out_dir=out_dir,
        secure_cookies=secure_cookies,
        webhooks=webhooks,
    )
    uvicorn.run(create_app(settings), host=host, port=port)

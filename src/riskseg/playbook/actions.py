"""Actions in the store: runs that propose them, people who accept, do or dismiss them.

Every change is an event (``action_events``: who, when, from, to, why), so the store keeps the
audit trail the research found missing: what was decided about a customer, by whom, and
whether it was carried out. A run and all it proposed are written in one transaction, so a run
that dies half-way leaves the previous run as it was.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

from riskseg.errors import InputError
from riskseg.playbook.engine import History, LadderState
from riskseg.playbook.rules import ACTION_CODES, OWNERS, PlaybookSettings
from riskseg.store.store import Store

STATUSES: tuple[str, ...] = ("proposed", "accepted", "done", "dismissed")

#: status -> the statuses a person may move it to
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "proposed": ("accepted", "done", "dismissed"),
    "accepted": ("done", "dismissed"),
    "done": (),
    "dismissed": (),
}

#: the verbs of ``riskseg action ID VERB`` -> the status they set
VERBS: dict[str, str] = {"accept": "accepted", "done": "done", "dismiss": "dismissed"}

#: run_customers columns, in order (migration 2)
RUN_CUSTOMER_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "status",
    "risk_score",
    "value_score",
    "churn_probability",
    "payment_risk",
    "clv_12m",
    "net_clv_12m",
    "grid_segment",
    "payment_segment",
    "cluster",
    "loyalty",
    "abc_class",
    "reasons",
    # migration 6, appended in the table's column order
    "churn_reasons",
    "churn_basis",
    "payment_risk_reasons",
    "payment_risk_basis",
    "value_reasons",
    "prospect_decision",
    "risk_payment",
    "risk_commercial",
    "risk_cost_to_serve",
    "risk_external",
    "risk_conduct",
    "risk_loyalty",
)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def load_history(store: Store, *, as_of: date, ladder: Iterable[str] = ()) -> History:
    """What the engine must know of earlier actions, as of ``as_of`` (later runs are ignored).

    ``ladder``: the action codes of the playbook's ladders (their latest stage per customer is
    kept). A control-group action counts as open like any other: a customer held out of an
    action is not proposed it again, so its control group stays clean.
    """
    history = History()
    rows = store.con.execute(
        "SELECT customer_id, action, status, rule, status_at, parameters FROM actions "
        "WHERE as_of <= ? ORDER BY as_of, action_id",
        [as_of],
    ).fetchall()
    ladders = set(ladder)
    for customer, action, status, rule, status_at, params in rows:
        key = (str(customer), str(action))
        if status in ("proposed", "accepted"):
            history.open.add(key)
        else:
            history.open.discard(key)
        if status == "dismissed":
            history.dismissed[key] = (str(rule), status_at.date())
        if action in ladders:
            value = json.loads(params).get("net_contribution_12m")
            history.ladder[str(customer)] = LadderState(
                str(action), str(status), None if value is None else float(value)
            )
    return history


def config_version(scorecard_text: str, playbook: PlaybookSettings) -> str:
    """A short hash of the scorecard and playbook a run used, with the riskseg version."""
    import hashlib

    from riskseg import __version__

    digest = hashlib.sha256()
    digest.update(scorecard_text.encode())
    digest.update(playbook.model_dump_json().encode())
    digest.update(__version__.encode())
    return f"{__version__}+{digest.hexdigest()[:10]}"


def record_run(
    store: Store,
    *,
    as_of: date,
    started_at: datetime,
    fingerprint: str,
    config: str,
    customers: pa.Table,
    actions: pa.Table,
    details: str | None = None,
) -> int:
    """Write the run, its customers and the actions it proposed, in one transaction.

    ``customers`` has the :data:`RUN_CUSTOMER_COLUMNS` (missing ones are stored empty);
    ``actions`` is what :func:`riskseg.playbook.engine.evaluate` returned; ``details`` is the
    JSON of what the run's models rest on (:func:`riskseg.runs.run_details` reads it).
    Returns the run id.
    """
    from riskseg import __version__

    with store.transaction() as con:
        run_id = int(con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM runs").fetchall()[0][0])
        first = int(
            con.execute("SELECT coalesce(max(action_id), 0) + 1 FROM actions").fetchall()[0][0]
        )
        con.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                as_of,
                started_at,
                _now(),
                config,
                fingerprint,
                customers.num_rows,
                actions.num_rows,
                __version__,
            ],
        )
        present = set(customers.column_names)
        select = ", ".join(
            f'"{c}"' if c in present else f'NULL AS "{c}"' for c in RUN_CUSTOMER_COLUMNS
        )
        con.register("run_customers_in", customers)
        con.execute(f"INSERT INTO run_customers SELECT ?, {select} FROM run_customers_in", [run_id])
        con.unregister("run_customers_in")
        if details is not None:
            con.execute("INSERT INTO run_details VALUES (?, ?)", [run_id, details])
        now = _now()
        con.register("actions_in", actions)
        con.execute(
            """
            INSERT INTO actions
            SELECT ? + row_number() OVER () - 1, ?, customer_id, as_of, action, owner, priority,
                   rule, reason, due_date, parameters, expected_impact, control, status, ?,
                   'riskseg', NULL
            FROM actions_in
            """,
            [first, run_id, now],
        )
        con.unregister("actions_in")
        con.execute(
            "INSERT INTO action_events SELECT action_id, status_at, NULL, status, 'riskseg', "
            "'proposed by run ' || run_id || ', rule ' || rule FROM actions WHERE run_id = ?",
            [run_id],
        )
    return run_id


@dataclass(frozen=True)
class Transition:
    action_id: int
    customer_id: str
    action: str
    owner: str
    status_from: str
    status_to: str


def set_status(
    store: Store,
    action_id: int,
    verb: str,
    *,
    by: str,
    note: str | None = None,
    role: str | None = None,
) -> Transition:
    """Accept, mark done or dismiss one action; the change is kept as an event.

    ``role`` (a department) may act only on its own department's actions; ``None`` or
    ``admin``/``management`` may act on any.
    """
    if verb not in VERBS:
        raise InputError(f"unknown verb {verb!r}: use {', '.join(VERBS)}")
    to = VERBS[verb]
    rows = store.con.execute(
        "SELECT customer_id, action, owner, status, control FROM actions WHERE action_id = ?",
        [action_id],
    ).fetchall()
    if not rows:
        raise InputError(f"no action {action_id} (riskseg actions lists them)")
    customer, action, owner, status, control = rows[0]
    if role is not None and role not in ("admin", "management") and role != owner:
        raise InputError(
            f"action {action_id} ({action}) belongs to {owner}; a {role} user cannot change it"
        )
    if control:
        raise InputError(
            f"action {action_id} is held out as a control group (it measures the action's "
            "impact); it is not carried out"
        )
    if to not in TRANSITIONS[str(status)]:
        allowed = ", ".join(TRANSITIONS[str(status)]) or "nothing (it is closed)"
        raise InputError(f"action {action_id} is {status}; it can become {allowed}, not {to}")
    if to == "dismissed" and not (note and note.strip()):
        raise InputError("say why with --note when dismissing an action")
    now = _now()
    with store.transaction() as con:
        con.execute(
            "UPDATE actions SET status = ?, status_at = ?, status_by = ?, status_note = ? "
            "WHERE action_id = ?",
            [to, now, by, note, action_id],
        )
        con.execute(
            "INSERT INTO action_events VALUES (?, ?, ?, ?, ?, ?)",
            [action_id, now, status, to, by, note],
        )
    return Transition(action_id, str(customer), str(action), str(owner), str(status), to)


def list_actions(
    store: Store,
    *,
    owner: str | None = None,
    status: str | None = None,
    customer: str | None = None,
    run_id: int | None = None,
    include_control: bool = False,
    limit: int | None = None,
) -> pa.Table:
    """Actions as a department's work queue: the most money at stake first.

    ``run_id``: only the actions that run proposed.
    """
    if owner is not None and owner not in OWNERS:
        raise InputError(f"--owner must be one of {', '.join(OWNERS)}, not {owner!r}")
    if status is not None and status not in STATUSES:
        raise InputError(f"--status must be one of {', '.join(STATUSES)}, not {status!r}")
    where = ["TRUE"]
    params: list[Any] = []
    filters = (("owner", owner), ("status", status), ("run_id", run_id))
    for column, value in filters:
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if not include_control:
        where.append("NOT control")
    mine = ""
    if customer is not None:
        # one customer's actions first, a lone equality DuckDB looks up in its index
        # (migration 7); with the other conditions beside it, it would scan every action
        mine = "WITH mine AS MATERIALIZED (SELECT * FROM actions WHERE customer_id = ?) "
        params = [customer, *params]
    sql = (
        mine + f"SELECT {_ACTION_COLUMNS} "
        f"FROM {'mine' if customer is not None else 'actions'} WHERE {' AND '.join(where)} "
        "ORDER BY coalesce(expected_impact, 0) DESC, priority, action_id"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    table: pa.Table = store.con.sql(sql, params=params).to_arrow_table()
    return table


def events(store: Store, action_id: int) -> list[dict[str, Any]]:
    """The audit trail of one action, oldest first."""
    # a lone equality, sorted here: DuckDB looks it up in its index (migration 7); with an
    # ORDER BY in the statement its plan costs several times the lookup at 2M events
    rows = store.con.execute(
        "SELECT event_at, status_from, status_to, by_user, note FROM action_events "
        "WHERE action_id = ?",
        [action_id],
    ).fetchall()
    rows.sort(key=lambda r: r[0])  # event_at is NOT NULL
    keys = ("at", "from", "to", "by", "note")
    return [dict(zip(keys, r, strict=True)) for r in rows]


#: the columns of an action as :func:`list_actions` and :func:`customer_actions` give them
_ACTION_COLUMNS = (
    "action_id, customer_id, action, owner, priority, expected_impact, due_date, status, "
    "reason, as_of, run_id, rule, control, status_by, status_at, status_note"
)


def customer_actions(store: Store, customer_id: str) -> list[dict[str, Any]]:
    """One customer's actions (control groups left out) as :func:`list_actions` orders
    them, the most money at stake first, each with its audit trail (``events``).

    The statement is a bare lookup of the customer and the filter and order are applied
    here: DuckDB answers a lone equality from its index (``make bench-api`` lists the
    profile's statements at 1.7M actions), and a CTE and an ORDER BY around it cost several
    times the lookup when the two were compared.
    """
    found = store.rows(
        f"SELECT {_ACTION_COLUMNS} FROM actions WHERE customer_id = ?", [customer_id]
    )
    found = [a for a in found if a["control"] is False]

    def impact(a: dict[str, Any]) -> float:
        value = a["expected_impact"]
        # coalesce(expected_impact, 0) DESC, where DuckDB puts NaN above every number
        return 0.0 if value is None else math.inf if math.isnan(value) else float(value)

    found.sort(key=lambda a: (-impact(a), a["priority"], a["action_id"]))
    for a in found:
        a["events"] = events(store, int(a["action_id"]))
    return found


def known_action(code: str) -> bool:
    return code in ACTION_CODES

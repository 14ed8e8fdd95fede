"""``GET /api/customers``, ``GET /api/customers/{id}``, ``DELETE /api/contacts/{id}``.

Customers are read from the latest run (the latest ``as_of``, then the latest run of that
day): its scores, reasons and segments, with the name from ``customers``. Contacts' names and
e-mail addresses are personal data: only :data:`~riskseg.api.auth.PERSONAL_DATA_ROLES` see
them; the others get the contact rows with both set to null.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query

from riskseg.api.app import StoreDep, UserDep, require
from riskseg.api.auth import PERSONAL_DATA_ROLES
from riskseg.contract import TABLES
from riskseg.errors import InputError
from riskseg.playbook.actions import events, list_actions
from riskseg.privacy import erase_contact
from riskseg.runs import customer_signals, latest_run
from riskseg.signals.registry import REGISTRY
from riskseg.store.store import Store, quote_ident

router = APIRouter(prefix="/api", tags=["customers"])

#: the sort keys a client may ask for -> the SQL they sort by (never the client's text)
SORTS: dict[str, str] = {
    "risk_score": "rc.risk_score",
    "value_score": "rc.value_score",
    "clv_12m": "rc.clv_12m",
    "customer_id": "rc.customer_id",
}
SortKey = Literal["risk_score", "value_score", "clv_12m", "customer_id"]

_LIST_COLUMNS = (
    "customer_id",
    "name",
    "status",
    "risk_score",
    "value_score",
    "churn_probability",
    "payment_risk",
    "clv_12m",
    "net_clv_12m",
    "grid_segment",
    "payment_segment",
)
_SEGMENTS = ("grid_segment", "payment_segment", "cluster", "loyalty", "abc_class")
#: the scorecard's risk families, each stored as the points it adds (``risk_<family>``)
RISK_FAMILIES = ("payment", "commercial", "cost_to_serve", "external", "conduct", "loyalty")
_SCORES = ("risk_score", "value_score", "churn_probability", "payment_risk", "clv_12m")


def _rows(store: Store, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = store.con.execute(sql, params)
    names = [d[0] for d in cur.description or ()]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


@router.get("/customers")
def customers(
    store: StoreDep,
    user: UserDep,
    segment: Annotated[str | None, Query(max_length=100, description="A grid segment.")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Part of the id or the name.")
    ] = None,
    sort: SortKey = "risk_score",
    order: Literal["asc", "desc"] = "desc",
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """The latest run's customers, one page at a time, with the total that match."""
    run = latest_run(store)
    if run is None:
        return {"run": None, "total": 0, "page": page, "page_size": page_size, "items": []}
    where = ["rc.run_id = ?"]
    params: list[Any] = [run["run_id"]]
    if segment:
        where.append("rc.grid_segment = ?")
        params.append(segment)
    if q:
        # strpos, not LIKE: the client's % and _ are text, not patterns
        where.append("strpos(lower(rc.customer_id || ' ' || coalesce(c.name, '')), lower(?)) > 0")
        params.append(q)
    base = (
        "FROM run_customers rc LEFT JOIN customers c USING (customer_id) "
        f"WHERE {' AND '.join(where)}"
    )
    total = int(store.con.execute(f"SELECT count(*) {base}", params).fetchall()[0][0])
    direction = "ASC" if order == "asc" else "DESC"
    cols = ", ".join("c.name" if c == "name" else f"rc.{c}" for c in _LIST_COLUMNS)
    items = _rows(
        store,
        f"SELECT {cols} {base} ORDER BY {SORTS[sort]} {direction} NULLS LAST, rc.customer_id "
        "LIMIT ? OFFSET ?",
        [*params, page_size, (page - 1) * page_size],
    )
    return {"run": run, "total": total, "page": page, "page_size": page_size, "items": items}


@router.get("/customers/{customer_id}")
def customer(customer_id: str, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """One customer: attributes, the latest run's scores, reasons and segments, the actions
    with their audit trail and the contacts (names and e-mails only for some roles)."""
    cols = ", ".join(quote_ident(c.name) for c in TABLES["customers"].stored_columns)
    attributes = _rows(store, f"SELECT {cols} FROM customers WHERE customer_id = ?", [customer_id])
    run = latest_run(store)
    scored = (
        _rows(
            store,
            "SELECT * EXCLUDE (run_id, customer_id) FROM run_customers "
            "WHERE run_id = ? AND customer_id = ?",
            [run["run_id"], customer_id],
        )
        if run
        else []
    )
    if not attributes and not scored:
        raise HTTPException(404, f"no customer {customer_id!r}")
    row = scored[0] if scored else {}
    actions = list_actions(store, customer=customer_id).to_pylist()
    for a in actions:
        a["events"] = events(store, int(a["action_id"]))
    contacts = _rows(
        store,
        "SELECT contact_id, name, email, role, seniority, is_primary, decision_role "
        "FROM contacts WHERE customer_id = ? ORDER BY contact_id",
        [customer_id],
    )
    if user.role not in PERSONAL_DATA_ROLES:
        for c in contacts:
            c["name"] = c["email"] = None
    return {
        "customer_id": customer_id,
        "attributes": attributes[0] if attributes else None,
        "run": run if scored else None,
        "status": row.get("status"),
        "scores": {k: row.get(k) for k in (*_SCORES, "net_clv_12m")},
        "reasons": row.get("reasons"),
        "explanations": _explanations(row),
        "signals": _signals(store, run["run_id"], customer_id) if run and scored else None,
        "segments": {k: row.get(k) for k in _SEGMENTS},
        "actions": actions,
        "contacts": contacts,
        "personal_data_hidden": user.role not in PERSONAL_DATA_ROLES,
    }


def _explanations(row: dict[str, Any]) -> dict[str, Any]:
    """Each score with the reasons it was given and where it comes from."""
    return {
        "risk_score": {
            "reasons": row.get("reasons"),
            "families": {f: row.get(f"risk_{f}") for f in RISK_FAMILIES},
        },
        "value_score": {"reasons": row.get("value_reasons")},
        "churn_probability": {"basis": row.get("churn_basis"), "reasons": row.get("churn_reasons")},
        "payment_risk": {
            "basis": row.get("payment_risk_basis"),
            "reasons": row.get("payment_risk_reasons"),
        },
        "prospect_decision": row.get("prospect_decision"),
    }


def _signals(store: Store, run_id: int, customer_id: str) -> list[dict[str, Any]] | None:
    """The customer's signals as of the run, each with its family, unit and meaning."""
    values = customer_signals(store, run_id, customer_id)
    if values is None:
        return None
    return [
        {
            "name": name,
            "family": sig.family,
            "value": values[name],
            "unit": sig.unit,
            "meaning": sig.meaning,
            "direction": str(sig.direction),
        }
        for name, sig in REGISTRY.items()
        if name in values
    ]


@router.delete("/contacts/{contact_id}")
def erase_contact_route(contact_id: str, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Erase a contact's personal data on request (GDPR art. 17): name and e-mail become
    null, and quarantined copies of their rows are removed (file, line and reason stay).

    Admin only. The contact row stays (its role and seniority feed the loyalty signals).
    """
    require(user, "admin", doing="erase personal data")
    try:
        done = erase_contact(store, contact_id)
    except InputError as exc:
        raise HTTPException(404, str(exc)) from exc
    return {
        "contact_id": contact_id,
        "customer_id": done.customer_id,
        "erased": ["name", "email"],
        "rows": done.contacts,
        "quarantined_rows": done.quarantined,
        "by": user.username,
    }

"""``GET /api/customers``, ``GET /api/customers/{id}``, ``DELETE /api/contacts/{id}``.

Customers are read from the latest run (the latest ``as_of``, then the latest run of that
day): its scores, reasons and segments, with the name from ``customers``; the queries are
:mod:`riskseg.portfolio`'s, which the dashboard's pages show. Contacts' names and
e-mail addresses are personal data: only :data:`~riskseg.api.auth.PERSONAL_DATA_ROLES` see
them; the others get the contact rows with both set to null.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from riskseg.api.app import PageQuery, StoreDep, UserDep, json_response, require
from riskseg.api.auth import PERSONAL_DATA_ROLES
from riskseg.errors import InputError
from riskseg.portfolio import CustomerIndexes, customer_profile
from riskseg.privacy import erase_contact

router = APIRouter(prefix="/api", tags=["customers"])

SortKey = Literal[
    "risk_score",
    "value_score",
    "clv_12m",
    "payment_risk",
    "churn_probability",
    "customer_id",
    "name",
]


@router.get("/customers", response_model=dict[str, Any])
def customers(
    request: Request,
    store: StoreDep,
    user: UserDep,
    segment: Annotated[str | None, Query(max_length=100, description="A grid segment.")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Part of the id or the name.")
    ] = None,
    sort: SortKey = "risk_score",
    order: Literal["asc", "desc"] = "desc",
    page: PageQuery = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """The latest run's customers, one page at a time, with the total that match."""
    indexes: CustomerIndexes = request.app.state.customer_indexes
    latest = indexes.latest(store)
    if latest is None:
        return json_response(
            {"run": None, "total": 0, "page": page, "page_size": page_size, "items": []}
        )
    state = latest[0]
    found = indexes.page(
        store,
        state.run_id,
        state,
        q=q,
        segment=segment,
        sort=sort,
        descending=order == "desc",
        page=page,
        page_size=page_size,
    )
    return json_response(
        {
            "run": state.run,
            "total": found.total,
            "page": found.page,
            "page_size": found.page_size,
            "items": found.items,
        }
    )


@router.get("/customers/{customer_id}", response_model=dict[str, Any])
def customer(customer_id: str, request: Request, store: StoreDep, user: UserDep) -> Response:
    """One customer: attributes, the latest run's scores with the reasons and basis of each,
    the signals, segments and their history over runs, the actions with their audit trail,
    and the contacts on the Loyalty Matrix (names and e-mails only for some roles)."""
    personal = user.role in PERSONAL_DATA_ROLES
    indexes: CustomerIndexes = request.app.state.customer_indexes
    latest = indexes.latest(store)
    run, dates = (None, None) if latest is None else (latest[1], latest[0].run_dates)
    profile = customer_profile(
        store, customer_id, run=run, with_personal_data=personal, run_dates=dates
    )
    if profile is None:
        raise HTTPException(404, f"no customer {customer_id!r}")
    # one level only: asdict would copy every nested list and dict again (2 ms at 120
    # signals); the run is a dataclass, which the response's serializer writes as an object
    shallow = {f.name: getattr(profile, f.name) for f in fields(profile)}
    return json_response({**shallow, "personal_data_hidden": not personal})


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

"""``GET /api/actions`` and ``POST /api/actions/{id}/{verb}``.

A department role (finance, sales, service) sees and changes its own department's actions;
admin and management see and change all; a viewer sees all and changes none.
:func:`riskseg.playbook.actions.set_status` enforces the department rule again.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from riskseg.api.app import IdPath, PageQuery, StoreDep, UserDep
from riskseg.api.auth import ALL_DEPARTMENTS, User
from riskseg.playbook.actions import events, list_actions, set_status

router = APIRouter(prefix="/api", tags=["actions"])

#: roles that see every department's queue
SEE_ALL: tuple[str, ...] = (*ALL_DEPARTMENTS, "viewer")


class NoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(None, max_length=2000)


def _owner_for(user: User, owner: str | None) -> str | None:
    if user.role in SEE_ALL:
        return owner
    if owner is not None and owner != user.role:
        raise HTTPException(
            403, f"a {user.role} user sees only {user.role}'s actions, not {owner}'s"
        )
    return user.role


@router.get("/actions")
def actions(
    store: StoreDep,
    user: UserDep,
    owner: Annotated[str | None, Query(max_length=50)] = None,
    status: Annotated[str | None, Query(max_length=50)] = None,
    customer: Annotated[str | None, Query(max_length=100)] = None,
    page: PageQuery = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """The work queue: the most money at stake first, one page at a time."""
    table = list_actions(store, owner=_owner_for(user, owner), status=status, customer=customer)
    start = (page - 1) * page_size
    items = table.slice(start, page_size).to_pylist() if start < table.num_rows else []
    return {"total": table.num_rows, "page": page, "page_size": page_size, "items": items}


@router.post("/actions/{action_id}/{verb}")
def change_action(
    action_id: IdPath,
    verb: Literal["accept", "done", "dismiss"],
    store: StoreDep,
    user: UserDep,
    body: NoteBody | None = None,
) -> dict[str, Any]:
    """Accept an action, mark it done or dismiss it (a note is required to dismiss)."""
    if user.role == "viewer":
        raise HTTPException(403, "a viewer user cannot change actions")
    rows = store.con.execute(
        "SELECT owner FROM actions WHERE action_id = ?", [action_id]
    ).fetchall()
    if not rows:
        raise HTTPException(404, f"no action {action_id}")
    owner = str(rows[0][0])
    if user.role not in ALL_DEPARTMENTS and user.role != owner:
        raise HTTPException(
            403, f"action {action_id} belongs to {owner}; a {user.role} user cannot change it"
        )
    change = set_status(
        store,
        action_id,
        verb,
        by=user.username,
        note=body.note if body else None,
        role=user.role,
    )
    return {
        "action_id": change.action_id,
        "customer_id": change.customer_id,
        "action": change.action,
        "owner": change.owner,
        "from": change.status_from,
        "to": change.status_to,
        "by": user.username,
        "events": events(store, action_id),
    }

"""The department queues and the accept / done / dismiss buttons.

A department role (finance, sales, service) works its own queue; admin and management see
and change every department's, with an owner filter; a viewer sees every queue and changes
nothing. The buttons post a form (no JavaScript needed); :func:`riskseg.playbook.actions.
set_status` applies the department rule again and records who did what and why.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from riskseg import portfolio
from riskseg.api.app import StoreDep
from riskseg.errors import InputError
from riskseg.playbook.actions import STATUSES, VERBS, list_actions, set_status
from riskseg.playbook.rules import OWNERS
from riskseg.web.access import (
    SEE_ALL,
    Form,
    PageError,
    PageUser,
    check_origin,
    may_act,
    queue_owner,
    safe_next,
)
from riskseg.web.pages import PAGE_SIZE, whole
from riskseg.web.render import render, set_notice, url

router = APIRouter(include_in_schema=False)

#: the status filters of the queue: open (the default) is proposed or accepted
STATUS_FILTERS: tuple[str, ...] = ("open", *STATUSES, "all")
#: what a verb did, for the notice
DONE_WORDS: dict[str, str] = {"accept": "accepted", "done": "marked done", "dismiss": "dismissed"}


@router.get("/queue")
def queue_page(
    request: Request,
    store: StoreDep,
    user: PageUser,
    owner: str | None = None,
    status: str | None = None,
    page: str | None = None,
) -> Response:
    """A department's actions, the most money at stake first."""
    if owner and owner not in OWNERS:
        raise PageError(400, f"no department {owner!r}; the departments are {', '.join(OWNERS)}")
    department = queue_owner(user, owner)
    status = status if status in STATUS_FILTERS else "open"
    table = list_actions(
        store, owner=department, status=None if status in ("open", "all") else status
    )
    items = table.to_pylist()
    if status == "open":
        items = [a for a in items if a["status"] in ("proposed", "accepted")]
    number = whole(page)
    shown = items[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    names = portfolio.customer_names(store, [str(a["customer_id"]) for a in shown])
    return render(
        request,
        "queue.html",
        user=user,
        owner=department,
        chosen_owner=owner or None,
        status=status,
        statuses=STATUS_FILTERS,
        owners=OWNERS,
        sees_all=user.role in SEE_ALL,
        items=shown,
        total=len(items),
        at_stake=sum(a["expected_impact"] or 0.0 for a in items),
        page=number,
        pages=max(1, -(-len(items) // PAGE_SIZE)),
        names=names,
        may_act=lambda o: may_act(user, o),
        any_run=portfolio.latest(store) is not None,
        page_url=lambda n: url("/queue", owner=owner or None, status=status, page=n),
    )


@router.post("/actions/{action_id}/{verb}")
def change_action(
    request: Request, store: StoreDep, user: PageUser, form: Form, action_id: str, verb: str
) -> Response:
    """Accept an action, mark it done or dismiss it (a note is required to dismiss)."""
    check_origin(request)
    if verb not in VERBS:
        raise PageError(404, f"no such change {verb!r}: accept, done or dismiss")
    if not action_id.isdigit():
        raise PageError(404, f"no action {action_id!r}")
    found = store.con.execute(
        "SELECT owner, action, customer_id FROM actions WHERE action_id = ?", [int(action_id)]
    ).fetchall()
    if not found:
        raise PageError(404, f"no action {action_id}")
    owner, code, customer = (str(v) for v in found[0])
    if not may_act(user, owner):
        who = (
            "a viewer changes no actions"
            if user.role == "viewer"
            else (
                f"action {action_id} ({code.replace('_', ' ')}) belongs to {owner}; "
                f"a {user.role} user cannot change it"
            )
        )
        raise PageError(403, who)
    back = safe_next(form.get("back"))
    response = RedirectResponse(back, status_code=303)
    note = form.get("note", "").strip()[:2000] or None
    if verb == "dismiss" and not note:
        set_notice(response, f"say why in the note to dismiss action {action_id}", error=True)
        return response
    try:
        set_status(store, int(action_id), verb, by=user.username, note=note, role=user.role)
    except InputError as exc:
        set_notice(response, str(exc), error=True)
        return response
    set_notice(
        response,
        f"action {action_id} ({code.replace('_', ' ')} for {customer}) {DONE_WORDS[verb]}",
    )
    return response

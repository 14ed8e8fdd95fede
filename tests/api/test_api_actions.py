"""Who sees and changes which actions: the role matrix, on a small demo company."""

from __future__ import annotations

import apitools
from fastapi.testclient import TestClient

import riskseg

# the shared fixtures (tests/api/apitools.py); this module gets its own store
demo = apitools.demo
clients = apitools.clients


def _open_actions(store: riskseg.Store, owner: str) -> list[int]:
    rows = store.con.execute(
        "SELECT action_id FROM actions WHERE owner = ? AND status = 'proposed' AND NOT control "
        "ORDER BY action_id",
        [owner],
    ).fetchall()
    return [int(r[0]) for r in rows]


def _shape(r: object, status: int) -> None:
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and set(body["error"]) == {"status", "code", "message"}


def test_a_department_sees_only_its_own_queue_money_first(
    clients: dict[str, TestClient],
) -> None:
    body = clients["finance"].get("/api/actions", params={"page_size": 500}).json()
    assert body["total"] > 0 and {a["owner"] for a in body["items"]} == {"finance"}
    money = [a["expected_impact"] or 0 for a in body["items"]]
    assert money == sorted(money, reverse=True)
    _shape(clients["finance"].get("/api/actions", params={"owner": "sales"}), 403)


def test_admin_management_and_viewer_see_every_department(
    clients: dict[str, TestClient],
) -> None:
    for role in ("admin", "management", "viewer"):
        body = clients[role].get("/api/actions", params={"page_size": 500}).json()
        assert len({a["owner"] for a in body["items"]}) >= 3, role
        only = clients[role].get("/api/actions", params={"owner": "service"}).json()
        assert only["total"] > 0 and {a["owner"] for a in only["items"]} == {"service"}


def test_actions_are_paged(clients: dict[str, TestClient]) -> None:
    everything = clients["admin"].get("/api/actions", params={"page_size": 500}).json()
    pages = [
        clients["admin"].get("/api/actions", params={"page": p, "page_size": 40}).json()
        for p in range(1, everything["total"] // 40 + 3)
    ]
    ids = [a["action_id"] for page in pages for a in page["items"]]
    assert ids == [a["action_id"] for a in everything["items"]]
    assert pages[-1]["items"] == [] and pages[-1]["total"] == everything["total"]


def test_role_matrix_for_changing_actions(
    demo: riskseg.Store, clients: dict[str, TestClient]
) -> None:
    finance, sales, service = (_open_actions(demo, o) for o in ("finance", "sales", "service"))
    # a department acts on its own actions, and no other's
    r = clients["finance"].post(f"/api/actions/{finance[0]}/accept", json={"note": "calling"})
    assert r.status_code == 200 and r.json()["to"] == "accepted" and r.json()["by"] == "finance"
    assert r.json()["events"][-1]["note"] == "calling"
    _shape(clients["sales"].post(f"/api/actions/{finance[1]}/accept", json={}), 403)
    _shape(clients["service"].post(f"/api/actions/{finance[1]}/done"), 403)
    # the viewer changes nothing, not even what it sees
    for action in (finance[1], sales[0], service[0]):
        _shape(clients["viewer"].post(f"/api/actions/{action}/accept", json={}), 403)
    # management and admin act on any department's
    assert clients["management"].post(f"/api/actions/{sales[0]}/done").status_code == 200
    assert clients["admin"].post(f"/api/actions/{service[0]}/accept").status_code == 200
    # nothing was changed by the refused requests
    status = dict(demo.con.execute("SELECT action_id, status FROM actions").fetchall())
    assert status[finance[1]] == "proposed"
    assert status[finance[0]] == status[service[0]] == "accepted" and status[sales[0]] == "done"


def test_changing_actions_is_checked(demo: riskseg.Store, clients: dict[str, TestClient]) -> None:
    sales = _open_actions(demo, "sales")
    _shape(clients["sales"].post(f"/api/actions/{sales[0]}/dismiss", json={}), 400)
    ok = clients["sales"].post(f"/api/actions/{sales[0]}/dismiss", json={"note": "renewed"})
    assert ok.status_code == 200 and ok.json()["to"] == "dismissed"
    _shape(clients["sales"].post(f"/api/actions/{sales[0]}/accept"), 400)  # closed
    _shape(clients["sales"].post(f"/api/actions/{sales[1]}/approve"), 422)
    _shape(clients["admin"].post("/api/actions/999999/accept"), 404)
    control = demo.con.execute(
        "SELECT action_id FROM actions WHERE control AND owner = 'sales' LIMIT 1"
    ).fetchall()
    if control:
        _shape(clients["sales"].post(f"/api/actions/{control[0][0]}/accept"), 400)


def test_runs_history(clients: dict[str, TestClient]) -> None:
    body = clients["viewer"].get("/api/runs").json()
    assert [r["run_id"] for r in body["items"]] == [1]
    assert body["items"][0]["as_of"] == "2025-12-31" and body["items"][0]["customers"] == 120

"""Customers: paging, sorting, filters (and their injection attempts), personal data, erasure."""

from __future__ import annotations

import apitools
import pytest
from fastapi.testclient import TestClient

import riskseg
from riskseg.api.auth import ROLES

# the shared fixtures (tests/api/apitools.py); this module gets its own store
demo = apitools.demo
clients = apitools.clients


def test_customers_are_paged_with_the_total(clients: dict[str, TestClient]) -> None:
    c = clients["viewer"]
    pages = [
        c.get("/api/customers", params={"page": p, "page_size": 50}).json() for p in (1, 2, 3, 4)
    ]
    assert [len(p["items"]) for p in pages] == [50, 50, 20, 0]
    assert {p["total"] for p in pages} == {120}
    ids = [i["customer_id"] for p in pages for i in p["items"]]
    assert len(set(ids)) == 120
    assert pages[0]["run"] == {"run_id": 1, "as_of": "2025-12-31"}
    assert all(i["name"] for i in pages[0]["items"])


@pytest.mark.parametrize("sort", ["risk_score", "value_score", "clv_12m", "customer_id"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_customers_are_sorted(clients: dict[str, TestClient], sort: str, order: str) -> None:
    body = (
        clients["viewer"]
        .get("/api/customers", params={"sort": sort, "order": order, "page_size": 500})
        .json()
    )
    values = [i[sort] for i in body["items"]]
    known = [v for v in values if v is not None]
    assert known == sorted(known, reverse=order == "desc")
    assert values[: len(known)] == known  # unknown values last
    if sort != "clv_12m":  # clv_12m needs the models, switched off here
        assert len(known) >= 100


def test_customers_are_filtered(demo: riskseg.Store, clients: dict[str, TestClient]) -> None:
    c = clients["viewer"]
    seg = c.get("/api/customers", params={"segment": "mid_value_low_risk"}).json()
    expected = demo.con.execute(
        "SELECT count(*) FROM run_customers WHERE grid_segment = 'mid_value_low_risk'"
    ).fetchall()[0][0]
    assert seg["total"] == expected > 0
    assert {i["grid_segment"] for i in seg["items"]} == {"mid_value_low_risk"}
    name = demo.con.execute("SELECT name FROM customers WHERE customer_id = 'C000001'").fetchall()
    word = str(name[0][0]).split()[0].upper()  # case does not matter
    found = c.get("/api/customers", params={"q": word}).json()
    assert "C000001" in [i["customer_id"] for i in found["items"]]
    assert all(word.lower() in i["name"].lower() for i in found["items"])
    assert c.get("/api/customers", params={"q": "c000001"}).json()["total"] == 1


def test_filter_and_sort_injection_attempts_are_harmless(
    demo: riskseg.Store, clients: dict[str, TestClient]
) -> None:
    c = clients["admin"]
    for q in ("'; DROP TABLE customers; --", "%", "_", "' OR '1'='1", '" OR 1=1 --'):
        r = c.get("/api/customers", params={"q": q})
        assert r.status_code == 200 and r.json()["total"] == 0, q
    r = c.get("/api/customers", params={"segment": "x' OR '1'='1"})
    assert r.status_code == 200 and r.json()["total"] == 0
    for sort in ("risk_score; DROP TABLE runs", "c.name", "1", "rc.risk_score DESC, (SELECT 1)"):
        assert c.get("/api/customers", params={"sort": sort}).status_code == 422, sort
    assert c.get("/api/customers", params={"order": "desc; --"}).status_code == 422
    assert demo.count("customers") == 120
    assert demo.con.execute("SELECT count(*) FROM runs").fetchall()[0][0] == 1


def test_one_customer_has_scores_segments_actions_and_contacts(
    clients: dict[str, TestClient],
) -> None:
    body = clients["finance"].get("/api/customers/C000001").json()
    assert body["attributes"]["customer_id"] == "C000001" and body["run"]["run_id"] == 1
    assert 0 <= body["scores"]["risk_score"] <= 100 and body["reasons"]
    assert body["segments"]["grid_segment"]
    assert body["actions"] and all(a["events"] for a in body["actions"])
    assert body["actions"][0]["events"][0]["to"] == "proposed"
    assert body["contacts"]


@pytest.mark.parametrize("role", ROLES)
def test_contacts_personal_data_only_for_some_roles(
    clients: dict[str, TestClient], role: str
) -> None:
    body = clients[role].get("/api/customers/C000002").json()
    contacts = body["contacts"]
    assert contacts and all(c["contact_id"] and c["role"] for c in contacts)
    if role in ("admin", "sales", "management"):
        assert all(c["name"] and c["email"] for c in contacts)
        assert body["personal_data_hidden"] is False
    else:
        assert all(c["name"] is None and c["email"] is None for c in contacts)
        assert body["personal_data_hidden"] is True


def test_a_contact_is_erased_on_request(
    demo: riskseg.Store, clients: dict[str, TestClient]
) -> None:
    [(contact, customer)] = demo.con.execute(
        "SELECT contact_id, customer_id FROM contacts WHERE customer_id = 'C000003' "
        "ORDER BY contact_id LIMIT 1"
    ).fetchall()
    for role in ROLES:
        if role != "admin":
            r = clients[role].delete(f"/api/contacts/{contact}")
            assert r.status_code == 403 and set(r.json()) == {"error"}, role
    r = clients["admin"].delete(f"/api/contacts/{contact}")
    assert r.status_code == 200
    assert r.json()["customer_id"] == customer and r.json()["erased"] == ["name", "email"]
    assert demo.con.execute(
        "SELECT name, email, role FROM contacts WHERE contact_id = ?", [contact]
    ).fetchall()[0][:2] == (None, None)
    shown = clients["sales"].get(f"/api/customers/{customer}").json()["contacts"]
    erased = next(c for c in shown if c["contact_id"] == contact)
    assert erased["name"] is None and erased["email"] is None and erased["role"]
    assert any(c["name"] for c in shown if c["contact_id"] != contact)
    assert clients["admin"].delete("/api/contacts/NOPE").status_code == 404


def test_unknown_customer_is_404(clients: dict[str, TestClient]) -> None:
    r = clients["viewer"].get("/api/customers/NOPE")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"

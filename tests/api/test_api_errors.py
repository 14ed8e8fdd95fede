"""One error shape for every error: {"error": {"status", "code", "message"}}."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

import riskseg
from riskseg.api import ApiSettings, create_app
from riskseg.api.auth import add_user


@pytest.fixture
def client(store: riskseg.Store) -> TestClient:
    add_user(store, "fin", password="correct horse", role="finance", now=datetime(2026, 1, 1))
    app = create_app(ApiSettings(db=":memory:"), store=store)

    def boom() -> None:
        raise RuntimeError("secret internals at /srv/x.py line 3")

    app.add_api_route("/api/boom", boom)
    c = TestClient(app, raise_server_exceptions=False)
    token = c.post("/api/login", json={"username": "fin", "password": "correct horse"})
    c.headers["Authorization"] = f"Bearer {token.json()['token']}"
    return c


def _check(r: object, status: int) -> str:
    body = r.json()  # type: ignore[attr-defined]
    assert r.status_code == status, body  # type: ignore[attr-defined]
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"status", "code", "message"}, body
    assert body["error"]["status"] == status
    assert isinstance(body["error"]["code"], str) and body["error"]["message"]
    assert "Traceback" not in r.text  # type: ignore[attr-defined]
    return str(body["error"]["code"])


def test_every_error_has_one_shape(client: TestClient) -> None:
    assert _check(client.get("/api/me", headers={"Authorization": ""}), 401) == "unauthorized"
    assert _check(client.delete("/api/contacts/P1"), 403) == "forbidden"
    assert _check(client.get("/api/no-such-route"), 404) == "not_found"
    assert _check(client.get("/api/customers/NOPE"), 404) == "not_found"
    assert _check(client.get("/api/customers?sort=c.name"), 422) == "invalid_request"
    assert _check(client.get("/api/customers?page=0"), 422) == "invalid_request"
    # riskseg's InputError (list_actions refuses an unknown status)
    assert _check(client.get("/api/actions?status=bogus"), 400) == "bad_request"
    assert _check(client.put("/api/health"), 405) == "method_not_allowed"
    assert _check(client.post("/api/login", content=b"{not json"), 422) == "invalid_request"


def test_internal_errors_show_no_internals(client: TestClient) -> None:
    r = client.get("/api/boom")
    assert _check(r, 500) == "internal_error"
    assert "secret" not in r.text and "RuntimeError" not in r.text


def test_validation_errors_do_not_echo_the_password(client: TestClient) -> None:
    r = client.post("/api/login", json={"username": "fin", "password": 12345678, "x": 1})
    _check(r, 422)
    assert "12345678" not in r.text

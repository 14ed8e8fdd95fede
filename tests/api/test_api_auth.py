"""Login, tokens and the refusal of anonymous requests on every route."""

from __future__ import annotations

import base64
import re
from datetime import datetime
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

import riskseg
from riskseg.api import ApiSettings, auth, create_app
from riskseg.api.app import StoreHolder
from riskseg.api.auth import (
    ROLES,
    AuthError,
    TokenCache,
    add_user,
    hash_password,
    issue_token,
    remove_user,
    revoke_token,
    user_for_token,
    verify_password,
)
from riskseg.errors import InputError

PUBLIC = {("POST", "/api/login"), ("GET", "/api/health")}


@pytest.fixture
def client(store: riskseg.Store) -> TestClient:
    add_user(store, "ana", password="correct horse", role="finance", now=datetime(2026, 1, 1))
    return TestClient(create_app(ApiSettings(db=":memory:"), store=store))


def _login(client: TestClient, username: str, password: str) -> str:
    r = client.post("/api/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def test_password_hash_format_and_check() -> None:
    stored = hash_password("correct horse")
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**14), "8", "1")
    assert len(base64.b64decode(salt)) == 16 and len(base64.b64decode(digest)) == 32
    assert stored != hash_password("correct horse")  # a fresh salt each time
    assert verify_password("correct horse", stored)
    assert not verify_password("correct hors", stored)
    assert not verify_password("x", "not a hash")


def test_login_gives_a_token_that_works(client: TestClient, store: riskseg.Store) -> None:
    r = client.post("/api/login", json={"username": "ana", "password": "correct horse"})
    body = r.json()
    assert r.status_code == 200 and body["role"] == "finance" and body["expires_at"]
    me = client.get("/api/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json()["username"] == "ana" and me.json()["role"] == "finance"
    # only the token's hash is stored
    hashes = [r[0] for r in store.con.execute("SELECT token_hash FROM api_tokens").fetchall()]
    assert body["token"] not in hashes and len(hashes[0]) == 64


def test_wrong_password_and_unknown_user_get_the_same_401(client: TestClient) -> None:
    wrong = client.post("/api/login", json={"username": "ana", "password": "wrong horse"})
    unknown = client.post("/api/login", json={"username": "zoe", "password": "wrong horse"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert "token" not in wrong.json()


def test_expired_token_is_refused(client: TestClient, store: riskseg.Store) -> None:
    token, _ = issue_token(store, "ana", now=datetime(2020, 1, 1), days=1)
    r = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


def test_removed_users_tokens_are_refused(client: TestClient, store: riskseg.Store) -> None:
    token = _login(client, "ana", "correct horse")
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert remove_user(store, "ana") == 1
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_the_servers_token_cache_never_outlives_a_change_made_through_riskseg(
    store: riskseg.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = datetime(2026, 1, 1)
    add_user(store, "ana", password="correct horse", role="finance", now=day)
    clock = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: clock[0])
    cache = TokenCache(ttl_s=10)
    token, expires = issue_token(store, "ana", now=day, days=1)
    assert user_for_token(store, token, now=day, cache=cache).role == "finance"
    # a row changed by hand (SQL, not riskseg) is seen once the cached answer is 10 s old
    store.con.execute("UPDATE users SET disabled = true")
    assert user_for_token(store, token, now=day, cache=cache).role == "finance"
    clock[0] += 10.5
    with pytest.raises(AuthError):
        user_for_token(store, token, now=day, cache=cache)
    store.con.execute("UPDATE users SET disabled = false")
    # an expired token is refused even while its answer is cached
    assert user_for_token(store, token, now=day, cache=cache).role == "finance"
    with pytest.raises(AuthError):
        user_for_token(store, token, now=expires, cache=cache)
    # revoking (logging out) and removing the user void the cache at once
    assert user_for_token(store, token, now=day, cache=cache).role == "finance"
    revoke_token(store, token)
    with pytest.raises(AuthError):
        user_for_token(store, token, now=day, cache=cache)
    other, _ = issue_token(store, "ana", now=day, days=1)
    assert user_for_token(store, other, now=day, cache=cache).role == "finance"
    remove_user(store, "ana")
    with pytest.raises(AuthError):
        user_for_token(store, other, now=day, cache=cache)


def test_a_requests_cursor_is_reused_only_after_the_request_went_well(
    client: TestClient, store: riskseg.Store
) -> None:
    holder: StoreHolder = client.app.state.store  # type: ignore[attr-defined]
    first = holder.lease()
    holder.release(first, reuse=True)
    assert holder.lease() is first
    holder.release(first, reuse=False)
    assert holder.lease() is not first
    with pytest.raises(Exception, match="closed"):
        first.con.execute("SELECT 1")
    # through the API: a failing request (404) and then a good one, each on a working cursor
    token = _login(client, "ana", "correct horse")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/customers/nobody", headers=headers).status_code == 404
    assert client.get("/api/me", headers=headers).status_code == 200


def test_garbage_tokens_are_refused(client: TestClient) -> None:
    for header in ("Bearer nonsense", "Basic YW5hOmNvcnJlY3Q=", "Bearer", "nonsense"):
        r = client.get("/api/me", headers={"Authorization": header})
        assert r.status_code == 401, header


def test_users_are_checked(store: riskseg.Store) -> None:
    now = datetime(2026, 1, 1)
    assert set(ROLES) == {"admin", "finance", "sales", "service", "management", "viewer"}
    with pytest.raises(InputError, match="role must be one of"):
        add_user(store, "x", password="long enough", role="boss", now=now)
    with pytest.raises(InputError, match="at least 8"):
        add_user(store, "x", password="short", role="viewer", now=now)
    add_user(store, "x", password="long enough", role="viewer", now=now)
    with pytest.raises(InputError, match="exists already"):
        add_user(store, "x", password="long enough", role="viewer", now=now)


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    """Every route under /api; FastAPI >= 0.16x keeps an included router as one entry.

    The dashboard's pages and its static files are not API routes: tests/web checks that
    every page sends an anonymous visitor to the login page.
    """
    found: list[APIRoute] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            found.extend(_api_routes(included.routes))
        elif isinstance(route, Mount) or not str(getattr(route, "path", "")).startswith("/api"):
            continue
        else:
            assert isinstance(route, APIRoute), f"{route} is not an API route: is it protected?"
            found.append(route)
    return found


def test_every_route_but_login_and_health_refuses_anonymous_requests(client: TestClient) -> None:
    app = client.app
    routes = _api_routes(app.routes)  # type: ignore[attr-defined]
    seen = {(m, r.path) for r in routes for m in r.methods}
    # the schema lists the same routes: none is missed by the walk above
    schema = app.openapi()["paths"]  # type: ignore[attr-defined]
    assert seen == {(m.upper(), p) for p, ops in schema.items() for m in ops}
    checked = 0
    for method, route_path in sorted(seen):
        path = re.sub(r"\{verb\}", "accept", route_path)
        path = re.sub(r"\{[^}]+\}", "1", path)
        r = client.request(method, path)
        if (method, route_path) in PUBLIC:
            assert r.status_code != 401, (method, route_path)
        else:
            assert r.status_code == 401, (method, route_path, r.status_code)
            assert r.headers["WWW-Authenticate"] == "Bearer"
            checked += 1
    assert checked >= 8


def test_failed_logins_are_limited_per_user_and_address(store: riskseg.Store) -> None:
    add_user(store, "ana", password="correct horse", role="finance", now=datetime(2026, 1, 1))
    app = create_app(ApiSettings(db=":memory:", login_attempts=3, login_window_s=600), store=store)
    client = TestClient(app)
    for _ in range(3):
        wrong = client.post("/api/login", json={"username": "ana", "password": "guess"})
        assert wrong.status_code == 401
    # the right password is refused too while the pause lasts: guessing gets no answer
    r = client.post("/api/login", json={"username": "ana", "password": "correct horse"})
    assert r.status_code == 429, r.text
    assert 0 < int(r.headers["Retry-After"]) <= 600
    assert r.json()["error"]["code"] == "too_many_requests"
    # the address is paused for other names as well
    other = client.post("/api/login", json={"username": "zoe", "password": "x"})
    assert other.status_code == 429


def test_the_session_cookie_works_and_changes_need_this_servers_origin(
    client: TestClient, store: riskseg.Store
) -> None:
    from riskseg.api.app import SESSION_COOKIE

    token = _login(client, "ana", "correct horse")
    browser = TestClient(client.app, base_url="http://testserver")
    browser.cookies.set(SESSION_COOKIE, token)
    assert browser.get("/api/me").json()["username"] == "ana"
    # a change sent with the cookie from another site (or with no origin) is refused
    for headers in ({}, {"Origin": "http://evil.example"}, {"Referer": "http://evil.example/x"}):
        r = browser.post("/api/actions/1/accept", headers=headers)
        assert r.status_code == 403, headers
        assert "this server's pages" in r.json()["error"]["message"]
    same = browser.post("/api/actions/999999/accept", headers={"Origin": "http://testserver"})
    assert same.status_code == 404  # past the origin check: the action does not exist

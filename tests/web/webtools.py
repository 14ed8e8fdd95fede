"""What the dashboard tests share: a small demo company with two runs, one user per role, a
logged-in page client, and the app served over real HTTP for the browser.

Imported by the test modules (a conftest.py here would shadow tests/conftest.py); each module
builds its own store, so one module's clicks do not reach another's.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

import riskseg
from riskseg.api import ApiSettings, create_app
from riskseg.api.auth import ROLES, add_user
from riskseg.demo import generate
from riskseg.pipeline import run

#: the runs of the demo store: a quarter apart, so that segment migration has movers
AS_OF = (date(2025, 9, 30), date(2025, 12, 31))
ORIGIN = "http://testserver"
NOW = datetime(2026, 1, 1)


def password(role: str) -> str:
    return f"{role}-password"


def fill_store(store: riskseg.Store, folder: Path) -> None:
    """The demo company (120 customers, seed 5), scored twice, with one user per role."""
    generate(customers=120, seed=5).write(folder, format="parquet")
    riskseg.import_path(store, folder)
    for as_of in AS_OF:
        run(store, as_of=as_of, models=False)
    for role in ROLES:
        add_user(store, role, password=password(role), role=role, now=NOW)


def login(app: FastAPI, role: str) -> TestClient:
    """A client of ``app`` with the dashboard's session cookie of ``role``'s user."""
    client = TestClient(app, follow_redirects=False)
    r = client.post(
        "/login",
        data={"username": role, "password": password(role), "next": "/"},
        headers={"Origin": ORIGIN},
    )
    assert r.status_code == 303, r.text
    return client


def post(client: TestClient, path: str, data: dict[str, str] | None = None) -> Any:
    """A form post from this server's pages (with the Origin a browser sends)."""
    return client.post(path, data=data or {}, headers={"Origin": ORIGIN})


def open_action(store: riskseg.Store, owner: str, *, status: str = "proposed") -> int:
    """An action of ``owner``'s queue in ``status`` (not a control-group one)."""
    rows = store.con.execute(
        "SELECT action_id FROM actions WHERE owner = ? AND status = ? AND NOT control "
        "ORDER BY coalesce(expected_impact, 0) DESC, action_id LIMIT 1",
        [owner, status],
    ).fetchall()
    assert rows, f"the demo store has no {status} {owner} action"
    return int(rows[0][0])


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1 (a free port) in a thread; yields its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def demo_app(store: riskseg.Store) -> FastAPI:
    return create_app(ApiSettings(db=":memory:"), store=store)

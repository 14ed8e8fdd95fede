"""Fixtures the API tests share: a small demo company with one user per role, logged in.

Imported by the test modules (a conftest.py here would shadow tests/conftest.py); each module
that imports them gets its own store, so one module's writes do not reach another's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import riskseg
from riskseg.api import ApiSettings, create_app
from riskseg.api.auth import ROLES, add_user
from riskseg.demo import generate
from riskseg.pipeline import run


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[riskseg.Store]:
    folder: Path = tmp_path_factory.mktemp("api-demo")
    generate(customers=120, seed=5).write(folder, format="parquet")
    with riskseg.Store(":memory:") as store:
        riskseg.import_path(store, folder)
        run(store, as_of=date(2025, 12, 31), models=False)
        for role in ROLES:
            add_user(store, role, password=f"{role}-password", role=role, now=datetime(2026, 1, 1))
        yield store


@pytest.fixture(scope="module")
def clients(demo: riskseg.Store, tmp_path_factory: pytest.TempPathFactory) -> dict[str, TestClient]:
    out = str(tmp_path_factory.mktemp("api-runs"))
    app = create_app(ApiSettings(db=":memory:", out_dir=out), store=demo)
    logged_in = {}
    for role in ROLES:
        c = TestClient(app)
        r = c.post("/api/login", json={"username": role, "password": f"{role}-password"})
        c.headers["Authorization"] = f"Bearer {r.json()['token']}"
        logged_in[role] = c
    return logged_in

"""``riskseg run --webhooks`` and runs started from the API send the run's new actions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import hooktools
import pytest
from fastapi.testclient import TestClient
from hooktools import SECRET, SECRET_ENV, Receiver

import riskseg
from riskseg.api import ApiSettings, create_app
from riskseg.api.auth import add_user
from riskseg.demo import generate
from riskseg.webhooks import verify_signature

pytestmark = pytest.mark.slow
RISKSEG = str(Path(sys.executable).with_name("riskseg"))
hook_env = hooktools.hook_env


def _store(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    generate(customers=60, seed=5).write(data, format="parquet")
    db = tmp_path / "run-hooks.duckdb"
    with riskseg.Store(db) as store:
        riskseg.import_path(store, data)
    return db


def _run_args(db: Path, out: Path, hooks: Path) -> list[str]:
    return [RISKSEG, "run", "--db", str(db), "--as-of", "2025-12-31", "--no-models",
            "--out", str(out), "--webhooks", str(hooks)]  # fmt: skip


def _hooks_file(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "webhooks.yaml"
    path.write_text(f"version: 1\nendpoints:\n  - url: {url}\n    secret_env: {SECRET_ENV}\n")
    return path


def _expected(db: Path, run_id: int) -> set[int]:
    with riskseg.Store(db, read_only=True) as store:
        rows = store.con.execute(
            "SELECT action_id FROM actions WHERE run_id = ? AND NOT control AND priority <= 1 "
            "AND status IN ('proposed', 'accepted')",
            [run_id],
        ).fetchall()
    return {int(r[0]) for r in rows}


@pytest.mark.usefixtures("hook_env")
def test_riskseg_run_with_webhooks_posts_the_new_high_priority_actions(tmp_path: Path) -> None:
    db = _store(tmp_path)
    with Receiver() as receiver:
        hooks = _hooks_file(tmp_path, receiver.url)
        done = subprocess.run(
            _run_args(db, tmp_path / "out", hooks),
            capture_output=True,
            text=True,
            env=os.environ.copy(),
            timeout=300,
        )
    assert done.returncode == 0, done.stderr
    [seen] = receiver.requests
    body = json.loads(seen.body)
    assert body["event"] == "actions.created" and body["run_id"] == 1
    assert {a["action_id"] for a in body["actions"]} == _expected(db, 1) != set()
    stamp, signature = seen.headers["X-Riskseg-Timestamp"], seen.headers["X-Riskseg-Signature"]
    assert verify_signature(seen.body, stamp, signature, SECRET, now=float(stamp))
    assert f"webhook {receiver.url}: delivered" in " ".join(done.stderr.split())


def test_an_unset_secret_stops_riskseg_run_before_it_scores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    db = _store(tmp_path)
    hooks = _hooks_file(tmp_path, "http://127.0.0.1:9/hook")
    done = subprocess.run(
        _run_args(db, tmp_path / "out", hooks),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2 and SECRET_ENV in done.stderr and "Traceback" not in done.stderr
    with riskseg.Store(db, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM runs").fetchall()[0][0] == 0


@pytest.mark.usefixtures("hook_env")
def test_a_run_started_from_the_api_sends_its_webhooks(tmp_path: Path) -> None:
    db = _store(tmp_path)
    with Receiver() as receiver:
        settings = ApiSettings(
            db=str(db),
            out_dir=str(tmp_path / "out"),
            webhooks=str(_hooks_file(tmp_path, receiver.url)),
        )
        with riskseg.Store(db) as store:
            add_user(
                store, "boss", password="boss-password", role="management", now=datetime(2026, 1, 1)
            )
            client = TestClient(create_app(settings, store=store))
            token = client.post(
                "/api/login", json={"username": "boss", "password": "boss-password"}
            ).json()["token"]
            client.headers["Authorization"] = f"Bearer {token}"
            job = client.post("/api/runs", json={"as_of": str(date(2025, 12, 31)), "models": False})
            assert job.status_code == 202
            done = client.app.state.jobs.wait(job.json()["job_id"], timeout=300)  # type: ignore[attr-defined]
            assert done.state == "done", done.error
            ids = {
                int(r[0])
                for r in store.con.execute(
                    "SELECT action_id FROM actions WHERE run_id = ? AND NOT control "
                    "AND priority <= 1 AND status IN ('proposed', 'accepted')",
                    [done.run_id],
                ).fetchall()
            }
    [seen] = receiver.requests
    assert {a["action_id"] for a in json.loads(seen.body)["actions"]} == ids != set()

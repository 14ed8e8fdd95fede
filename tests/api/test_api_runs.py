"""Runs started from the API execute in the server while it keeps answering (issue 6 item 7)."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
from apitools import clients, demo
from fastapi.testclient import TestClient

import riskseg

__all__ = ["clients", "demo"]

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:lightgbm")


def _latest(client: TestClient) -> int:
    body = client.get("/api/customers", params={"page_size": 5}).json()
    return int(body["run"]["run_id"])


def test_a_run_started_from_the_api_executes_while_the_server_keeps_answering(
    clients: dict[str, TestClient], demo: riskseg.Store
) -> None:
    before = _latest(clients["viewer"])
    customers_before = clients["viewer"].get("/api/customers").json()["total"]
    started = clients["admin"].post(
        "/api/runs", json={"as_of": "2026-01-31", "models": True, "backtest": False}
    )
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["state"] == "running" and job["started_by"] == "admin"

    # a second run while this one executes is refused, not queued behind it
    again = clients["management"].post("/api/runs", json={"as_of": "2026-02-28"})
    assert again.status_code == 409
    assert f"/api/jobs/{job['job_id']}" in again.json()["error"]["message"]

    answered_during_run = 0
    steps = set()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        state = clients["viewer"].get(f"/api/jobs/{job['job_id']}").json()
        if state["state"] != "running":
            break
        steps.add(state["step"])
        listing = clients["viewer"].get("/api/customers", params={"page_size": 20})
        assert listing.status_code == 200
        # readers see the last committed run, whole, until the new one commits
        body = listing.json()
        if body["run"]["run_id"] == before:
            assert body["total"] == customers_before
            answered_during_run += 1
        profile = clients["finance"].get(f"/api/customers/{body['items'][0]['customer_id']}")
        assert profile.status_code == 200
    assert state["state"] == "done", state
    assert answered_during_run >= 3, (answered_during_run, steps)
    assert "signals" in steps or "churn model" in steps
    assert state["run_id"] == before + 1 and state["customers"] > 0
    assert _latest(clients["viewer"]) == before + 1
    history = clients["viewer"].get("/api/runs").json()
    assert history["running"] is None
    assert history["items"][0]["run_id"] == before + 1
    assert str(history["items"][0]["as_of"]) == "2026-01-31"
    one = clients["viewer"].get(f"/api/runs/{before + 1}").json()
    assert set(one["details"]["basis"]) == {"churn", "payment_risk"}
    assert one["details"]["backtest"] is None  # asked without a backtest
    n = demo.con.execute("SELECT count(*) FROM run_customers WHERE run_id = ?", [before + 1])
    assert n.fetchall()[0][0] == state["customers"]

    # the run's files are where the job says, and the profile explains every score with them
    files = {p.name for p in Path(state["out_dir"]).iterdir()}
    assert {"customers_scored.csv", "actions.csv", "report.html", "signals.parquet"} <= files
    assert "signals.arrow" in files  # the profile's lookup, moved into place with the rest
    [(top,)] = demo.con.execute(
        "SELECT customer_id FROM run_customers WHERE run_id = ? AND status = 'active' "
        "ORDER BY risk_score DESC LIMIT 1",
        [before + 1],
    ).fetchall()
    profile = clients["viewer"].get(f"/api/customers/{top}").json()
    why = profile["explanations"]
    assert why["risk_score"]["reasons"] and why["value_score"]["reasons"]
    assert why["churn_probability"]["basis"].startswith(("model:", "scorecard:"))
    assert sum(v or 0 for v in why["risk_score"]["families"].values()) > 0
    signals = {s["name"]: s for s in profile["signals"]}
    assert signals["revenue_12m"]["family"] == "value" and signals["revenue_12m"]["meaning"]
    assert len(signals) > 100


def test_only_admin_and_management_start_runs(clients: dict[str, TestClient]) -> None:
    for role in ("finance", "sales", "service", "viewer"):
        r = clients[role].post("/api/runs", json={"as_of": "2026-01-31"})
        assert r.status_code == 403, role
        assert "cannot start a run" in r.json()["error"]["message"]
    assert clients["admin"].post("/api/runs", json={"as_of": "31-01-2026"}).status_code == 422


def test_unknown_jobs_and_runs_are_404(clients: dict[str, TestClient]) -> None:
    assert clients["viewer"].get("/api/jobs/999").status_code == 404
    r = clients["viewer"].get("/api/runs/999")
    assert r.status_code == 404 and "GET /api/runs" in r.json()["error"]["message"]


def test_a_failed_run_is_reported_and_the_next_one_may_start(
    clients: dict[str, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    import riskseg.pipeline

    def broken(*args: object, **kwargs: object) -> None:
        raise riskseg.errors.InputError("the scorecard file is broken (test)")

    monkeypatch.setattr(riskseg.pipeline, "run", broken)
    job = clients["admin"].post("/api/runs", json={"as_of": str(date(2026, 3, 31))}).json()
    app = clients["admin"].app
    done = app.state.jobs.wait(job["job_id"], timeout=30)  # type: ignore[attr-defined]
    assert done.state == "failed" and "scorecard file is broken" in str(done.error)
    shown = clients["viewer"].get(f"/api/jobs/{job['job_id']}").json()
    assert shown["state"] == "failed" and shown["finished_at"]
    monkeypatch.undo()
    again = clients["admin"].post("/api/runs", json={"as_of": "2026-03-31", "models": False})
    assert again.status_code == 202
    assert app.state.jobs.wait(again.json()["job_id"], timeout=120).state == "done"  # type: ignore[attr-defined]

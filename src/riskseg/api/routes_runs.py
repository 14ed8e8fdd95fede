"""``/api/runs`` (history, start, one run with what its models rest on) and ``/api/jobs``.

A run started here executes inside the server (:mod:`riskseg.api.jobs`); the answer is 202
with the job, whose state ``GET /api/jobs/{id}`` follows (running, done, failed) with the
step it is in. Admin and management may start runs; everyone may read them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from riskseg.api.app import ApiSettings, IdPath, StoreDep, UserDep, require
from riskseg.api.jobs import RunBusy, RunJobs
from riskseg.pipeline import EARLIEST_AS_OF, LATEST_AS_OF
from riskseg.runs import run_details

router = APIRouter(prefix="/api", tags=["runs"])

#: roles that may start a run
RUNNERS: tuple[str, ...] = ("admin", "management")

_RUN_COLUMNS = (
    "run_id, as_of, started_at, finished_at, config_version, fingerprint, customers, actions, "
    "riskseg_version"
)


class RunBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: date = Field(
        ge=EARLIEST_AS_OF, le=LATEST_AS_OF, description="Nothing after this day is used."
    )
    models: bool = Field(True, description="Learn the churn, late-payment and CLV models.")
    backtest: bool = Field(True, description="Backtest the models (takes longest).")


def _jobs(request: Request) -> RunJobs:
    jobs: RunJobs = request.app.state.jobs
    return jobs


@router.get("/runs")
def runs(store: StoreDep, user: UserDep, request: Request) -> dict[str, Any]:
    """Every run, the latest first, and the run job executing now (or null)."""
    running = [j.as_dict() for j in _jobs(request).all() if j.state == "running"]
    items = store.rows(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY as_of DESC, run_id DESC", [])
    return {"items": items, "running": running[0] if running else None}


@router.post("/runs", status_code=202)
def start_run(body: RunBody, user: UserDep, request: Request) -> dict[str, Any]:
    """Start a run as of a day; 409 while another one runs. Follow it at ``/api/jobs/{id}``."""
    require(user, *RUNNERS, doing="start a run")
    settings: ApiSettings = request.app.state.settings
    try:
        job = _jobs(request).start(
            as_of=body.as_of,
            by=user.username,
            out_dir=settings.out_dir,
            models=body.models,
            backtest=body.backtest,
        )
    except RunBusy as exc:
        raise HTTPException(409, str(exc)) from exc
    return job.as_dict()


@router.get("/runs/{run_id}")
def one_run(run_id: IdPath, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """One run with what its probabilities rest on (basis, notes, backtest metrics)."""
    rows = store.rows(f"SELECT {_RUN_COLUMNS} FROM runs WHERE run_id = ?", [run_id])
    if not rows:
        raise HTTPException(404, f"no run {run_id} (GET /api/runs lists them)")
    return {**rows[0], "details": run_details(store, run_id)}


@router.get("/jobs")
def jobs(user: UserDep, request: Request) -> dict[str, Any]:
    """The runs this server started since it started, the latest first."""
    return {"items": [j.as_dict() for j in _jobs(request).all()]}


@router.get("/jobs/{job_id}")
def job(job_id: IdPath, user: UserDep, request: Request) -> dict[str, Any]:
    """One run job: running (with its step), done (with its run id) or failed (why)."""
    found = _jobs(request).get(job_id)
    if found is None:
        raise HTTPException(404, f"no run job {job_id} on this server (GET /api/jobs)")
    return found.as_dict()

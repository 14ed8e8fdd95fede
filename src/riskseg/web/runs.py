"""The runs page: every run, the one executing now, and (for admin and management) a form
that starts the next one.

A run started here executes inside the server like one from ``POST /api/runs``
(:mod:`riskseg.api.jobs`): the pages keep answering from the last committed run until the
new one commits. While it runs, the page reloads itself every few seconds to show its step.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from riskseg import portfolio
from riskseg.api.app import ApiSettings, StoreDep, now
from riskseg.api.jobs import RunBusy, RunJobs
from riskseg.api.routes_runs import RUNNERS
from riskseg.web.access import Form, PageError, PageUser, check_origin
from riskseg.web.render import render, set_notice

router = APIRouter(include_in_schema=False)


def _jobs(request: Request) -> RunJobs:
    jobs: RunJobs = request.app.state.jobs
    return jobs


@router.get("/runs")
def runs_page(request: Request, store: StoreDep, user: PageUser) -> Response:
    """The history of runs and the run job executing now."""
    jobs = _jobs(request).all()
    running = next((j for j in jobs if j.state == "running"), None)
    return render(
        request,
        "runs.html",
        user=user,
        history=portfolio.run_history(store),
        jobs=jobs[:10],
        running=running,
        may_run=user.role in RUNNERS,
        runners=RUNNERS,
        today=now().date().isoformat(),
        refresh=running is not None,
    )


@router.post("/runs")
def start_run(request: Request, user: PageUser, form: Form) -> Response:
    """Start a run as of the day in the form (admin and management)."""
    check_origin(request)
    if user.role not in RUNNERS:
        raise PageError(
            403, f"a {user.role} user cannot start a run (allowed: {', '.join(RUNNERS)})"
        )
    response = RedirectResponse("/runs", status_code=303)
    text = form.get("as_of", "").strip()
    try:
        as_of = date.fromisoformat(text)
    except ValueError:
        set_notice(response, f"as of must be a day such as 2025-12-31, not {text!r}", error=True)
        return response
    settings: ApiSettings = request.app.state.settings
    try:
        job = _jobs(request).start(
            as_of=as_of,
            by=user.username,
            out_dir=settings.out_dir,
            models=form.get("models") == "on",
            backtest=form.get("backtest") == "on",
        )
    except RunBusy as exc:
        set_notice(response, str(exc), error=True)
        return response
    set_notice(response, f"run job {job.job_id} started as of {as_of.isoformat()}")
    return response

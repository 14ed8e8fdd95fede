"""Runs started from the API: one at a time, in a thread of the server, on a cursor of its own.

The server holds the store file (DuckDB lets one process write it), so a run a user starts
from the dashboard or ``POST /api/runs`` executes inside the server: a thread with its own
cursor calls :func:`riskseg.pipeline.run`, and every other request keeps reading the last
committed run until the new run commits (a run is written in one transaction, so readers
never see half of one). Jobs live in the server's memory; the runs they record are in the
store like any other (``GET /api/runs``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from riskseg.errors import RisksegError
from riskseg.store.store import Store

log = logging.getLogger("riskseg.api")


class RunBusy(RisksegError):
    """A run is executing already; the store takes one at a time."""


@dataclass
class RunJob:
    """One run started from the API and how far it got."""

    job_id: int
    as_of: date
    started_by: str
    started_at: datetime
    out_dir: str
    models: bool
    backtest: bool
    #: running, done or failed
    state: str = "running"
    #: the pipeline step it is in (signals, scorecard, churn model, ...)
    step: str | None = None
    finished_at: datetime | None = None
    run_id: int | None = None
    customers: int | None = None
    actions: int | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RunJobs:
    """The server's runs: start one, look one up; ``cursor`` gives each run its connection.

    ``after`` is called with the finished run's store cursor and run id (webhooks).
    """

    def __init__(
        self,
        cursor: Callable[[], Store],
        *,
        clock: Callable[[], datetime],
        after: Callable[[Store, int], None] | None = None,
    ) -> None:
        self._cursor = cursor
        self._clock = clock
        self._after = after
        self._lock = threading.Lock()
        self._jobs: dict[int, RunJob] = {}
        self._threads: dict[int, threading.Thread] = {}

    def start(
        self, *, as_of: date, by: str, out_dir: str | Path, models: bool, backtest: bool
    ) -> RunJob:
        """Start a run in a thread; refuses (:class:`RunBusy`) while another one runs."""
        with self._lock:
            busy = [j for j in self._jobs.values() if j.state == "running"]
            if busy:
                raise RunBusy(
                    f"run job {busy[0].job_id} (as of {busy[0].as_of}) is still running; "
                    f"wait for it: GET /api/jobs/{busy[0].job_id}"
                )
            job = RunJob(
                job_id=max(self._jobs, default=0) + 1,
                as_of=as_of,
                started_by=by,
                started_at=self._clock(),
                out_dir=str(Path(out_dir) / as_of.isoformat()),
                models=models,
                backtest=backtest,
            )
            self._jobs[job.job_id] = job
            thread = threading.Thread(
                target=self._work, args=(job,), name=f"riskseg-run-{job.job_id}", daemon=True
            )
            self._threads[job.job_id] = thread
        thread.start()
        return job

    def get(self, job_id: int) -> RunJob | None:
        return self._jobs.get(job_id)

    def all(self) -> list[RunJob]:
        """Every job of this server, the latest first."""
        return sorted(self._jobs.values(), key=lambda j: j.job_id, reverse=True)

    def wait(self, job_id: int, timeout: float | None = None) -> RunJob:
        """Block until a job ends (tests, scripts that started one)."""
        self._threads[job_id].join(timeout)
        return self._jobs[job_id]

    def _work(self, job: RunJob) -> None:
        from riskseg.pipeline import run

        def step(name: str) -> None:
            job.step = name

        store = self._cursor()
        try:
            result = run(
                store,
                as_of=job.as_of,
                out_dir=job.out_dir,
                models=job.models,
                backtest=job.backtest,
                progress=step,
            )
            job.run_id = result.run_id
            job.customers = result.scored.num_rows
            job.actions = result.actions.num_rows if result.actions is not None else 0
            job.notes = list(result.notes)
            if self._after is not None and result.run_id is not None:
                self._after(store, result.run_id)
            job.state = "done"
        except RisksegError as exc:
            job.error, job.state = str(exc), "failed"
        except Exception as exc:  # the server must survive a failed run and say so
            log.exception("run job %s failed", job.job_id, exc_info=exc)
            job.error = f"internal error ({type(exc).__name__}); the server log has the details"
            job.state = "failed"
        finally:
            job.finished_at = self._clock()
            store.close()

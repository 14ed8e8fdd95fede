"""Segments, imports, the quarantine and exports.

- ``GET /api/segments``: the latest run's customers per value x risk cell, payment behaviour,
  cluster, loyalty class and ABC class, with their customer equity (total CLV);
  ``GET /api/segments/migration``: how they moved since the run before.
- ``POST /api/imports?filename=invoices.csv``: the file is the request body (``curl
  --data-binary @invoices.csv``); it is imported like ``riskseg import`` and answers with its
  reconciliation (read = stored + quarantined). Admin only: an import changes every score.
  ``GET /api/imports`` is the import log, ``GET /api/quarantine`` the rejected rows with file,
  line, column and reason.
- ``GET /api/exports/customers.csv`` and ``/api/exports/actions.csv``: spreadsheet-safe CSV
  (formula-like text neutralised, :func:`riskseg.exports.neutralise_formulas`); the actions
  export is scoped to the caller's department like ``GET /api/actions``.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

import pyarrow.csv as pacsv
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from riskseg.api.app import PageQuery, StoreDep, UserDep, require
from riskseg.api.routes_actions import _owner_for
from riskseg.contract import TABLE_ORDER
from riskseg.exports import neutralise_formulas
from riskseg.playbook.actions import list_actions
from riskseg.runs import latest_run, segment_migration
from riskseg.store.store import Store, quote_ident

router = APIRouter(prefix="/api", tags=["data"])

#: the segment columns of a run, each summarised by ``GET /api/segments``
SEGMENT_COLUMNS = ("grid_segment", "payment_segment", "cluster", "loyalty", "abc_class")
#: the largest upload accepted (bytes); bigger exports go through ``riskseg import``
MAX_UPLOAD = 512 * 1024 * 1024
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,120}$")


@router.get("/segments")
def segments(store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Customers per segment of the latest run, with customer equity and mean scores."""
    run = latest_run(store)
    if run is None:
        return {"run": None, "segments": {}}
    out = {}
    for column in SEGMENT_COLUMNS:
        col = quote_ident(column)
        out[column] = store.rows(
            f"SELECT {col} AS segment, count(*) AS customers, sum(clv_12m) AS clv_12m, "
            "sum(net_clv_12m) AS net_clv_12m, avg(risk_score) AS mean_risk_score, "
            "avg(value_score) AS mean_value_score FROM run_customers "
            f"WHERE run_id = ? AND status IS DISTINCT FROM 'prospect' "
            "GROUP BY ALL ORDER BY customers DESC, segment NULLS LAST",
            [run["run_id"]],
        )
    return {"run": run, "segments": out}


@router.get("/segments/migration")
def migration(
    store: StoreDep,
    user: UserDep,
    movers: Annotated[int, Query(ge=0, le=1000, description="How many movers to list.")] = 50,
) -> dict[str, Any]:
    """Moves in the value x risk grid since the previous run, and who got worse."""
    run = latest_run(store)
    if run is None:
        return {"run": None, "previous_run": None, "transitions": [], "movers": []}
    m = segment_migration(store, run["run_id"])
    return {
        "run": run,
        "previous_run": m.previous_run,
        "transitions": m.transitions.to_pylist(),
        "movers_total": m.movers.num_rows,
        "movers": m.movers.slice(0, movers).to_pylist(),
    }


def _upload_name(filename: str) -> str:
    name = Path(filename).name
    if name != filename or not _SAFE_NAME.match(name):
        raise HTTPException(
            400,
            f"filename must be a plain file name such as invoices.csv (letters, digits, "
            f"space, . _ -), not {filename!r}",
        )
    stem = name.split(".")[0].strip().lower()
    if stem not in TABLE_ORDER:
        raise HTTPException(
            400,
            f"name the file after the table it holds ({', '.join(TABLE_ORDER)}), "
            f"for example invoices.csv; got {filename!r}",
        )
    return name


@router.post("/imports")
async def upload(
    request: Request,
    store: StoreDep,
    user: UserDep,
    filename: Annotated[str, Query(max_length=128, description="e.g. invoices.csv")],
) -> dict[str, Any]:
    """Import one exported file sent as the request body; answers with its reconciliation."""
    require(user, "admin", doing="import data")
    name = _upload_name(filename)
    folder = Path(tempfile.mkdtemp(prefix="riskseg-upload-"))
    try:
        path = folder / name
        size = 0
        with path.open("wb") as f:
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_UPLOAD:
                    raise HTTPException(
                        413, f"the file is over {MAX_UPLOAD >> 20} MB; use riskseg import"
                    )
                f.write(chunk)
        if size == 0:
            raise HTTPException(400, "the request body is empty: send the file's bytes")
        report = await run_in_threadpool(_import, store, path, name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    sources = [
        {
            "source": s.source,
            "table": s.table,
            "import_id": s.import_id,
            "read": s.read,
            "stored": s.stored,
            "inserted": s.inserted,
            "updated": s.updated,
            "unchanged": s.unchanged,
            "merged": s.merged,
            "quarantined": s.quarantined,
            "reconciles": s.read == s.stored + s.quarantined,
            "notes": s.notes,
            "error": s.error,
        }
        for s in report.sources
    ]
    if report.exit_code:
        failed = "; ".join(f"{s.source}: {s.error}" for s in report.failed) or "nothing imported"
        raise HTTPException(400, f"the file could not be imported: {failed}")
    return {"filename": name, "bytes": size, "sources": sources, "by": user.username}


def _import(store: Store, path: Path, name: str) -> Any:
    from riskseg.ingest.importer import import_path

    report = import_path(store, path)
    # the log and the quarantine name the file the user sent, not the server's temporary copy
    ids = [s.import_id for s in report.sources if s.import_id is not None]
    for s in report.sources:
        s.source = s.source.replace(str(path), f"upload:{name}")
    if ids:
        marks = ", ".join("?" * len(ids))
        for table in ("import_log", "quarantine"):
            store.con.execute(
                f"UPDATE {table} SET source = replace(source, ?, ?) WHERE import_id IN ({marks})",
                [str(path), f"upload:{name}", *ids],
            )
    return report


@router.get("/imports")
def imports(store: StoreDep, user: UserDep) -> dict[str, Any]:
    """The import log, newest first: what each source read, stored and quarantined."""
    return {"items": store.imports()}


@router.get("/quarantine")
def quarantine(
    store: StoreDep,
    user: UserDep,
    table: Annotated[str | None, Query(max_length=50)] = None,
    page: PageQuery = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Rejected rows with file, line, column and reason (the copied row only for admin)."""
    if table is not None and table not in TABLE_ORDER:
        raise HTTPException(400, f"table must be one of {', '.join(TABLE_ORDER)}, not {table!r}")
    where, params = ("WHERE table_name = ?", [table]) if table else ("", [])
    total = int(
        store.con.execute(f"SELECT count(*) FROM quarantine {where}", params).fetchall()[0][0]
    )
    items = store.rows(
        'SELECT table_name, source, line, "column", value, reason, record, import_id '
        f"FROM quarantine {where} ORDER BY table_name, source, line LIMIT ? OFFSET ?",
        [*params, page_size, (page - 1) * page_size],
    )
    if user.role != "admin":  # a rejected row can hold a contact's name or e-mail
        for item in items:
            item["record"] = None
    return {"total": total, "page": page, "page_size": page_size, "items": items}


def _csv(table: Any, name: str) -> Response:
    buffer = io.BytesIO()
    pacsv.write_csv(neutralise_formulas(table), buffer)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/exports/customers.csv", response_class=Response)
def export_customers(store: StoreDep, user: UserDep) -> Response:
    """The latest run's customers with name, scores, segments and reasons, as CSV."""
    run = latest_run(store)
    if run is None:
        raise HTTPException(404, "no run yet: run riskseg run or POST /api/runs first")
    table = store.con.sql(
        "SELECT rc.customer_id, c.name, rc.* EXCLUDE (run_id, customer_id) "
        "FROM run_customers rc LEFT JOIN customers c USING (customer_id) "
        "WHERE rc.run_id = $run ORDER BY rc.risk_score DESC NULLS LAST, rc.customer_id",
        params={"run": run["run_id"]},
    ).to_arrow_table()
    return _csv(table, f"customers-{run['as_of']}.csv")


@router.get("/exports/actions.csv", response_class=Response)
def export_actions(
    store: StoreDep,
    user: UserDep,
    owner: Annotated[str | None, Query(max_length=50)] = None,
    status: Annotated[str | None, Query(max_length=50)] = None,
) -> Response:
    """The work queue as CSV (your department's, or all for admin, management and viewer)."""
    table = list_actions(store, owner=_owner_for(user, owner), status=status)
    return _csv(table, "actions.csv")


#: roles that see the monthly review: it holds every department's queue
REVIEWERS: tuple[str, ...] = ("admin", "management", "viewer")


@router.get("/reports/review.{kind}", response_class=Response)
def review(
    kind: Literal["html", "xlsx"],
    store: StoreDep,
    user: UserDep,
    run: Annotated[int | None, Query(ge=1, description="A run id; default the latest.")] = None,
) -> Response:
    """The monthly portfolio review of ``riskseg report`` (docs/report.md), as a page or a
    workbook, made from the store while the server holds it."""
    require(user, *REVIEWERS, doing="read the portfolio review (it holds every queue)")
    from riskseg.reports.review import portfolio_review, write_review

    if latest_run(store) is None:
        raise HTTPException(404, "no run yet: run riskseg run or POST /api/runs first")
    made = portfolio_review(store, run_id=run)
    folder = Path(tempfile.mkdtemp(prefix="riskseg-review-"))
    try:
        page, book = write_review(made, folder)
        path = page if kind == "html" else book
        body = path.read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if kind == "html":
        # opened in the browser: a self-contained page whose only non-text parts are its inline
        # CSS and SVG, so the policy allows exactly those (no script, nothing fetched)
        headers = {
            "Content-Disposition": f'inline; filename="{path.name}"',
            "Content-Security-Policy": (
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
            ),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        }
        return Response(body, media_type="text/html; charset=utf-8", headers=headers)
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="{path.name}"',
            "Cache-Control": "no-store",
        },
    )

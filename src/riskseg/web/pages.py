"""The dashboard's read-only pages: portfolio, customers, a customer, migration, data,
models and practices. Each is a thin shell over :mod:`riskseg.portfolio`."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response

from riskseg import portfolio
from riskseg.api.app import StoreDep
from riskseg.contract import TABLE_ORDER
from riskseg.playbook.rules import ACTION_CODES
from riskseg.segments.grid import GRID_SEGMENTS, GridSettings
from riskseg.web import charts
from riskseg.web.access import PageError, PageUser, may_act, sees_personal_data
from riskseg.web.render import render, url

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
#: timeline events a profile shows, and the most "show more" goes to
TIMELINE_EVENTS = 50
MAX_TIMELINE_EVENTS = 2000
#: the sorts the customer list offers, as people say them
SORT_LABELS: dict[str, str] = {
    "risk_score": "risk score",
    "value_score": "value score",
    "clv_12m": "CLV 12 months",
    "payment_risk": "payment risk",
    "churn_probability": "churn probability",
    "name": "name",
    "customer_id": "customer id",
}


def whole(value: str | None, default: int = 1) -> int:
    """A page number from the query: a positive whole number, else ``default``.

    >>> whole("3"), whole("x"), whole("-2"), whole(None)
    (3, 1, 1, 1)
    """
    if value is None or not value.strip().isdigit():
        return default
    return max(1, min(int(value), 1_000_000))


@router.get("/")
def portfolio_page(request: Request, store: StoreDep, user: PageUser) -> Response:
    """The portfolio: value x risk matrix, risk distribution, high-risk shares, movers."""
    run = portfolio.latest(store)
    if run is None:
        return render(request, "portfolio.html", user=user, run=None, summary=None)
    summary = portfolio.portfolio_summary(store, run.run_id)
    grid = GridSettings()
    return render(
        request,
        "portfolio.html",
        user=user,
        run=run,
        summary=summary,
        histogram=charts.risk_histogram(
            summary.risk_bins,
            bin_width=portfolio.summary.RISK_BIN,
            medium=grid.risk_medium,
            high=grid.risk_high,
        ),
        share_bar=charts.share_bar,
        breakdowns=portfolio.BREAKDOWNS,
    )


@router.get("/customers")
def customers_page(
    request: Request,
    store: StoreDep,
    user: PageUser,
    q: str | None = None,
    segment: str | None = None,
    sort: str | None = None,
    order: str | None = None,
    page: str | None = None,
) -> Response:
    """The run's customers: search, filter by segment, sort, page."""
    run = portfolio.latest(store)
    q = (q or "").strip()[:200] or None
    sort = sort if sort in SORT_LABELS else "risk_score"
    descending = order != "asc" if order else sort not in ("name", "customer_id")
    segment = segment if segment in GRID_SEGMENTS else None
    listing = None
    if run is not None:
        indexes: portfolio.CustomerIndexes = request.app.state.customer_indexes
        listing = indexes.page(
            store,
            run.run_id,
            q=q,
            segment=segment,
            sort=sort,
            descending=descending,
            page=whole(page),
            page_size=PAGE_SIZE,
        )
    return render(
        request,
        "customers.html",
        user=user,
        run=run,
        listing=listing,
        q=q,
        segment=segment,
        sort=sort,
        order="desc" if descending else "asc",
        segments=GRID_SEGMENTS,
        sorts=SORT_LABELS,
        page_url=lambda n: url(
            "/customers",
            q=q,
            segment=segment,
            sort=sort,
            order="desc" if descending else "asc",
            page=n,
        ),
    )


@router.get("/customers/{customer_id}")
def customer_page(
    request: Request, store: StoreDep, user: PageUser, customer_id: str, events: str | None = None
) -> Response:
    """One customer: scores and why, segments and their history, timeline, actions, contacts."""
    run = portfolio.latest(store)
    profile = portfolio.customer_profile(
        store, customer_id, run=run, with_personal_data=sees_personal_data(user)
    )
    if profile is None:
        raise PageError(404, f"no customer {customer_id!r} (search for it in the box above)")
    shown = min(whole(events, TIMELINE_EVENTS), MAX_TIMELINE_EVENTS)
    timeline = portfolio.customer_timeline(store, customer_id, limit=shown)
    return render(
        request,
        "customer.html",
        user=user,
        run=run,
        c=profile,
        name=(profile.attributes or {}).get("name") or customer_id,
        timeline=timeline,
        more_events=min(shown * 4, MAX_TIMELINE_EVENTS),
        segments=GRID_SEGMENTS,
        may_act=lambda owner: may_act(user, owner),
        share_bar=charts.share_bar,
    )


@router.get("/migration")
def migration_page(request: Request, store: StoreDep, user: PageUser) -> Response:
    """How customers moved between segments since the previous run, and who got worse."""
    run = portfolio.latest(store)
    matrix = None if run is None else portfolio.migration_matrix(store, run.run_id)
    return render(
        request,
        "migration.html",
        user=user,
        run=run,
        m=matrix,
        segments=GRID_SEGMENTS,
        worse=portfolio.worse,
    )


@router.get("/data")
def data_page(
    request: Request,
    store: StoreDep,
    user: PageUser,
    table: str | None = None,
    page: str | None = None,
) -> Response:
    """What the store holds, which signals it feeds, and the quarantine, page by page."""
    if table and table not in TABLE_ORDER:
        raise PageError(400, f"no table {table!r}; the tables are {', '.join(TABLE_ORDER)}")
    coverage = portfolio.data_coverage(store)
    rows = portfolio.quarantine_page(
        store, table=table or None, page=whole(page), page_size=PAGE_SIZE
    )
    personal = sees_personal_data(user)
    if not personal:
        # a contact's refused e-mail address is still someone's e-mail address
        for r in rows.items:
            if r["table_name"] == "contacts":
                r["value"] = "(hidden: personal data)" if r["value"] is not None else None
                r["reason"] = re.sub(r"'[^']*'", "'…'", str(r["reason"]))
    return render(
        request,
        "data.html",
        user=user,
        coverage=coverage,
        rows=rows,
        table=table or None,
        tables=TABLE_ORDER,
        personal=personal,
        page_url=lambda n: url("/data", table=table or None, page=n),
    )


@router.get("/models")
def models_page(request: Request, store: StoreDep, user: PageUser) -> Response:
    """The models' backtest: metrics against baselines, calibration and lift per target."""
    run = portfolio.latest(store)
    validation = None if run is None else portfolio.model_validation(store, run.run_id)
    return render(
        request,
        "models.html",
        user=user,
        run=run,
        v=validation,
        switched_off=validation is not None
        and any("switched off" in b for b in validation.basis.values()),
        metrics=portfolio.validation.METRICS,
        calibration_chart=charts.calibration_chart,
        lift_chart=charts.lift_chart,
    )


@router.get("/practices")
def practices_page(request: Request, store: StoreDep, user: PageUser) -> Response:
    """The six practices: data, records across departments, measured impact, level."""
    run = portfolio.latest(store)
    coverage = portfolio.practice_coverage(store, as_of=None if run is None else run.as_of)
    return render(
        request,
        "practices.html",
        user=user,
        run=run,
        coverage=coverage,
        levels=portfolio.LEVELS,
        owners=ACTION_CODES,
    )

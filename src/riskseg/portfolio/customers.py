"""Customers of a run: the list, one customer's profile and the timeline of its records.

A profile is what a collector or an account manager needs on one screen: the scores with
their reasons in words, the segments now and in every earlier run, the actions with who did
what and why, and the contacts placed on the Loyalty Matrix. Contacts' names and e-mail
addresses are personal data; they are filled in only with ``with_personal_data=True``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from riskseg.contract import TABLES
from riskseg.errors import InputError
from riskseg.playbook.actions import customer_actions
from riskseg.portfolio.summary import RunInfo, rows
from riskseg.runs import customer_signals
from riskseg.segments.loyalty import LoyaltySettings
from riskseg.signals.registry import REGISTRY
from riskseg.store.store import Store, quote_ident

#: the sort keys of the customer list -> the SQL they sort by (never the caller's text)
SORTS: dict[str, str] = {
    "risk_score": "rc.risk_score",
    "value_score": "rc.value_score",
    "clv_12m": "rc.clv_12m",
    "payment_risk": "rc.payment_risk",
    "churn_probability": "rc.churn_probability",
    "customer_id": "rc.customer_id",
    "name": "c.name",
}

#: the scores of a run's customer, in the order a profile shows them
SCORES: tuple[str, ...] = (
    "risk_score",
    "value_score",
    "churn_probability",
    "payment_risk",
    "clv_12m",
    "net_clv_12m",
)
SEGMENTS: tuple[str, ...] = ("grid_segment", "payment_segment", "cluster", "loyalty", "abc_class")
#: what a profile's history shows of each run, besides its id and as_of
_HISTORY: tuple[str, ...] = (
    "status",
    "grid_segment",
    "payment_segment",
    "loyalty",
    "risk_score",
    "value_score",
)


@dataclass(frozen=True)
class CustomerPage:
    """One page of the run's customers, with how many match in all."""

    total: int
    page: int
    page_size: int
    items: list[dict[str, Any]]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _check_page(page: int, page_size: int) -> None:
    if page < 1 or not 1 <= page_size <= 500:
        raise InputError(f"page must be >= 1 and page_size 1-500, not {page} and {page_size}")


def customer_list(
    store: Store,
    run_id: int,
    *,
    q: str | None = None,
    segment: str | None = None,
    sort: str = "risk_score",
    descending: bool = True,
    page: int = 1,
    page_size: int = 50,
) -> CustomerPage:
    """The run's customers, filtered by text and grid segment, sorted, one page at a time.

    Parameters
    ----------
    store, run_id
        The store and the run whose customers are listed.
    q
        Part of the customer id or name (plain text: ``%`` and ``_`` are not patterns).
    segment
        A grid segment (``high_value_high_risk``, ``prospect``, ...).
    sort, descending
        One of :data:`SORTS`; missing values go last, ties by customer id.
    page, page_size
        Which page (from 1) of how many rows (1-500).

    Examples
    --------
    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     customer_list(store, 1, q="acme").total
    0
    """
    if sort not in SORTS:
        raise InputError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    _check_page(page, page_size)
    where: list[str] = ["rc.run_id = ?"]
    params: list[Any] = [run_id]
    if segment:
        where.append("rc.grid_segment = ?")
        params.append(segment)
    if q:
        where.append("strpos(lower(rc.customer_id || ' ' || coalesce(c.name, '')), lower(?)) > 0")
        params.append(q)
    base = (
        "FROM run_customers rc LEFT JOIN customers c USING (customer_id) "
        f"WHERE {' AND '.join(where)}"
    )
    total = int(store.con.execute(f"SELECT count(*) {base}", params).fetchall()[0][0])
    direction = "DESC" if descending else "ASC"
    items = rows(
        store,
        "SELECT rc.customer_id, c.name, rc.status, rc.risk_score, rc.value_score, "
        "rc.churn_probability, rc.payment_risk, rc.clv_12m, rc.grid_segment, "
        f"rc.payment_segment, rc.reasons {base} "
        f"ORDER BY {SORTS[sort]} {direction} NULLS LAST, rc.customer_id LIMIT ? OFFSET ?",
        [*params, page_size, (page - 1) * page_size],
    )
    return CustomerPage(total, page, page_size, items)


def customer_names(store: Store, customer_ids: list[str]) -> dict[str, str]:
    """Display names of some customers (those without a name are left out).

    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     customer_names(store, ["C1"])
    {}
    """
    if not customer_ids:
        return {}
    found = store.con.execute(
        "SELECT customer_id, name FROM customers WHERE list_contains(?, customer_id) "
        "AND name IS NOT NULL",
        [list(dict.fromkeys(customer_ids))],
    ).fetchall()
    return {str(c): str(n) for c, n in found}


def reasons_list(text: str | None) -> list[str]:
    """A run's reasons text (``"a, +12 points; b, +3 points"``) as one sentence each.

    >>> reasons_list("paid 41 days late on average, +17 points; 3 complaints, +4 points")
    ['paid 41 days late on average, +17 points', '3 complaints, +4 points']
    """
    return [r.strip() for r in (text or "").split(";") if r.strip()]


@dataclass(frozen=True)
class CustomerProfile:
    """One customer as the profile page shows it."""

    customer_id: str
    #: the ``customers`` row (None when the customer is only in run results)
    attributes: dict[str, Any] | None
    #: the run the scores come from (None: the customer is not in it)
    run: RunInfo | None
    status: str | None
    scores: dict[str, float | None]
    reasons: list[str]
    segments: dict[str, str | None]
    #: every run the customer is in, the latest first: run_id, as_of, segments and scores
    history: list[dict[str, Any]]
    #: actions (control groups left out), the most money first, each with its ``events``
    actions: list[dict[str, Any]]
    #: contacts with their latest survey answer on the Loyalty Matrix (``quadrant``)
    contacts: list[dict[str, Any]]
    personal_data: bool
    #: per score: its reasons in words and where it comes from (``basis``); for the risk
    #: score also the points each risk family adds (``families``)
    explanations: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: accept / review / reject for a prospect (None for customers)
    prospect_decision: str | None = None
    #: the customer's signals as of the run with family, unit and meaning (None: the run
    #: wrote no signals file)
    signals: list[dict[str, Any]] | None = None


def customer_profile(
    store: Store,
    customer_id: str,
    *,
    run: RunInfo | None,
    with_personal_data: bool = False,
    run_dates: dict[int, date] | None = None,
) -> CustomerProfile | None:
    """A customer's scores, reasons, segments and their history, actions and contacts.

    Parameters
    ----------
    run
        The run to read the scores from (:func:`riskseg.portfolio.latest`); its ``as_of``
        is also the day the contacts' survey answers are read up to.
    with_personal_data
        Fill in contacts' names and e-mail addresses (else they are ``None``).
    run_dates
        Every run's as_of by id, when the caller has them (the server's
        :class:`~riskseg.portfolio.listing.StoreState`); else they are read.

    Returns
    -------
    ``None`` when neither the customers table nor any run knows the customer.

    Examples
    --------
    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     customer_profile(store, "C1", run=None) is None
    True
    """
    cols = ", ".join(quote_ident(c.name) for c in TABLES["customers"].stored_columns)
    attributes = rows(store, f"SELECT {cols} FROM customers WHERE customer_id = ?", [customer_id])
    # bare lookups of the customer, joined and sorted here: DuckDB answers a lone equality
    # from its index (migration 7) in a millisecond or two at 1M customers (make bench-api
    # lists each of the profile's statements); with a join, a CTE or an ORDER BY around it,
    # its plan cost several times as much when the two were compared
    runs_of = rows(store, "SELECT * FROM run_customers WHERE customer_id = ?", [customer_id])
    if not attributes and not runs_of:
        return None
    as_of_of = run_dates or {}
    if runs_of and run_dates is None:
        as_of_of = dict(store.con.execute("SELECT run_id, as_of FROM runs").fetchall())
    runs_of = [r for r in runs_of if r["run_id"] in as_of_of]
    runs_of.sort(key=lambda r: (as_of_of[r["run_id"]], r["run_id"]), reverse=True)
    history = [
        {"run_id": r["run_id"], "as_of": as_of_of[r["run_id"]], **{k: r[k] for k in _HISTORY}}
        for r in runs_of
    ]
    scored: dict[str, Any] = {}
    if run is not None:
        for r in runs_of:
            if r["run_id"] == run.run_id:
                scored = {k: v for k, v in r.items() if k not in ("run_id", "customer_id")}
    actions = customer_actions(store, customer_id)
    as_of = run.as_of if run is not None and scored else None
    signals = None
    if run is not None and scored:
        signals = _signals(store, run.run_id, customer_id)
    return CustomerProfile(
        customer_id=customer_id,
        attributes=attributes[0] if attributes else None,
        run=run if scored else None,
        status=scored.get("status"),
        scores={k: scored.get(k) for k in SCORES},
        reasons=reasons_list(scored.get("reasons")),
        segments={k: scored.get(k) for k in SEGMENTS},
        history=history,
        actions=actions,
        contacts=_contacts(store, customer_id, as_of, with_personal_data),
        personal_data=with_personal_data,
        explanations=_explanations(scored),
        prospect_decision=scored.get("prospect_decision"),
        signals=signals,
    )


def _explanations(row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each score's reasons (as sentences) and basis, from the run's columns (migration 6)."""
    if not row:
        return {}
    # the risk score's families are stored as risk_<family>: the points each one adds
    families = {
        k.removeprefix("risk_"): v
        for k, v in row.items()
        if k.startswith("risk_") and k != "risk_score" and v is not None
    }
    return {
        "risk_score": {"reasons": reasons_list(row.get("reasons")), "families": families},
        "value_score": {"reasons": reasons_list(row.get("value_reasons"))},
        "churn_probability": {
            "reasons": reasons_list(row.get("churn_reasons")),
            "basis": row.get("churn_basis"),
        },
        "payment_risk": {
            "reasons": reasons_list(row.get("payment_risk_reasons")),
            "basis": row.get("payment_risk_basis"),
        },
    }


def _signals(store: Store, run_id: int, customer_id: str) -> list[dict[str, Any]] | None:
    """The customer's signals as of the run, in the registry's order, with their meaning."""
    values = customer_signals(store, run_id, customer_id)
    if values is None:
        return None
    return [
        {
            "name": name,
            "family": sig.family,
            "value": values[name],
            "unit": sig.unit,
            "meaning": sig.meaning,
        }
        for name, sig in REGISTRY.items()
        if name in values
    ]


def _contacts(
    store: Store, customer_id: str, as_of: date | None, personal: bool
) -> list[dict[str, Any]]:
    """Contacts with their latest survey answer up to ``as_of`` and its quadrant.

    The quadrant rule is the Loyalty Matrix of :mod:`riskseg.segments.loyalty` (behaviour
    and attitude high at or above ``LoyaltySettings().high``), applied to one customer here
    rather than to the whole store.
    """
    high = LoyaltySettings().high
    # two bare lookups (DuckDB's index), the latest answer per contact and the full join
    # of the two here, for the reason customer_profile gives (the one statement they
    # replace, with a window and a FULL JOIN, is the reference in tests/web/test_portfolio.py)
    people = rows(
        store,
        "SELECT contact_id, name, email, role, seniority, is_primary, decision_role "
        "FROM contacts WHERE customer_id = ?",
        [customer_id],
    )
    answers = rows(
        store,
        "SELECT contact_id, response_id, date, behavior::DOUBLE AS behavior, "
        "attitude::DOUBLE AS attitude FROM surveys WHERE customer_id = ?",
        [customer_id],
    )
    # the latest answer up to as_of of each contact (of each response without a contact):
    # ORDER BY date DESC, response_id, the first of each wins (survey dates are NOT NULL)
    answers.sort(key=lambda r: r["response_id"])
    answers.sort(key=lambda r: r["date"], reverse=True)
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for r in answers:
        if as_of is None or r["date"] <= as_of:
            key = ("c", r["contact_id"]) if r["contact_id"] is not None else ("r", r["response_id"])
            latest.setdefault(key, r)
    # the FULL JOIN: every contact with its answer, then the answers of no known contact
    found = [{**c, **_answer(latest.get(("c", c["contact_id"])))} for c in people]
    known = {("c", c["contact_id"]) for c in people}
    unknown = dict.fromkeys(("name", "email", "role", "seniority", "is_primary", "decision_role"))
    found += [
        {"contact_id": a["contact_id"], **unknown, **_answer(a)}
        for key, a in latest.items()
        if key not in known
    ]
    # primary contacts first, then by id, then by answer date (missing ones last)
    found.sort(
        key=lambda r: (
            {True: 0, False: 1}.get(r["is_primary"], 2),
            r["contact_id"] is None,
            r["contact_id"] or "",
            r["survey_date"] is None,
            r["survey_date"] or date.min,
        )
    )
    for r in found:
        b, a = r["behavior"], r["attitude"]
        r["quadrant"] = None
        if b is not None and a is not None:
            r["quadrant"] = (
                ("loyal" if a >= high else "trapped")
                if b >= high
                else ("accessible" if a >= high else "high_risk")
            )
        if not personal:
            r["name"] = r["email"] = None
    return found


def _answer(r: dict[str, Any] | None) -> dict[str, Any]:
    """A survey answer's columns as a profile's contact shows them (all None: no answer)."""
    if r is None:
        return {"survey_date": None, "behavior": None, "attitude": None}
    return {"survey_date": r["date"], "behavior": r["behavior"], "attitude": r["attitude"]}


@dataclass(frozen=True)
class TimelineEvent:
    """One dated record of a customer: an invoice, a payment, an order, an interaction."""

    date: date
    #: invoice, paid, payment, order, interaction
    kind: str
    title: str
    amount: float | None
    detail: str


@dataclass(frozen=True)
class Timeline:
    """The newest ``limit`` events of a customer, and how many there are in all."""

    events: list[TimelineEvent]
    total: int


_TIMELINE = """
WITH ev AS (
    SELECT issue_date AS d, 'invoice' AS kind, 'invoice ' || invoice_id || ' issued' AS title,
           amount, 'due ' || strftime(due_date, '%Y-%m-%d')
             || CASE WHEN disputed THEN ', disputed' ELSE '' END
             || CASE WHEN written_off THEN ', written off' ELSE '' END AS detail
    FROM invoices WHERE customer_id = $c
    UNION ALL
    SELECT paid_date, 'paid', 'invoice ' || invoice_id || ' settled', amount,
           CASE WHEN paid_date > due_date
                THEN date_diff('day', due_date, paid_date) || ' days after the due date'
                ELSE 'on time' END
    FROM invoices WHERE customer_id = $c AND paid_date IS NOT NULL
    UNION ALL
    SELECT payment_date, 'payment', 'payment ' || payment_id, amount, 'on invoice ' || invoice_id
    FROM payments WHERE customer_id = $c
    UNION ALL
    SELECT min(order_date), 'order', 'order ' || order_id, sum(revenue),
           coalesce(string_agg(DISTINCT product, ', ' ORDER BY product), '')
             || coalesce(' (' || string_agg(DISTINCT channel, ', ' ORDER BY channel) || ')', '')
    FROM orders WHERE customer_id = $c GROUP BY order_id
    UNION ALL
    SELECT date, 'interaction', replace(type, '_', ' '), NULL,
           concat_ws(', ', department,
                     CASE WHEN effort_minutes IS NOT NULL
                          THEN round(effort_minutes)::BIGINT || ' min' END)
    FROM interactions WHERE customer_id = $c
)
"""


def customer_timeline(
    store: Store, customer_id: str, *, limit: int = 100, as_of: date | None = None
) -> Timeline:
    """A customer's invoices, settlements, payments, orders and interactions, newest first.

    Parameters
    ----------
    limit
        At most this many events (the newest); ``Timeline.total`` says how many there are.
    as_of
        Leave out what is dated after this day (``None``: everything stored).

    Examples
    --------
    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     customer_timeline(store, "C1", limit=10).total
    0
    """
    if limit < 1:
        raise InputError(f"limit must be at least 1, not {limit}")
    params: dict[str, Any] = {"c": customer_id}
    until = ""
    if as_of is not None:
        until = "WHERE d <= $as_of"
        params["as_of"] = as_of
    total = store.con.execute(f"{_TIMELINE} SELECT count(*) FROM ev {until}", params).fetchall()
    params["limit"] = limit
    found = store.con.execute(
        f"{_TIMELINE} SELECT d, kind, title, amount, detail FROM ev {until} "
        "ORDER BY d DESC, kind, title LIMIT $limit",
        params,
    ).fetchall()
    return Timeline(
        [
            TimelineEvent(d, str(k), str(t), None if a is None else float(a), str(x or ""))
            for d, k, t, a, x in found
        ],
        int(total[0][0]),
    )

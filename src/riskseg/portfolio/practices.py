"""The six practices the research behind riskseg names, and how far a company carries each.

The research found six ways companies deal with customers who cost more than they bring:
internal identification, values and ethics filters, data-driven tools, resource allocation,
price regulation and regulatory limits. For each, this module asks three questions of the
store, and places the practice on the research's three levels:

* **data**: does the data that feeds the practice exist (the tables and columns its signals
  read)?
* **recorded**: are the practice's actions recorded and worked (accepted, done or dismissed
  by a person) in every department that owns them? Control-group actions do not count: they
  are held out on purpose.
* **measured**: is the impact of at least one of its actions measured against a control
  group with enough customers on both sides (:func:`riskseg.playbook.impact.measure_impact`)?
  For a practice whose actions are never held out (a legal duty, a red line:
  :data:`riskseg.playbook.control.NEVER_HELD_OUT`) the question does not apply (``None``).

``fully_leveraged``: all three; ``inconsistent``: the data is there and some of it is acted
on or measured, but not all of it; ``emerging``: the data is missing or nothing is acted on
yet. Each practice maps to concrete signals, segments and action codes of the shipped
playbook (:data:`PRACTICES`; docs/dashboard.md has the table); an action belongs to the
practice that names its rule, else to the practice that names its code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from riskseg.playbook.control import NEVER_HELD_OUT
from riskseg.playbook.impact import measure_impact
from riskseg.store.store import Store

Level = Literal["fully_leveraged", "inconsistent", "emerging"]
#: the research's three levels, as people say them
LEVELS: dict[str, str] = {
    "fully_leveraged": "fully leveraged",
    "inconsistent": "inconsistent",
    "emerging": "emerging",
}


@dataclass(frozen=True)
class Practice:
    """One practice: what it means and what in riskseg carries it."""

    key: str
    name: str
    meaning: str
    #: (what, SQL counting the rows that feed it): constant SQL, no caller's text
    inputs: tuple[tuple[str, str], ...]
    signals: tuple[str, ...]
    segments: tuple[str, ...]
    actions: tuple[str, ...]
    #: rules whose actions belong here although their code is another practice's
    rules: tuple[str, ...] = ()


PRACTICES: tuple[Practice, ...] = (
    Practice(
        "internal_identification",
        "Internal identification",
        "Departments spot bad customers in their own records (late payment, complaints, "
        "quote shopping, fading orders); riskseg makes one shared view of it.",
        (
            ("invoices (payment behaviour)", "SELECT count(*) FROM invoices"),
            ("orders (value and trends)", "SELECT count(*) FROM orders"),
            ("interactions (service load, engagement)", "SELECT count(*) FROM interactions"),
            ("quotes (quote shopping)", "SELECT count(*) FROM quotes"),
            ("surveys (Loyalty Matrix)", "SELECT count(*) FROM surveys"),
        ),
        (
            "days_late_mean_12m",
            "late_30_share_12m",
            "overdue_balance",
            "tickets_12m",
            "meeting_miss_rate_12m",
            "days_since_last_engagement",
            "quotes_per_order_12m",
            "loyalty_class",
        ),
        ("grid_segment", "payment_segment", "cluster", "loyalty"),
        (
            "dunning_after_usual_pay_date",
            "dunning_strict",
            "assign_senior_collector",
            "assign_junior_collector",
            "retention_outreach",
            "executive_follow_up",
            "qualify_before_quote",
        ),
    ),
    Practice(
        "values_ethics",
        "Values and ethics filters",
        "Customers who mistreat staff, act unethically or harm the reputation are flagged "
        "and reach management; prospects are screened before a contract.",
        (
            ("flags (conduct, ethics, reputation, fraud)", "SELECT count(*) FROM flags"),
            ("prospects to screen", "SELECT count(*) FROM customers WHERE status = 'prospect'"),
        ),
        ("flag_max_severity", "flags_active_conduct", "flags_active_ethics", "flags_active_fraud"),
        ("prospect",),
        ("management_review", "reject_prospect", "exit_relationship"),
        ("red_line_flag", "prospect_over_the_line"),
    ),
    Practice(
        "data_driven_tools",
        "Data-driven tools",
        "External credit data and statistical models (risk score, churn and late-payment "
        "probabilities, CLV) decide terms, not gut feeling.",
        (
            ("credit reports", "SELECT count(*) FROM credit_reports"),
            (
                "a run whose probabilities come from a model",
                "SELECT count(*) FROM run_details WHERE details LIKE '%\": \"model:%'",
            ),
        ),
        ("credit_score", "credit_score_change_12m", "probability_of_default"),
        ("grid_segment", "payment_segment"),
        ("reduce_credit_limit", "require_prepayment"),
    ),
    Practice(
        "resource_allocation",
        "Resource allocation",
        "Service and sales effort follows the customer's value: costly small accounts get a "
        "lighter service or another channel, valuable ones are protected.",
        (
            (
                "interactions with staff time",
                "SELECT count(*) FROM interactions WHERE effort_minutes IS NOT NULL",
            ),
            ("orders with cost (margin)", "SELECT count(*) FROM orders WHERE cost IS NOT NULL"),
        ),
        ("cost_to_serve_12m", "commercial_cost_12m", "roi_12m", "net_contribution_12m"),
        ("grid_segment", "abc_class", "cluster"),
        ("reduce_service_level", "migrate_channel", "protect_and_grow", "educate"),
    ),
    Practice(
        "price_regulation",
        "Price regulation",
        "Prices and charges follow what a customer costs: price increases on thin margins, "
        "engineering charged when volume does not pay for it, relationships renegotiated.",
        (
            ("orders with cost (margin)", "SELECT count(*) FROM orders WHERE cost IS NOT NULL"),
            (
                "engineering changes",
                "SELECT count(*) FROM interactions WHERE type = 'engineering_change'",
            ),
            ("quotes with discounts", "SELECT count(*) FROM quotes WHERE discount_pct IS NOT NULL"),
        ),
        ("margin_pct_12m", "engineering_changes_12m", "discount_mean_12m", "net_contribution_12m"),
        ("grid_segment", "cluster"),
        ("price_increase", "charge_nre", "renegotiate"),
    ),
    Practice(
        "regulatory_limits",
        "Regulatory limits",
        "Regulated customers may not be dropped: they are served at the lowest cost instead, "
        "never exited, and their compliance issues are reviewed.",
        (
            (
                "customers marked regulated or not",
                "SELECT count(*) FROM customers WHERE regulated IS NOT NULL",
            ),
            (
                "compliance and regulatory flags",
                "SELECT count(*) FROM flags WHERE category IN ('compliance', 'regulatory')",
            ),
        ),
        ("flags_active_compliance", "flags_active_regulatory"),
        (),
        ("compliance_review",),
        ("regulated_small_account", "regulated_with_compliance_flag"),
    ),
)


@dataclass(frozen=True)
class PracticeCoverage:
    """Where a company stands on one practice."""

    practice: Practice
    #: (what, rows) per input of the practice
    inputs: list[tuple[str, int]]
    data: bool
    #: actions of the practice (control groups left out) and how many a person worked
    actions: int
    worked: int
    #: departments that own its actions, and those of them that worked at least one
    owners: list[str]
    worked_owners: list[str]
    recorded: bool
    #: True / False, or None when its actions are never held out (nothing to measure against)
    measured: bool | None
    #: action codes whose impact is measured with enough customers on both sides
    measured_actions: list[str]
    level: Level
    why: list[str] = field(default_factory=list)


def practice_coverage(
    store: Store, *, as_of: date | None, after_days: int = 90
) -> list[PracticeCoverage]:
    """For each of the :data:`PRACTICES`, whether the data feeds it, whether its actions are
    recorded across departments and whether their impact is measured, and its level.

    Parameters
    ----------
    as_of
        The day impact is measured up to (the latest run's ``as_of``); ``None``: before any
        run, nothing is measured.
    after_days
        The outcome window of the impact measurement.

    Examples
    --------
    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     [p.level for p in practice_coverage(store, as_of=None)][:2]
    ['emerging', 'emerging']
    """
    claimed = {rule: p.key for p in PRACTICES for rule in p.rules}
    by_code = {code: p.key for p in PRACTICES for code in p.actions}
    tally: dict[str, dict[str, list[int]]] = {p.key: {} for p in PRACTICES}
    for code, rule, owner, n, worked in store.con.execute(
        "SELECT action, rule, owner, count(*), count(*) FILTER (WHERE status <> 'proposed') "
        "FROM actions WHERE NOT control GROUP BY ALL"
    ).fetchall():
        key = claimed.get(str(rule)) or by_code.get(str(code))
        if key is None:
            continue
        counts = tally[key].setdefault(str(owner), [0, 0])
        counts[0] += int(n)
        counts[1] += int(worked)
    measured_codes: set[str] = set()
    if as_of is not None:
        report = measure_impact(store, as_of=as_of, after_days=after_days)
        measured_codes = {r.action for r in report.results if any(o.enough for o in r.outcomes)}
    return [_coverage(store, p, tally[p.key], measured_codes) for p in PRACTICES]


def _coverage(
    store: Store, p: Practice, owners: dict[str, list[int]], measured_codes: set[str]
) -> PracticeCoverage:
    inputs = [(what, int(store.con.execute(sql).fetchall()[0][0])) for what, sql in p.inputs]
    data = any(n > 0 for _, n in inputs)
    actions = sum(n for n, _ in owners.values())
    worked = sum(w for _, w in owners.values())
    worked_owners = sorted(o for o, (_, w) in owners.items() if w)
    recorded = bool(owners) and len(worked_owners) == len(owners)
    measurable = [c for c in p.actions if c not in NEVER_HELD_OUT]
    measured_actions = sorted(c for c in measurable if c in measured_codes)
    measured: bool | None = bool(measured_actions) if measurable else None
    why = []
    if not data:
        why.append("no data feeds it yet: import " + " or ".join(w for w, _ in p.inputs))
    if not owners:
        why.append("no action of it has been proposed yet")
    elif not recorded:
        idle = sorted(set(owners) - set(worked_owners))
        why.append(f"not worked by {', '.join(idle)}: proposed actions wait there")
    if measured is False:
        why.append(
            "no impact measured yet: mark actions done; after the outcome window the control "
            "group tells whether they worked"
        )
    elif measured is None:
        why.append("its actions are always carried out, so there is no control group to measure")
    level: Level
    if data and recorded and measured is not False:
        level = "fully_leveraged"
    elif data and (worked > 0 or bool(measured)):
        level = "inconsistent"
    else:
        level = "emerging"
    return PracticeCoverage(
        practice=p,
        inputs=inputs,
        data=data,
        actions=actions,
        worked=worked,
        owners=sorted(owners),
        worked_owners=worked_owners,
        recorded=recorded,
        measured=measured,
        measured_actions=measured_actions,
        level=level,
        why=why,
    )

"""The portfolio review as one self-contained HTML page: inline CSS, no JavaScript, no fetched
files, so it opens from a mail attachment or a file share.

It shows the tables of :meth:`riskseg.reports.review.PortfolioReview.sheets` (the workbook's
sheets, the same facts) in the look of ``report.html`` (:mod:`riskseg.reports.html`). Every
value from the store is escaped with :func:`html.escape`: names, reasons and segment labels
start in a user's export.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

import pyarrow as pa

from riskseg.reports.html import _CSS, _fmt, _table
from riskseg.reports.review import COLUMN_KINDS, MONEY, PERCENT, SCORE, PortfolioReview

#: how a number of each column kind is printed (the workbook's EXCEL_FORMATS, in Python)
_SPECS: dict[str, str] = {MONEY: ",.0f", PERCENT: ".1%", SCORE: ".1f"}


def render_review(review: PortfolioReview, *, title: str = "Portfolio review") -> str:
    """The review as one HTML page (a string)."""
    run = review.run
    as_of = escape(run.as_of.isoformat())
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{escape(title)} {as_of}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)} {as_of}</h1>",
        f"<p class='muted'>Run {run.run_id} as of {as_of}, {escape(review.comparison)}. "
        "Read from the runs in the store; the workbook of the same name holds the same "
        "tables.</p>",
    ]
    parts += _summary(review)
    parts += _queues(review)
    parts += _movers(review)
    parts += _equity(review)
    parts += _impact(review)
    parts.append(
        "<p class='muted'>Made by riskseg report. Scores, segments and actions are explained "
        "in docs/scores.md, docs/segments.md and docs/playbook.md; the impact of actions in "
        "docs/impact.md.</p></body></html>"
    )
    return "\n".join(parts)


def table_html(table: pa.Table) -> str:
    """A table with every cell escaped; numbers right-aligned and printed by column kind."""
    kinds = [_kind(name, table.schema.field(name).type) for name in table.column_names]
    rows = [
        [_cell(v, kind) for v, kind in zip(row.values(), kinds, strict=True)]
        for row in table.to_pylist()
    ]
    numeric = {i for i, k in enumerate(kinds) if k not in ("text", "other")}
    return _table([n.replace("_", " ") for n in table.column_names], rows, numeric)


def _kind(name: str, t: pa.DataType) -> str:
    if name in COLUMN_KINDS:
        return COLUMN_KINDS[name]
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_floating(t):
        return "float"
    return "text" if pa.types.is_string(t) else "other"


def _cell(value: Any, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "&ndash;"
    if kind in _SPECS:
        return _fmt(value, _SPECS[kind])
    if kind == "int":
        return _fmt(value, ",d")
    if kind == "float":
        return _fmt(value, ",.2f")
    return escape(str(value))


def _section(anchor: str, heading: str, body: list[str]) -> list[str]:
    return [f"<section id='{escape(anchor)}'>", f"<h2>{escape(heading)}</h2>", *body, "</section>"]


def _summary(review: PortfolioReview) -> list[str]:
    run = review.run
    change, pct = review.change("customer_equity")
    if run.customer_equity is None:
        moved = "no CLV in this run"
    elif review.previous is None:
        moved = "first run"
    elif change is None:
        moved = "no CLV in the previous run"
    else:
        moved = f"{change:+,.0f}" + ("" if pct is None else f" ({pct:+.1%})")
    cards = (
        ("customers", f"{run.customers:,}"),
        ("open actions", f"{run.open_actions:,}"),
        ("customer equity", "–" if run.customer_equity is None else f"{run.customer_equity:,.0f}"),
        ("change of equity", moved),
    )
    return _section(
        "summary",
        "Summary",
        [
            "<div class='cards'>",
            *(f"<div class='card'><b>{escape(v)}</b>{escape(k)}</div>" for k, v in cards),
            "</div>",
            "<p>Customer equity is the sum of the customers' expected margin over the next 12 "
            "months (clv_12m); net of the cost to serve it is net_clv_12m.</p>",
            table_html(review.summary()),
        ],
    )


def _queues(review: PortfolioReview) -> list[str]:
    body = [
        "<p>Each department's open actions from this run, the most money at stake first "
        "(as <code>riskseg actions</code> lists them); control-group actions are measured, "
        "not carried out, and are left out.</p>"
    ]
    if not review.queues:
        body.append("<p>No open actions in this run.</p>")
    for owner, queue in review.queues.items():
        at_stake = sum(v or 0.0 for v in queue.column("expected_impact").to_pylist())
        body += [
            f"<section id='queue-{escape(owner)}'>",
            f"<h3>{escape(owner)}: {queue.num_rows:,} open actions, {_fmt(at_stake)} at stake</h3>",
            table_html(queue),
            "</section>",
        ]
    return _section("queues", "Department queues", body)


def _movers(review: PortfolioReview) -> list[str]:
    if review.previous is None:
        return _section(
            "movers", "Segment movers", ["<p>The first run: movements show from the next run.</p>"]
        )
    directions = review.movers.column("direction").to_pylist()
    worse, better = directions.count("worse"), directions.count("better")
    return _section(
        "movers",
        "Segment movers",
        [
            f"<p>Since run {review.previous.run_id}: {worse:,} customers moved to a worse cell "
            f"of the value x risk grid and {better:,} to a better one (risk first, then "
            "value).</p>",
            "<h3>Migration matrix</h3>",
            "<p class='muted'>Rows: the previous run's segment (new: not in it); columns: this "
            "run's (gone: not in it).</p>",
            table_html(review.migration),
            "<h3>Customers who moved</h3>",
            table_html(review.movers),
        ],
    )


def _equity(review: PortfolioReview) -> list[str]:
    return _section(
        "equity",
        "Customer equity by segment",
        [
            "<p>clv_12m summed per grid segment, this run and the previous one.</p>",
            table_html(review.segment_equity),
        ],
    )


def _impact(review: PortfolioReview) -> list[str]:
    body = [f"<p class='muted'>{escape(n)}.</p>" for n in review.impact_notes()]
    rows = review.impact_rows()
    if rows.num_rows:
        body += [
            "<p>difference: treated minus control, with its interval (shares as fractions: "
            "0.05 is 5 percentage points).</p>",
            table_html(rows),
        ]
    else:
        body.append("<p>No action has a fully observed outcome window yet.</p>")
    return _section("impact", "Impact of past actions", body)

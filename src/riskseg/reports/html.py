"""``report.html``: one self-contained page a manager reads after a run.

It names the segments and what to do in each, shows each department's queue with the money at
stake, who moved to a worse segment since the last run, which market segments do not pay for
their effort, and how far the models can be trusted. No JavaScript, no files fetched: the CSS
is inline and the charts are SVG, so the page opens from a mail attachment or a file share.
Every value that comes from data is escaped (``html.escape``), since names, reasons and
segment labels start in a user's export.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from riskseg.models.reasons import signal_values
from riskseg.runs import badness

if TYPE_CHECKING:
    from riskseg.pipeline import RunResult

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:72rem;
color:#1f2933;line-height:1.4;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:2px solid #e4e7eb}
h3{font-size:1.05rem;margin-bottom:.3rem}.muted{color:#616e7c}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.92rem}
th,td{border:1px solid #e4e7eb;padding:.3rem .55rem;text-align:left;vertical-align:top}
th{background:#f5f7fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.grid td{width:14rem;height:4.6rem}.grid .c0{background:#e3f9e5}.grid .c1{background:#fffbea}
.grid .c2{background:#ffe3e3}.cards{display:flex;gap:1rem;flex-wrap:wrap}
.card{border:1px solid #e4e7eb;border-radius:.4rem;padding:.6rem 1rem;min-width:10rem}
.card b{font-size:1.4rem;display:block}.flag{color:#ab091e;font-weight:600}
"""


def _fmt(value: Any, spec: str = ",.0f") -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "&ndash;"
    return escape(format(value, spec))


def _table(header: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _histogram(values: np.ndarray, *, bins: int = 20, width: int = 520, height: int = 140) -> str:
    """An SVG histogram of 0-100 scores."""
    known = values[~np.isnan(values)]
    counts, _ = np.histogram(known, bins=bins, range=(0, 100))
    top = max(int(counts.max()) if counts.size else 0, 1)
    bar = width / bins
    rects = []
    for i, c in enumerate(counts):
        h = (height - 20) * c / top
        colour = "#3ebd93" if i < 6 else "#f7c948" if i < 12 else "#e66a6a"
        rects.append(
            f'<rect x="{i * bar + 1:.1f}" y="{height - 20 - h:.1f}" width="{bar - 2:.1f}" '
            f'height="{h:.1f}" fill="{colour}"><title>{i * 5}-{i * 5 + 5}: {int(c)}</title></rect>'
        )
    labels = "".join(
        f'<text x="{x * width / 100:.0f}" y="{height - 4}" font-size="11">{x}</text>'
        for x in (0, 30, 60, 100)
    )
    return (
        f'<svg width="{width}" height="{height}" role="img" aria-label="risk score distribution">'
        + "".join(rects)
        + labels
        + "</svg>"
    )


def render_report(result: RunResult, *, title: str = "riskseg portfolio review") -> str:
    """The run as one HTML page (a string)."""
    t = result.scored
    status = t.column("status").to_pylist() if t.num_rows else []
    customer = np.array([s != "prospect" for s in status], dtype=bool)
    revenue = result.revenue_12m if result.revenue_12m is not None else np.zeros(t.num_rows)
    risk = signal_values(t, "risk_score")
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{escape(title)} {escape(result.as_of.isoformat())}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p class='muted'>As of {escape(result.as_of.isoformat())} &middot; run "
        f"{escape(str(result.run_id or '-'))} &middot; data {escape(result.fingerprint)}</p>",
    ]
    actions = result.actions.to_pylist() if result.actions is not None else []
    todo = [a for a in actions if not a.get("control")]
    parts.append("<div class='cards'>")
    for label, value in (
        ("customers", int(customer.sum())),
        ("prospects", int((~customer).sum())),
        ("high risk (60+)", int((customer & (risk >= 60)).sum())),
        ("actions to take", len(todo)),
        ("held out (control)", len(actions) - len(todo)),
    ):
        parts.append(f"<div class='card'><b>{value:,}</b>{escape(label)}</div>")
    parts.append("</div>")
    parts += _grid_section(t, customer, revenue)
    parts += ["<h3>Risk score distribution (customers)</h3>", _histogram(risk[customer])]
    parts += _payment_section(t, customer)
    parts += _queues_section(todo)
    parts += _movers_section(result)
    parts += _clusters_section(result)
    parts += _market_section(result)
    parts += _models_section(result)
    parts.append(
        "<p class='muted'>Made by riskseg. Scores, reasons and actions are explained in "
        "docs/scores.md and docs/playbook.md.</p></body></html>"
    )
    return "\n".join(parts)


def _grid_section(t: Any, customer: np.ndarray, revenue: np.ndarray) -> list[str]:
    from riskseg.segments.grid import CELLS

    if "segment" not in t.column_names:
        return []
    seg = t.column("segment").to_pylist()
    count: Counter[str] = Counter()
    rev: defaultdict[str, float] = defaultdict(float)
    for s, c, r in zip(seg, customer.tolist(), revenue.tolist(), strict=True):
        if c and s:
            count[s] += 1
            rev[s] += 0.0 if np.isnan(r) else r
    rows = []
    for value in ("high", "mid", "low"):
        cells = [f"<th>{escape(value)} value</th>"]
        for i, risk in enumerate(("low", "medium", "high")):
            name = f"{value}_value_{risk}_risk"
            strategy = CELLS[(value, risk)][1]
            cells.append(
                f"<td class='c{i}'><b>{count[name]:,}</b> customers<br>{_fmt(rev[name])} revenue"
                f"<br><span class='muted'>{escape(strategy)}</span></td>"
            )
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = "<tr><th></th><th>low risk</th><th>medium risk</th><th>high risk</th></tr>"
    out = [
        "<h2>Value x risk</h2>",
        "<p>Each cell: how many customers, their revenue over 12 months, and the default "
        "strategy.</p>",
        f"<table class='grid'><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>",
    ]
    other = [(s, n) for s, n in count.items() if badness(s) is None]
    if other:
        out.append(
            "<p class='muted'>Outside the grid: "
            + ", ".join(f"{escape(s)} {n:,}" for s, n in sorted(other))
            + "</p>"
        )
    return out


def _payment_section(t: Any, customer: np.ndarray) -> list[str]:
    if "payment_segment" not in t.column_names:
        return []
    seg = t.column("payment_segment").to_pylist()
    count = Counter(s for s, c in zip(seg, customer.tolist(), strict=True) if c and s)
    rows = [[escape(s), f"{n:,}"] for s, n in count.most_common()]
    return ["<h2>Payment behaviour</h2>", _table(["segment", "customers"], rows, {1})]


def _queues_section(todo: list[dict[str, Any]], per_owner: int = 15) -> list[str]:
    out = ["<h2>Department queues</h2>"]
    if not todo:
        return [*out, "<p>No actions proposed.</p>"]
    by_owner: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in todo:
        by_owner[str(a["owner"])].append(a)
    for owner in sorted(by_owner):
        queue = sorted(by_owner[owner], key=lambda a: -(a.get("expected_impact") or 0.0))
        total = sum(a.get("expected_impact") or 0.0 for a in queue)
        kinds = Counter(str(a["action"]) for a in queue)
        out.append(
            f"<h3>{escape(owner)}: {len(queue):,} actions, {_fmt(total)} at stake</h3>"
            f"<p class='muted'>{escape(', '.join(f'{k} {n}' for k, n in kinds.most_common()))}</p>"
        )
        rows = [
            [
                escape(str(a.get("action_id", ""))),
                escape(str(a["customer_id"])),
                escape(str(a["action"])),
                str(a["priority"]),
                _fmt(a.get("expected_impact")),
                escape(str(a["due_date"])),
                escape(str(a["reason"])),
            ]
            for a in queue[:per_owner]
        ]
        out.append(
            _table(["id", "customer", "action", "priority", "at stake", "due", "why"], rows, {4})
        )
    return out


def _movers_section(result: RunResult, top: int = 20) -> list[str]:
    m = result.migration
    out = ["<h2>Segment movers</h2>"]
    if m is None or m.previous_run is None:
        return [*out, "<p>The first run: movements show from the next run on.</p>"]
    moves = [r for r in m.transitions.to_pylist() if r["from_segment"] != r["to_segment"]]
    rows = [
        [escape(r["from_segment"]), escape(r["to_segment"]), f"{r['customers']:,}"]
        for r in moves[:15]
    ]
    out += [
        f"<p>Since run {m.previous_run}: {sum(r['customers'] for r in moves):,} customers changed "
        f"cell, {m.movers.num_rows:,} of them to a worse one.</p>",
        _table(["from", "to", "customers"], rows, {2}),
    ]
    if m.movers.num_rows:
        worse = [
            [
                escape(str(r["customer_id"])),
                escape(str(r["from_segment"])),
                escape(str(r["to_segment"])),
                _fmt(r["risk_before"]) + " &rarr; " + _fmt(r["risk_now"]),
                escape(str(r["reasons"] or "")),
            ]
            for r in m.movers.slice(0, top).to_pylist()
        ]
        out += [
            "<h3>Moved to a worse segment</h3>",
            _table(["customer", "from", "to", "risk score", "why now"], worse),
        ]
    return out


def _clusters_section(result: RunResult) -> list[str]:
    s = result.segments
    if s is None or s.clusters.num_rows == 0:
        return []
    rows = [
        [
            escape(str(r["name"])),
            f"{r['size']:,}",
            _fmt(100 * r["share"], ".0f") + "%",
            escape(str(r["description"] or "")),
        ]
        for r in s.clusters.to_pylist()
    ]
    return [
        "<h2>Behavioural clusters</h2>",
        f"<p class='muted'>{escape(s.cluster_choice.sentence())}</p>",
        _table(["cluster", "customers", "share", "what sets it apart"], rows, {1, 2}),
    ]


def _market_section(result: RunResult) -> list[str]:
    s = result.segments
    if s is None or s.market.num_rows == 0:
        return []
    rows = [
        [
            escape(str(r["dimension"])),
            escape(str(r["value"])),
            f"{r['customers']:,}",
            _fmt(r["revenue_12m"]),
            _fmt(r["net_contribution_12m"]),
            _fmt(None if r["late_payment_rate"] is None else 100 * r["late_payment_rate"], ".0f"),
            _fmt(None if r["churn_rate"] is None else 100 * r["churn_rate"], ".0f"),
            f"<span class='flag'>{escape(r['flag'])}</span>" if r["flag"] else "",
        ]
        for r in s.market.to_pylist()
    ]
    return [
        "<h2>Market segments</h2>",
        "<p>Returns and effort per industry, region and size band; flagged where the returns do "
        "not cover the effort.</p>",
        _table(
            [
                "by",
                "segment",
                "customers",
                "revenue 12m",
                "net contribution",
                "late %",
                "churn %",
                "flag",
            ],
            rows,
            {2, 3, 4, 5, 6},
        ),
    ]


def _models_section(result: RunResult) -> list[str]:
    out = ["<h2>How far the models can be trusted</h2>"]
    rows = [[escape(k), escape(v)] for k, v in result.basis.items()]
    out.append(_table(["score", "comes from"], rows))
    if result.backtest is not None:
        brows = []
        for r in result.backtest.results:
            if r.model is None:
                brows.append(
                    [escape(r.target), "&ndash;", "&ndash;", "&ndash;", escape(r.fallback or "")]
                )
                continue
            base = ", ".join(f"{k} {m.auc:.3f}" for k, m in r.baselines.items())
            brows.append(
                [
                    escape(r.target),
                    f"{r.model.auc:.3f}",
                    f"{r.model.top_decile_lift:.2f}",
                    f"{r.model.brier:.3f}",
                    escape(f"baselines AUC: {base}; test cut-off {r.test_cutoff}"),
                ]
            )
        out.append(_table(["model", "AUC", "lift top 10%", "Brier", "beside"], brows, {1, 2, 3}))
    for note in result.notes:
        out.append(f"<p class='muted'>Note: {escape(note)}</p>")
    return out

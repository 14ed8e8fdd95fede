"""The engine on hand-made customer rows: conditions, reasons, hard constraints, the exit
ladder, dismissals and control groups."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from riskseg.playbook.constraints import violations
from riskseg.playbook.engine import History, LadderState, evaluate
from riskseg.playbook.rules import PlaybookSettings

AS_OF = date(2025, 12, 31)


def _settings(*rules: dict[str, Any], quiet: int = 90, share: float = 0.0) -> PlaybookSettings:
    return PlaybookSettings.model_validate(
        {
            "version": 1,
            "dismissed_quiet_days": quiet,
            "control": {"share": share},
            "rules": list(rules),
        }
    )


def _facts(**columns: list[Any]) -> pa.Table:
    n = len(next(iter(columns.values())))
    base: dict[str, list[Any]] = {
        "customer_id": [f"C{i}" for i in range(n)],
        "regulated": [False] * n,
        "strategic": [False] * n,
        "net_contribution_12m": [0.0] * n,
    }
    base.update(columns)
    return pa.table(base)


EXIT = {
    "name": "unprofitable",
    "when": "net_contribution_12m < 0",
    "ladder": ["educate", "renegotiate", "migrate_channel", "exit_relationship"],
    "reason": "left {net_contribution_12m:,.0f}",
    "impact": "-net_contribution_12m",
}


def _actions(table: pa.Table) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in table.to_pylist():
        out.setdefault(r["customer_id"], []).append(r["action"])
    return out


def test_conditions_select_the_customers_and_fill_the_reason() -> None:
    rule = {
        "name": "late",
        "when": "days_late_mean_12m >= 30 AND overdue_balance > 0",
        "action": "dunning_strict",
        "reason": "paid {days_late_mean_12m:.0f} days late, {overdue_balance:,.0f} overdue, score {credit_score:.0f}",
        "due_in_days": 3,
        "parameters": {"first_reminder_days": 1},
        "impact": "overdue_balance * 0.5",
    }
    facts = _facts(
        days_late_mean_12m=[41.0, 12.0, None, 30.0],
        overdue_balance=[12_000.0, 5_000.0, 9_000.0, 100.0],
        credit_score=[55.0, 70.0, 60.0, None],
    )
    actions = evaluate(facts, _settings(rule), as_of=AS_OF)
    rows = {r["customer_id"]: r for r in actions.to_pylist()}
    assert set(rows) == {"C0", "C3"}  # C1 not late enough, C2 unknown lateness: no action
    assert rows["C0"]["reason"] == "paid 41 days late, 12,000 overdue, score 55"
    assert rows["C3"]["reason"] == "paid 30 days late, 100 overdue, score unknown"
    assert rows["C0"]["owner"] == "finance" and rows["C0"]["status"] == "proposed"
    assert rows["C0"]["due_date"] == AS_OF + timedelta(days=3)
    assert rows["C0"]["expected_impact"] == 6_000.0
    assert json.loads(rows["C0"]["parameters"]) == {"first_reminder_days": 1}


def test_regulated_customer_is_never_exited_it_gets_a_compliance_review() -> None:
    facts = _facts(net_contribution_12m=[-5_000.0, -5_000.0], regulated=[True, False])
    history = History(
        ladder={c: LadderState("migrate_channel", "done", -5_000.0) for c in ("C0", "C1")}
    )
    actions = evaluate(facts, _settings(EXIT), as_of=AS_OF, history=history)
    assert _actions(actions) == {"C0": ["compliance_review"], "C1": ["exit_relationship"]}
    row = actions.filter(pc.equal(actions.column("customer_id"), "C0")).to_pylist()[0]
    assert row["owner"] == "management" and "regulated customer" in row["reason"]
    assert json.loads(row["parameters"])["replaces"] == "exit_relationship"
    assert violations(actions, facts) == []


def test_strategic_customer_gets_no_price_increase_without_management() -> None:
    rule = {
        "name": "thin",
        "when": "margin_pct_12m < 0.1",
        "action": "price_increase",
        "reason": "margin {margin_pct_12m:.0%}",
        "parameters": {"increase_pct": 0.05},
        "impact": "revenue_12m * {increase_pct}",
    }
    facts = _facts(margin_pct_12m=[0.02, 0.02], revenue_12m=[1e6, 1e6], strategic=[True, False])
    actions = evaluate(facts, _settings(rule), as_of=AS_OF)
    assert _actions(actions) == {"C0": ["management_review"], "C1": ["price_increase"]}
    reason = (
        actions.to_pylist()[0]["reason"] if actions.to_pylist()[0]["customer_id"] == "C0" else ""
    )
    assert "strategic account: price_increase only with management's approval" in reason
    assert actions.column("expected_impact").to_pylist() == [50_000.0, 50_000.0]
    # what violations() would catch if a constraint were skipped
    raw = pa.table({"customer_id": ["C0"], "action": ["price_increase"]})
    assert violations(raw, facts) == [
        "C0: strategic customer proposed price_increase without management review"
    ]


@pytest.mark.parametrize(
    ("state", "now", "expected"),
    [
        (None, -100.0, "educate"),  # first time on the ladder
        (LadderState("educate", "proposed", -100.0), -100.0, None),  # still open: nothing new
        (LadderState("educate", "done", -100.0), -120.0, "renegotiate"),  # done, no better
        (LadderState("educate", "done", -100.0), -40.0, None),  # done and it improved
        (LadderState("renegotiate", "done", -100.0), -100.0, "migrate_channel"),
        (LadderState("exit_relationship", "done", -100.0), -100.0, None),  # end of the ladder
    ],
)
def test_the_ladder_climbs_one_stage_at_a_time(
    state: LadderState | None, now: float, expected: str | None
) -> None:
    history = History(ladder={} if state is None else {"C0": state})
    if state is not None and state.status == "proposed":
        history.open.add(("C0", state.action))
    actions = evaluate(
        _facts(net_contribution_12m=[now]), _settings(EXIT), as_of=AS_OF, history=history
    )
    assert _actions(actions).get("C0", [None]) == [expected]
    if expected:
        params = json.loads(actions.column("parameters")[0].as_py())
        assert params["ladder_stage"] == EXIT["ladder"].index(expected) + 1
        assert params["net_contribution_12m"] == now


def test_a_dismissed_action_stays_quiet_unless_its_reason_changed() -> None:
    rules = [
        {"name": "late", "when": "late", "action": "dunning_strict", "reason": "late"},
        {"name": "disputes", "when": "disputes", "action": "dunning_strict", "reason": "disputes"},
    ]
    facts = _facts(late=[True, True, False], disputes=[False, False, True])
    history = History(
        dismissed={
            ("C0", "dunning_strict"): ("late", AS_OF - timedelta(days=30)),  # quiet
            ("C1", "dunning_strict"): ("late", AS_OF - timedelta(days=120)),  # quiet time over
            ("C2", "dunning_strict"): ("late", AS_OF - timedelta(days=10)),  # new reason
        }
    )
    actions = evaluate(facts, _settings(*rules), as_of=AS_OF, history=history)
    assert sorted(_actions(actions)) == ["C1", "C2"]


def test_one_action_per_customer_and_code_the_most_urgent_rule_wins() -> None:
    rules = [
        {"name": "a", "when": "x > 0", "action": "dunning_strict", "reason": "a", "priority": 2},
        {"name": "b", "when": "x > 1", "action": "dunning_strict", "reason": "b", "priority": 1},
    ]
    actions = evaluate(_facts(x=[1.0, 2.0]), _settings(*rules), as_of=AS_OF)
    assert {r["customer_id"]: r["rule"] for r in actions.to_pylist()} == {"C0": "a", "C1": "b"}


def test_control_groups_are_drawn_per_action_and_stable() -> None:
    rule = {"name": "all", "when": "TRUE", "action": "retention_outreach", "reason": "x"}
    duty = {"name": "red", "when": "TRUE", "action": "management_review", "reason": "x"}
    facts = _facts(x=[1.0] * 4000)
    first = evaluate(facts, _settings(rule, duty, share=0.2), as_of=AS_OF)
    again = evaluate(facts, _settings(rule, duty, share=0.2), as_of=AS_OF)
    assert first.column("control").to_pylist() == again.column("control").to_pylist()
    by = {
        a: [r["control"] for r in first.to_pylist() if r["action"] == a]
        for a in ("retention_outreach", "management_review")
    }
    assert 0.17 < sum(by["retention_outreach"]) / 4000 < 0.23
    assert not any(by["management_review"])  # a management duty is never held out

"""The playbook file: the shipped one uses every action code, and a bad one is refused clearly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from riskseg.cli_actions import fact_column_names
from riskseg.config import SettingsError
from riskseg.playbook.rules import (
    ACTION_CODES,
    check_rule_columns,
    compile_condition,
    default_playbook_path,
    load_playbook,
)

RISKSEG = str(Path(sys.executable).with_name("riskseg"))
COLUMNS = {"overdue_balance", "strategic", "payment_segment", "days_late_mean_12m"}


def test_shipped_playbook_uses_every_action_code_and_knows_its_columns() -> None:
    settings = load_playbook()
    used = {a for rule in settings.rules for a in rule.actions}
    assert used == set(ACTION_CODES)
    # every condition, impact, reason and carried column names a column riskseg has
    assert len(check_rule_columns(settings, fact_column_names(), "shipped")) == len(settings.rules)


def test_fixed_date_payers_never_get_strict_dunning_for_that_pattern_alone() -> None:
    rules = {r.name: r for r in load_playbook().rules}
    strict = [
        r for r in rules.values() if {"dunning_strict", "require_prepayment"} & set(r.actions)
    ]
    assert strict and all("fixed_date_payer" not in r.when for r in strict)
    assert rules["fixed_date_payer"].action == "dunning_after_usual_pay_date"


def test_conditions_compile_to_quoted_sql() -> None:
    sql = compile_condition(
        "payment_segment IN ('disputer', 'chronically_late') AND NOT strategic", COLUMNS, where="r"
    )
    assert sql == "\"payment_segment\" IN ('disputer', 'chronically_late') AND NOT \"strategic\""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("overdue_balanse > 0", "did you mean overdue_balance"),
        ("(SELECT 1) = 1", "uses SUBQUERY, which is not allowed"),
        ("read_csv('/etc/passwd') IS NOT NULL", "is not allowed"),
        ("overdue_balance > 0; DROP TABLE actions", "which is not allowed"),
        ("t.overdue_balance > 0", "write overdue_balance"),
        ("overdue_balance >", "does not parse"),
    ],
)
def test_conditions_outside_the_grammar_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        compile_condition(text, COLUMNS, where="rules.0 (x).when")
    assert message in str(info.value) and "rules.0 (x).when" in str(info.value)


def _playbook(tmp_path: Path, edit: tuple[str, str] | None = None) -> Path:
    text = default_playbook_path().read_text(encoding="utf-8")
    if edit:
        assert edit[0] in text
        text = text.replace(*edit, 1)
    path = tmp_path / "my-playbook.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("action: dunning_strict", "action: dunning_hard"), "unknown action 'dunning_hard'"),
        (("priority: 3\n", "prio: 3\n"), "prio: unknown key"),
        (("owner: sales\n", "owner: marketing\n"), "owner must be one of"),
        (("dismissed_quiet_days: 90", "dismissed_quiet_days: -1"), "dismissed_quiet_days"),
        (("share: 0.10", "share: 1.5"), "control.share"),
    ],
)
def test_a_bad_playbook_names_the_line_and_the_key(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    path = _playbook(tmp_path, edit)
    with pytest.raises(SettingsError) as info:
        load_playbook(path)
    text = str(info.value)
    assert message in text and str(path) in text and "line " in text
    # the line named is the line of the edit
    line = int(text.split("line ", 1)[1].split(",", 1)[0])
    assert edit[1].split(":")[0].strip() in path.read_text().splitlines()[line - 1]


def test_playbook_check_refuses_an_unknown_column_with_exit_2(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "120"}
    good = _playbook(tmp_path)
    done = subprocess.run(
        [RISKSEG, "playbook", "--check", str(good)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0 and "valid" in done.stdout
    bad = _playbook(tmp_path, ("overdue_balance >= 25000 OR", "overdue_balanc >= 25000 OR"))
    done = subprocess.run(
        [RISKSEG, "playbook", "--check", str(bad)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2
    assert "large_overdue_senior_collector" in done.stderr and "overdue_balanc" in done.stderr
    line = (
        bad.read_text()
        .splitlines()
        .index(next(x for x in bad.read_text().splitlines() if "overdue_balanc >=" in x))
        + 1
    )
    assert f"line {line}," in done.stderr.replace("\n", "")
    assert "Traceback" not in done.stderr

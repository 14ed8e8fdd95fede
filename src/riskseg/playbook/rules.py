"""Playbook rules: conditions on signals, scores and segments -> an action with its owner.

A rule is data (``playbook.yaml``): ``when`` is a condition in SQL's expression syntax over the
columns of one customer row (``payment_segment = 'chronically_late' AND overdue_balance >
25000``), ``impact`` an expression for the money at stake that ranks the department's queue.
Conditions come from a user's file and run inside DuckDB, so they are parsed with sqlglot and
only a small grammar is let through (names of known columns, literals, arithmetic,
comparisons, AND/OR/NOT, IN, BETWEEN, IS NULL, CASE, COALESCE, LEAST/GREATEST, ABS): no
subqueries, no functions that touch files, no statements. Every name is checked against the
columns a customer row has, and errors name the file, the line and the rule.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import sqlglot
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlglot import exp

from riskseg.config import load_settings
from riskseg.playbook.control import ControlSettings

#: the action codes of the built-in playbook (DATA_CONTRACT.md), and who owns each by default
ACTION_CODES: dict[str, str] = {
    "retention_outreach": "sales",
    "executive_follow_up": "management",
    "protect_and_grow": "sales",
    "reduce_service_level": "service",
    "migrate_channel": "sales",
    "price_increase": "sales",
    "charge_nre": "sales",
    "require_prepayment": "finance",
    "reduce_credit_limit": "finance",
    "dunning_after_usual_pay_date": "finance",
    "dunning_strict": "finance",
    "assign_senior_collector": "finance",
    "assign_junior_collector": "finance",
    "qualify_before_quote": "sales",
    "management_review": "management",
    "educate": "sales",
    "renegotiate": "sales",
    "exit_relationship": "management",
    "compliance_review": "management",
    "reject_prospect": "sales",
}

OWNERS: tuple[str, ...] = ("finance", "sales", "service", "management", "hr")

#: actions that hold a customer back; on-time core customers should rarely get them
RESTRICTIVE: frozenset[str] = frozenset(
    {
        "require_prepayment",
        "reduce_credit_limit",
        "dunning_strict",
        "price_increase",
        "reduce_service_level",
        "exit_relationship",
        "reject_prospect",
    }
)

_ALLOWED: tuple[type[exp.Expression], ...] = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Null,
    exp.Boolean,
    exp.Paren,
    exp.Neg,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Mod,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.And,
    exp.Or,
    exp.Not,
    exp.Is,
    exp.In,
    exp.Between,
    exp.Case,
    exp.If,
    exp.Coalesce,
    exp.Abs,
    exp.Greatest,
    exp.Least,
    exp.Tuple,
)


def compile_condition(text: str, columns: set[str], *, where: str) -> str:
    """DuckDB SQL for a rule's condition or impact, checked against ``columns``.

    Raises ``ValueError`` (turned into a settings error with the line) for anything outside
    the grammar or a name that is not a column.

    >>> compile_condition("overdue_balance > 25000 AND strategic", {"overdue_balance",
    ...                   "strategic"}, where="rule x")
    '"overdue_balance" > 25000 AND "strategic"'
    """
    try:
        tree = sqlglot.parse_one(text, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise ValueError(f"{where}: {text!r} does not parse: {exc}") from None
    for node in tree.walk():
        if not isinstance(node, _ALLOWED):
            raise ValueError(
                f"{where}: {text!r} uses {node.key.upper()}, which is not allowed; use column "
                "names, numbers, 'text', + - * /, comparisons, AND/OR/NOT, IN, BETWEEN, IS NULL, "
                "CASE, COALESCE, LEAST, GREATEST, ABS"
            )
        if isinstance(node, exp.Column):
            if node.table:
                raise ValueError(f"{where}: {text!r}: write {node.name}, not {node.sql()}")
            if node.name not in columns:
                import difflib

                close = difflib.get_close_matches(node.name, columns, n=3, cutoff=0.6)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                raise ValueError(
                    f"{where}: {text!r} names {node.name!r}, which is not a column{hint}"
                )

    def quote(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column):
            return exp.column(node.name, quoted=True)
        return node

    return str(tree.transform(quote).sql(dialect="duckdb"))


class Rule(BaseModel):
    """One rule of the playbook (see the shipped ``playbook.yaml`` for every key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    when: str
    action: str | None = None
    #: instead of one action, a ladder: one stage at a time, the next only when the previous
    #: was done and nothing improved
    ladder: list[str] | None = None
    owner: str | None = None
    priority: int = Field(default=2, ge=1, le=3)
    due_in_days: int = Field(default=14, ge=0, le=365)
    reason: str
    parameters: dict[str, float | int | str | bool] = Field(default_factory=dict)
    #: row columns whose values are kept with the action (e.g. the usual pay day)
    carry: list[str] = Field(default_factory=list)
    impact: str = "0"

    @field_validator("action")
    @classmethod
    def _known_action(cls, v: str | None) -> str | None:
        if v is not None and v not in ACTION_CODES:
            raise ValueError(
                f"unknown action {v!r}; the action codes are {', '.join(ACTION_CODES)}"
            )
        return v

    @field_validator("ladder")
    @classmethod
    def _known_ladder(cls, v: list[str] | None) -> list[str] | None:
        if v is not None:
            unknown = [a for a in v if a not in ACTION_CODES]
            if unknown or len(v) < 2:
                raise ValueError(f"a ladder needs two or more known action codes, got {v}")
        return v

    @field_validator("owner")
    @classmethod
    def _known_owner(cls, v: str | None) -> str | None:
        if v is not None and v not in OWNERS:
            raise ValueError(f"owner must be one of {', '.join(OWNERS)}, not {v!r}")
        return v

    @model_validator(mode="after")
    def _one_of(self) -> Rule:
        if (self.action is None) == (self.ladder is None):
            raise ValueError(f"rule {self.name}: give either action or ladder")
        return self

    @property
    def actions(self) -> list[str]:
        return list(self.ladder) if self.ladder else [str(self.action)]

    def owner_of(self, action: str) -> str:
        return self.owner or ACTION_CODES[action]


class PlaybookSettings(BaseModel):
    """What ``playbook.yaml`` holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    #: a dismissed action is not proposed again for this long unless its reason changed
    dismissed_quiet_days: int = Field(default=90, ge=0, le=3650)
    #: control groups: the share of each action's customers held out to measure its impact
    control: ControlSettings = Field(default_factory=ControlSettings)
    rules: list[Rule] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> PlaybookSettings:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise ValueError(f"rule name {rule.name!r} is used twice")
            seen.add(rule.name)
        return self


def default_playbook_path() -> Path:
    """The shipped ``playbook.yaml``."""
    return Path(str(resources.files("riskseg.playbook").joinpath("playbook.yaml")))


def load_playbook(path: str | os.PathLike[str] | None = None) -> PlaybookSettings:
    """Validate a playbook file (default: the shipped one); errors name the key and line."""
    return load_settings(path or default_playbook_path(), PlaybookSettings)


def reason_fields(template: str) -> list[str]:
    """The names a reason template formats (``{overdue_balance:,.0f}`` -> overdue_balance)."""
    import string

    return [f for _, f, _, _ in string.Formatter().parse(template) if f]


def fill_parameters(expression: str, parameters: dict[str, Any]) -> str:
    """``{increase_pct}`` in an impact expression -> the rule's parameter value.

    >>> fill_parameters("revenue_12m * {increase_pct}", {"increase_pct": 0.05})
    'revenue_12m * 0.05'
    """
    for name, value in parameters.items():
        expression = expression.replace("{" + name + "}", repr(value))
    return expression


def check_rule_columns(settings: PlaybookSettings, columns: set[str], origin: str) -> list[Any]:
    """Compile every rule's condition and impact against ``columns``; errors name the rule."""
    from riskseg.config import SettingsError

    compiled = []
    problems = []
    from riskseg.config import line_of

    is_file = Path(origin).is_file()
    for i, rule in enumerate(settings.rules):
        line = line_of(origin, ("rules", i, "when")) if is_file else None
        where = (f"line {line}, " if line else "") + f"rules.{i} ({rule.name})"
        try:
            when = compile_condition(rule.when, columns, where=f"{where}.when")
            impact = compile_condition(
                fill_parameters(rule.impact, rule.parameters), columns, where=f"{where}.impact"
            )
            params = set(rule.parameters)
            missing = [f for f in reason_fields(rule.reason) if f not in columns | params]
            missing += [c for c in rule.carry if c not in columns]
            if missing:
                raise ValueError(f"{where}: reason or carry names unknown columns {missing}")
            compiled.append((rule, when, impact))
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise SettingsError(f"{origin}: " + "; ".join(problems))
    return compiled

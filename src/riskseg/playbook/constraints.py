"""Hard constraints: what no rule of any playbook can override.

- A **regulated** customer (the relationship may only end for legal or compliance reasons)
  never gets ``exit_relationship``: it gets ``compliance_review`` instead.
- A **strategic** customer gets no ``exit_relationship`` or ``price_increase`` without
  ``management_review``: the action becomes a ``management_review`` that names it.
- (In :mod:`riskseg.playbook.engine`) an action a person dismissed is not proposed again for
  ``dismissed_quiet_days`` unless its reason changed.

They live in code, not in ``playbook.yaml``, so that editing a playbook cannot switch them off;
:func:`violations` is what the tests assert is always empty.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from riskseg.playbook.rules import ACTION_CODES, PlaybookSettings

#: actions a strategic customer gets only through management
NEEDS_MANAGEMENT: frozenset[str] = frozenset({"exit_relationship", "price_increase"})


def _flags(facts: pa.Table, name: str, customers: set[str]) -> set[str]:
    if name not in facts.column_names or not customers:
        return set()
    ids = facts.column("customer_id").to_pylist()
    values = facts.column(name).to_pylist()
    return {c for c, v in zip(ids, values, strict=True) if v and c in customers}


def apply_constraints(
    rows: list[dict[str, Any]], facts: pa.Table, settings: PlaybookSettings
) -> list[dict[str, Any]]:
    """The proposed actions with the hard constraints applied (a new list)."""
    del settings  # the constraints do not depend on the playbook, by design
    touched = {str(r["customer_id"]) for r in rows if r["action"] in NEEDS_MANAGEMENT}
    regulated = _flags(facts, "regulated", touched)
    strategic = _flags(facts, "strategic", touched)
    out = []
    for row in rows:
        customer, action = str(row["customer_id"]), str(row["action"])
        if action == "exit_relationship" and customer in regulated:
            row = _replace(
                row,
                "compliance_review",
                "regulated customer: the relationship may only end for legal or compliance "
                "reasons, so exit_relationship is not proposed; compliance reviews instead. ",
            )
        elif action in NEEDS_MANAGEMENT and customer in strategic:
            row = _replace(
                row,
                "management_review",
                f"strategic account: {action} only with management's approval. ",
            )
        out.append(row)
    return out


def _replace(row: dict[str, Any], action: str, why: str) -> dict[str, Any]:
    raw = row["parameters"]
    params = json.loads(raw) if isinstance(raw, str) else dict(raw)
    params["replaces"] = row["action"]
    return {
        **row,
        "action": action,
        "owner": ACTION_CODES[action],
        "priority": 1,
        "reason": why + "Proposed: " + str(row["reason"]),
        "parameters": params,
    }


def violations(actions: pa.Table, facts: pa.Table) -> list[str]:
    """Every action in ``actions`` that breaks a hard constraint, in words (empty = none)."""
    ids = facts.column("customer_id").to_pylist()

    def flag(name: str) -> dict[str, bool]:
        if name not in facts.column_names:
            return {}
        return dict(zip(ids, (bool(v) for v in facts.column(name).to_pylist()), strict=True))

    regulated, strategic = flag("regulated"), flag("strategic")
    found = []
    for row in actions.select(["customer_id", "action"]).to_pylist():
        c, a = row["customer_id"], row["action"]
        if a == "exit_relationship" and regulated.get(c):
            found.append(f"{c}: regulated customer proposed exit_relationship")
        if a in NEEDS_MANAGEMENT and strategic.get(c):
            found.append(f"{c}: strategic customer proposed {a} without management review")
    return found

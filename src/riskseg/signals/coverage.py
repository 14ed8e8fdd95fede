"""Coverage: which families had data for the customer, so that missing is never read as zero."""

from __future__ import annotations

from riskseg.signals.registry import declare

F = "coverage"

#: family -> the tables whose rows (up to as_of) make it covered
COVERED_BY: dict[str, tuple[str, ...]] = {
    "payment": ("invoices",),
    "value": ("orders",),
    "cost_to_serve": ("interactions",),
    "sales": ("quotes",),
    "engagement": ("interactions",),
    "external": ("credit_reports",),
    "flags": ("flags",),
    "loyalty": ("surveys",),
}

for _family, _tables in COVERED_BY.items():
    declare(
        f"coverage_{_family}",
        F,
        unit="yes/no",
        dtype="boolean",
        direction="neutral",
        inputs=tuple(f"{t}.customer_id" for t in _tables),
        meaning=f"The customer has {' or '.join(_tables)} rows up to as_of, so its "
        f"{_family.replace('_', ' ')} signals mean something.",
        formula=f"exists({' or '.join(_tables)} row of the customer dated <= as_of)",
    )
declare(
    "families_covered",
    F,
    unit="families",
    dtype="int64",
    direction="neutral",
    inputs=("customers.customer_id",),
    meaning=f"How many of the {len(COVERED_BY)} data families have data for the customer.",
    formula="count(coverage_* that are true)",
)

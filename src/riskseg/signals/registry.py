"""The signal registry: every signal declared once, read by the code, the docs and the CLI.

A family module declares its signals at import time with :func:`declare` and builds them in
one relational expression. ``compute_signals`` checks that what a family builds is exactly
what it declared, and ``tests/signals/test_registry.py`` checks that every declared signal is
documented and hand-tested, so a signal cannot exist without its meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from riskseg.errors import InputError

Direction = Literal["risk", "safe", "neutral"]
DType = Literal["float64", "int64", "string", "boolean"]

#: Families in the order their columns appear in the output.
FAMILY_ORDER: tuple[str, ...] = (
    "payment",
    "value",
    "cost_to_serve",
    "sales",
    "engagement",
    "external",
    "flags",
    "loyalty",
    "peer",
    "coverage",
)

FAMILY_MEANING: dict[str, str] = {
    "payment": "How the customer pays: lateness, open and overdue balances, disputes, write-offs, "
    "the usual pay day, partial payments and broken promises.",
    "value": "What the customer brings: revenue and margin, trends, recency and frequency "
    "(RFM as in Fader, Hardie & Lee 2005), order rhythm, returns and ABC class.",
    "cost_to_serve": "What the customer costs to serve: service events, staff effort at an "
    "hourly cost, and the net contribution left after it.",
    "sales": "How the customer buys: quotes, win rate, discounts, quotes per order and the "
    "value of lost quotes (quote shoppers).",
    "engagement": "Whether the customer still engages: meetings held and missed, campaign "
    "responses and their trend, last engagement, lapsed certifications.",
    "external": "What credit bureaus say: score and its change, probability of default, debts "
    "elsewhere, insolvency and the age of the report.",
    "flags": "Qualitative red flags made measurable: active flags by category and severity. "
    "Expired flags do not count.",
    "loyalty": "The Loyalty Matrix from surveys: loyal, accessible, trapped and high-risk "
    "contacts, and whether a key contact is high risk.",
    "peer": "Base rates of the customer's peers (same industry, region, size band), computed "
    "from history with the customer itself left out.",
    "coverage": "Which families had data for the customer. Missing is missing, never zero.",
}

#: What ``direction`` means, for docs and help.
DIRECTION_MEANING: dict[str, str] = {
    "risk": "higher = riskier",
    "safe": "higher = safer",
    "neutral": "neither; read with other signals",
}


@dataclass(frozen=True)
class Signal:
    """One per-customer signal.

    ``meaning`` is one line a credit manager understands; ``formula`` says exactly how it is
    computed (shown by ``riskseg signals --explain``). Windows are written with the default
    lengths; :class:`~riskseg.signals.config.SignalConfig` changes them.
    """

    name: str
    family: str
    unit: str
    meaning: str
    inputs: tuple[str, ...]
    direction: Direction
    dtype: DType
    formula: str = ""
    #: when the value is NULL although the family has data for the customer
    null_when: str = ""
    tags: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        """A multi-line explanation for ``riskseg signals --explain``."""
        lines = [
            f"{self.name}  ({self.family} family)",
            f"  meaning:   {self.meaning}",
            f"  unit:      {self.unit}",
            f"  direction: {self.direction} ({DIRECTION_MEANING[self.direction]})",
            f"  inputs:    {', '.join(self.inputs)}",
        ]
        if self.formula:
            lines.append(f"  formula:   {self.formula}")
        lines.append(
            "  missing:   empty when the customer has no rows in "
            + " / ".join(sorted({i.split(".")[0] for i in self.inputs}))
            + " up to as_of"
            + (f"; also empty when {self.null_when}" if self.null_when else "")
        )
        return "\n".join(lines)


REGISTRY: dict[str, Signal] = {}


def declare(
    name: str,
    family: str,
    *,
    unit: str,
    meaning: str,
    inputs: tuple[str, ...],
    direction: Direction,
    dtype: DType = "float64",
    formula: str = "",
    null_when: str = "",
) -> Signal:
    """Register one signal; a name can be declared only once."""
    if family not in FAMILY_ORDER:
        raise ValueError(f"signal {name!r}: unknown family {family!r}")
    if name in REGISTRY:
        raise ValueError(f"signal {name!r} is declared twice")
    sig = Signal(name, family, unit, meaning, inputs, direction, dtype, formula, null_when)
    REGISTRY[name] = sig
    return sig


def family_signals(family: str) -> list[Signal]:
    """The signals of one family, in declaration order."""
    return [s for s in REGISTRY.values() if s.family == family]


def get_signal(name: str) -> Signal:
    """The signal called ``name``; an unknown name is an input error with the nearest names."""
    try:
        return REGISTRY[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, REGISTRY, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise InputError(
            f"unknown signal {name!r}.{hint} `riskseg signals --list` shows all "
            f"{len(REGISTRY)} signals."
        ) from None

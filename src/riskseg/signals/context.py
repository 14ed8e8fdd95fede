"""The point-in-time view of the contract tables that every signal family reads.

Whatever engine holds the data (the DuckDB store, PostgreSQL, Spark, ...), the families see
the same thing: the contract tables as Ibis expressions, typed as the contract says, with every
date also given as a day number (``<column>_day``, days since 1970-01-01) so that windows are
integer comparisons on every engine, and with nothing dated after ``as_of``:

* rows dated after ``as_of`` are left out (an invoice issued, an order placed, a flag raised,
  a report or survey dated later does not exist yet);
* an invoice paid after ``as_of`` is open at ``as_of``: its ``paid_date`` reads as empty;
* a customer whose ``customer_since`` is after ``as_of`` is not a customer yet.

Columns without a date of their own (``invoices.disputed``, ``invoices.written_off``,
``quotes.status``) are read as they are now; the docs say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir
from pydantic import BaseModel, ConfigDict, Field, model_validator

from riskseg.contract import TABLES
from riskseg.errors import InputError
from riskseg.signals import days

EPOCH = date(1970, 1, 1)

#: contract type -> Ibis type every engine is read as
_IBIS_TYPES: dict[str, str] = {
    "str": "string",
    "int": "int64",
    "decimal": "float64",
    "score": "float64",
    "date": "date",
    "bool": "boolean",
}

#: the date column that decides whether a row exists at ``as_of``
_EVENT_DATE: dict[str, str] = {
    "invoices": "issue_date",
    "payments": "payment_date",
    "orders": "order_date",
    "quotes": "quote_date",
    "interactions": "date",
    "credit_reports": "report_date",
    "flags": "date",
    "surveys": "date",
}


class SignalConfig(BaseModel):
    """Windows and costs the signals use. Every field has a default a small firm can keep.

    >>> SignalConfig(long_window_days=180).long_window_days
    180
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    short_window_days: int = Field(default=90, ge=7, description="recent window for trends")
    long_window_days: int = Field(default=365, ge=28, description="main window ('12 months')")
    hourly_cost: float = Field(default=60.0, ge=0, description="cost of one hour of staff effort")
    late_days: int = Field(
        default=30, ge=1, description="days late that make an invoice 'late' for peers"
    )
    loyalty_high: float = Field(
        default=7.0, ge=0, le=10, description="survey score counted as high"
    )
    pay_day_tolerance: int = Field(
        default=2, ge=0, le=10, description="days around the usual pay day"
    )
    pay_day_min_payments: int = Field(
        default=3, ge=2, description="paid invoices needed for a pay day"
    )

    @model_validator(mode="after")
    def _windows_nest(self) -> SignalConfig:
        if self.short_window_days >= self.long_window_days:
            raise ValueError(
                f"short_window_days ({self.short_window_days}) must be shorter than "
                f"long_window_days ({self.long_window_days})"
            )
        return self


def day_number(d: date) -> int:
    """Days since 1970-01-01, the unit every window is computed in."""
    return (d - EPOCH).days


@dataclass
class Context:
    """What a family builds from: point-in-time tables, ``as_of`` as a day number, settings."""

    as_of: date
    config: SignalConfig
    tables: dict[str, ir.Table]
    #: the signals asked for; None = all (families skip query blocks nobody needs)
    signals: frozenset[str] | None = None
    #: the store's ``order_days`` table when it is in step with ``orders`` (not cut at as_of)
    stored_order_days: ir.Table | None = None

    def wants(self, *names: str) -> bool:
        """Whether any of these signals is asked for."""
        return self.signals is None or any(n in self.signals for n in names)

    @property
    def today(self) -> int:
        """``as_of`` as a day number."""
        return day_number(self.as_of)

    @property
    def long(self) -> int:
        return self.config.long_window_days

    @property
    def short(self) -> int:
        return self.config.short_window_days

    def has(self, *names: str) -> bool:
        """Whether every one of these tables exists in the source."""
        return all(n in self.tables for n in names)

    def t(self, name: str) -> ir.Table:
        return self.tables[name]

    def order_days(self, *, with_prev: bool = True) -> ir.Table:
        """The purchase days up to ``as_of`` (:mod:`riskseg.signals.days`), one row per
        customer and day: the store's table when it has one in step, else derived from
        ``orders`` (``with_prev=False``: without ``prev_purchase_day``, which costs a window).
        """
        if self.stored_order_days is not None:
            return days.stored(self.stored_order_days, self.today)
        return days.derive(self.t("orders"), with_prev=with_prev)

    def within(self, day: ir.IntegerValue, days: int, *, offset: int = 0) -> ir.BooleanValue:
        """``day`` falls in the ``days`` days ending ``offset`` days before ``as_of``.

        ``within(d, 365)`` is the last 365 days including ``as_of``; ``within(d, 275, offset=90)``
        the 275 days before those 90.
        """
        end = self.today - offset
        return (day > end - days) & (day <= end)


def _typed(name: str, raw: ir.Table, source: str) -> ir.Table:
    """The contract columns of ``raw``, cast to contract types; absent optional ones are NULL."""
    spec = TABLES[name]
    present = {c.lower(): c for c in raw.columns}
    cols: dict[str, Any] = {}
    for col in spec.columns:
        ibis_type = _IBIS_TYPES[col.type]
        if col.name.lower() in present:
            cols[col.name] = raw[present[col.name.lower()]].cast(ibis_type)
        elif col.required:
            raise InputError(
                f"{source}: table {name!r} has no column {col.name!r}, which the contract "
                f"requires (columns found: {', '.join(raw.columns)})"
            )
        else:
            cols[col.name] = ibis.null().cast(ibis_type)
        if col.type == "date":
            cols[col.name + "_day"] = cols[col.name].epoch_days().cast("int64")
    return raw.select(**cols)


def point_in_time(tables: dict[str, ir.Table], as_of: date, source: str) -> dict[str, ir.Table]:
    """Typed tables with nothing after ``as_of`` (see the module docstring)."""
    today = day_number(as_of)
    out: dict[str, ir.Table] = {}
    for name, raw in tables.items():
        t = _typed(name, raw, source)
        if name in _EVENT_DATE:
            t = t.filter(t[_EVENT_DATE[name] + "_day"] <= today)
        if name == "customers":
            t = t.filter(t.customer_since_day.isnull() | (t.customer_since_day <= today))
        if name == "invoices":
            later = t.paid_date_day > today
            t = t.mutate(
                paid_date=ibis.ifelse(later, ibis.null().cast("date"), t.paid_date),
                paid_date_day=ibis.ifelse(later, ibis.null().cast("int64"), t.paid_date_day),
            )
        out[name] = t
    return out

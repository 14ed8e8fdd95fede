"""The data contract: the tables users export and the rules every row must meet.

This module is the single source of truth for table and column names, types, keys,
foreign keys, enumerations and ranges (``shared/design/DATA_CONTRACT.md``). The store's
schema, the importer's validation, the mapping suggester and the demo company all read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["str", "int", "decimal", "date", "bool", "score"]

#: DuckDB type used to store each contract type. Money is DOUBLE: riskseg sums and
#: compares amounts, it does not keep books, and DOUBLE moves to Arrow/pandas without copies.
SQL_TYPES: dict[ColumnType, str] = {
    "str": "VARCHAR",
    "int": "BIGINT",
    "decimal": "DOUBLE",
    "date": "DATE",
    "bool": "BOOLEAN",
    "score": "DOUBLE",
}


@dataclass(frozen=True)
class Column:
    """One column of a contract table."""

    name: str
    type: ColumnType
    required: bool = False
    meaning: str = ""
    #: allowed values (compared after trimming and lower-casing)
    enum: tuple[str, ...] | None = None
    #: value stored instead of rejecting an unknown enumeration value (reported, not dropped)
    enum_fallback: str | None = None
    #: inclusive numeric range
    min: float | None = None
    max: float | None = None
    #: table whose key this column must match
    references: str | None = None


@dataclass(frozen=True)
class Table:
    """One contract table."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    meaning: str = ""
    #: (later, earlier) date pairs where later >= earlier must hold
    date_order: tuple[tuple[str, str], ...] = ()
    #: signal families this table switches on (reported by ``riskseg status``)
    families: tuple[str, ...] = ()
    #: order lines share an order_id; their key gets a line number within the order
    line_key: str | None = None
    extra_key_columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def stored_columns(self) -> list[Column]:
        """Columns as stored: the contract columns plus any derived key columns."""
        return [*self.columns, *self.extra_key_columns]


INTERACTION_TYPES = (
    "support_ticket", "complaint", "warranty_claim", "return_request", "engineering_change",
    "call_inbound", "call_outbound", "visit", "meeting_held", "meeting_missed",
    "campaign_sent", "campaign_opened", "campaign_clicked", "campaign_responded",
    "training_completed", "certification_lapsed", "promise_to_pay", "promise_broken", "other",
)  # fmt: skip

_C = Column

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "customers",
            (
                _C("customer_id", "str", True, "unique key"),
                _C("name", "str", meaning="display name"),
                _C("industry", "str", meaning="sector label (NACE/SIC code or text)"),
                _C("country", "str", meaning="ISO 3166 alpha-2 preferred"),
                _C("region", "str", meaning="sales region"),
                _C(
                    "size_band",
                    "str",
                    meaning="company size",
                    enum=("micro", "small", "medium", "large", "enterprise"),
                ),
                _C("account_manager", "str", meaning="owner in sales"),
                _C("payment_terms_days", "int", meaning="agreed terms; default 30", min=0, max=730),
                _C("credit_limit", "decimal", meaning="current credit limit", min=0),
                _C("regulated", "bool", meaning="may only end for legal/compliance reasons"),
                _C("strategic", "bool", meaning="strategically important account"),
                _C("customer_since", "date", meaning="start of relationship"),
                _C(
                    "status",
                    "str",
                    meaning="active / prospect / closed",
                    enum=("active", "prospect", "closed"),
                ),
            ),
            key=("customer_id",),
            meaning="one row per customer or prospect (required)",
            families=("profile",),
        ),
        Table(
            "invoices",
            (
                _C("invoice_id", "str", True, "unique key"),
                _C("customer_id", "str", True, "-> customers", references="customers"),
                _C("issue_date", "date", True),
                _C("due_date", "date", True),
                _C("amount", "decimal", True, "invoice total; credit notes are negative"),
                _C("currency", "str", meaning="ISO 4217"),
                _C("paid_date", "date", meaning="date fully settled; empty = still open"),
                _C("disputed", "bool", meaning="customer challenged the invoice"),
                _C("written_off", "bool", meaning="booked as bad debt"),
            ),
            key=("invoice_id",),
            meaning="accounts receivable",
            date_order=(("due_date", "issue_date"),),
            families=("payment",),
        ),
        Table(
            "payments",
            (
                _C("payment_id", "str", True),
                _C("invoice_id", "str", True, "-> invoices", references="invoices"),
                _C("customer_id", "str", True, references="customers"),
                _C("payment_date", "date", True),
                _C("amount", "decimal", True),
            ),
            key=("payment_id",),
            meaning="partial settlements of invoices",
            families=("payment",),
        ),
        Table(
            "orders",
            (
                _C("order_id", "str", True),
                _C("customer_id", "str", True, references="customers"),
                _C("order_date", "date", True),
                _C("revenue", "decimal", True, "net revenue; negative rows are returns"),
                _C("cost", "decimal", meaning="cost of goods/services; enables margin"),
                _C("product", "str", meaning="product or category"),
                _C("channel", "str", meaning="direct / partner / web / ..."),
            ),
            key=("order_id", "line_no"),
            meaning="purchases; one row per order or per order line with the same order_id",
            families=("value",),
            line_key="order_id",
            extra_key_columns=(
                _C("line_no", "int", meaning="line within the order, in file order"),
            ),
        ),
        Table(
            "quotes",
            (
                _C("quote_id", "str", True),
                _C("customer_id", "str", True, references="customers"),
                _C("quote_date", "date", True),
                _C("amount", "decimal", True),
                _C(
                    "status",
                    "str",
                    True,
                    "won / lost / open / expired",
                    enum=("won", "lost", "open", "expired"),
                ),
                _C("discount_pct", "decimal", meaning="discount obtained or asked", min=0, max=100),
            ),
            key=("quote_id",),
            families=("sales",),
        ),
        Table(
            "interactions",
            (
                _C("interaction_id", "str", True),
                _C("customer_id", "str", True, references="customers"),
                _C("contact_id", "str", meaning="-> contacts"),
                _C("date", "date", True),
                _C(
                    "type",
                    "str",
                    True,
                    "interaction type",
                    enum=INTERACTION_TYPES,
                    enum_fallback="other",
                ),
                _C("department", "str", meaning="sales / finance / service / engineering / ..."),
                _C("effort_minutes", "decimal", meaning="staff time spent", min=0),
            ),
            key=("interaction_id",),
            meaning="service desk, sales activity, marketing engagement",
            families=("cost_to_serve", "engagement"),
        ),
        Table(
            "credit_reports",
            (
                _C("customer_id", "str", True, references="customers"),
                _C("report_date", "date", True),
                _C("score", "decimal", meaning="0-100, higher = safer", min=0, max=100),
                _C("probability_of_default", "decimal", meaning="0-1", min=0, max=1),
                _C("outstanding_debt", "decimal", meaning="debts to other creditors"),
                _C("insolvency", "bool", meaning="insolvency or bankruptcy filing"),
                _C("source", "str", meaning="bureau name"),
            ),
            key=("customer_id", "report_date"),
            meaning="external credit information",
            families=("external",),
        ),
        Table(
            "flags",
            (
                _C("flag_id", "str", True),
                _C("customer_id", "str", True, references="customers"),
                _C("date", "date", True),
                _C(
                    "category",
                    "str",
                    True,
                    enum=(
                        "conduct",
                        "reputation",
                        "ethics",
                        "compliance",
                        "regulatory",
                        "fraud",
                        "other",
                    ),
                ),
                _C("severity", "int", True, "1 watch, 2 serious, 3 red line", min=1, max=3),
                _C("department", "str", meaning="who raised it"),
                _C("note", "str", meaning="free text, evidence"),
                _C("expires", "date", meaning="after this date the flag no longer counts"),
            ),
            key=("flag_id",),
            meaning="qualitative red flags, made measurable",
            families=("flags",),
        ),
        Table(
            "contacts",
            (
                _C("contact_id", "str", True),
                _C("customer_id", "str", True, references="customers"),
                _C("name", "str", meaning="personal data"),
                _C("email", "str", meaning="personal data"),
                _C("role", "str", meaning="job title"),
                _C("seniority", "str", enum=("executive", "manager", "staff")),
                _C("is_primary", "bool", meaning="main contact of the account"),
                _C("decision_role", "str", enum=("decision_maker", "influencer", "user")),
            ),
            key=("contact_id",),
            meaning="people at the customer",
            families=("loyalty",),
        ),
        Table(
            "surveys",
            (
                _C("response_id", "str", True),
                _C("contact_id", "str", meaning="-> contacts"),
                _C("customer_id", "str", True, references="customers"),
                _C("date", "date", True),
                _C(
                    "behavior",
                    "score",
                    True,
                    "plans to continue, buy more, recommend",
                    min=0,
                    max=10,
                ),
                _C("attitude", "score", True, "feels about working with us", min=0, max=10),
            ),
            key=("response_id",),
            meaning="loyalty: behaviour and attitude",
            families=("loyalty",),
        ),
    )
}

#: Import order: referenced tables before the tables that reference them.
TABLE_ORDER: tuple[str, ...] = (
    "customers", "contacts", "invoices", "payments", "orders", "quotes", "interactions",
    "credit_reports", "flags", "surveys",
)  # fmt: skip

#: Words accepted for booleans (compared lower-cased and trimmed), in the languages of
#: the ERPs riskseg meets: English, Dutch, German, French, Spanish/Italian.
TRUE_WORDS = ("true", "t", "1", "yes", "y", "ja", "j", "si", "sí", "oui", "wahr", "waar", "x")
FALSE_WORDS = ("false", "f", "0", "no", "n", "nee", "nein", "non", "falsch", "onwaar")


def table(name: str) -> Table:
    """The contract table called ``name``; raises ``KeyError`` for an unknown one."""
    return TABLES[name]


def markdown() -> str:
    """The contract as Markdown tables (docs/import.md embeds this; a test keeps them equal)."""
    lines: list[str] = []
    for name in TABLE_ORDER:
        t = TABLES[name]
        lines += [
            f"### {name}",
            "",
            (t.meaning[:1].upper() + t.meaning[1:] + ".") if t.meaning else "",
            "",
            f"Key: {', '.join(t.key)}.",
            "",
            "| column | type | required | rule | meaning |",
            "|---|---|---|---|---|",
        ]
        for c in t.columns:
            rule = []
            if c.enum:
                rule.append(
                    " / ".join(c.enum)
                    + (f" (others kept as {c.enum_fallback})" if c.enum_fallback else "")
                )
            if c.min is not None or c.max is not None:
                rule.append(
                    f"{'' if c.min is None else c.min:g}..{'' if c.max is None else c.max:g}"
                    if c.min is not None and c.max is not None
                    else (f">= {c.min:g}" if c.min is not None else f"<= {c.max:g}")
                )
            if c.references:
                rule.append(f"must exist in {c.references}")
            lines.append(
                f"| {c.name} | {c.type} | {'yes' if c.required else ''} | "
                f"{'; '.join(rule)} | {c.meaning} |"
            )
        for later, earlier in t.date_order:
            lines.append("")
            lines.append(f"Rule: {later} >= {earlier}.")
        lines.append("")
    return "\n".join(lines).strip() + "\n"

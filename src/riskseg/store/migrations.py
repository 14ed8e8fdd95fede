"""Versioned schema migrations of the store.

Each migration is applied once, in order, inside a transaction, and recorded in
``schema_migrations``. Never edit a migration that has shipped: add a new one. The DDL is
written out literally (not generated from ``contract.py``) so that an old store upgrades to
exactly what a new one gets; ``tests/store/test_migrations.py`` checks that the migrated
schema matches the contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from riskseg.errors import StoreError


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sql: str


_V1_CONTRACT_TABLES = """
CREATE TABLE customers (
    customer_id VARCHAR NOT NULL,
    name VARCHAR,
    industry VARCHAR,
    country VARCHAR,
    region VARCHAR,
    size_band VARCHAR,
    account_manager VARCHAR,
    payment_terms_days BIGINT,
    credit_limit DOUBLE,
    regulated BOOLEAN,
    strategic BOOLEAN,
    customer_since DATE,
    status VARCHAR,
    _import_id BIGINT NOT NULL,
    _line BIGINT
);
CREATE TABLE invoices (
    invoice_id VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    issue_date DATE NOT NULL,
    due_date DATE NOT NULL,
    amount DOUBLE NOT NULL,
    currency VARCHAR,
    paid_date DATE,
    disputed BOOLEAN,
    written_off BOOLEAN,
    _import_id BIGINT NOT NULL,
    _line BIGINT
);
CREATE TABLE payments (
    payment_id VARCHAR NOT NULL,
    invoice_id VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    payment_date DATE NOT NULL,
    amount DOUBLE NOT NULL,
    _import_id BIGINT NOT NULL,
    _line BIGINT
);
CREATE TABLE orders (
    order_id VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    order_date DATE NOT NULL,
    revenue DOUBLE NOT NULL,
    cost DOUBLE,
    product VARCHAR,
    channel VARCHAR,
    line_no BIGINT NOT NULL,
    _import_id BIGINT NOT NULL,
    _line BIGINT
);
CREATE TABLE quotes (
    quote_id VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    quote_date DATE NOT NULL,
    amount DOUBLE NOT NULL,
    status VARCHAR NOT NULL,
    discount_pct DOUBLE,
    _import_id BIGINT NOT NULL,
    _line BIGINT
);
CREATE TABLE interactions (
    interaction_id VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    contact_id VARCHAR,
    date DATE NOT NULL,
    type VARCHAR NOT NULL,
    department VARCHAR,
    effort_minutes DOUBLE,
    _import_id BIGINT NOT NULL,
    _line BIGINT
);
CREATE TABLE credit_reports (
    customer_id VARCHAR NOT NULL,
    report_date DATE NOT NULL,
    score DOUBLE,
    probability_of_default DOUBLE,
    outstanding_debt DOUBLE,
    insolvency BOOLEAN,
    source VARCHAR,
    _import_id BIGINT NOT NULL,
    _line BIGINT
);
CREATE TABLE flags (
    flag_id VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    date DATE NOT NULL,
    category VARCHAR NOT NULL,
    severity BIGINT NOT NULL,
    department VARCHAR,
    note VARCHAR,
    expires DATE,
    _import_id BIGINT NOT NULL,
    _line BIGINT
);
CREATE TABLE contacts (
    contact_id VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    name VARCHAR,
    email VARCHAR,
    role VARCHAR,
    seniority VARCHAR,
    is_primary BOOLEAN,
    decision_role VARCHAR,
    _import_id BIGINT NOT NULL,
    _line BIGINT
);
CREATE TABLE surveys (
    response_id VARCHAR NOT NULL,
    contact_id VARCHAR,
    customer_id VARCHAR NOT NULL,
    date DATE NOT NULL,
    behavior DOUBLE NOT NULL,
    attitude DOUBLE NOT NULL,
    _import_id BIGINT NOT NULL,
    _line BIGINT
);
"""

_V1_BOOKKEEPING = """
CREATE SEQUENCE import_id_seq START 1;
CREATE TABLE import_log (
    import_id BIGINT PRIMARY KEY,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    source VARCHAR NOT NULL,
    source_kind VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    fingerprint VARCHAR,
    mapping VARCHAR,
    rows_read BIGINT NOT NULL,
    inserted BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    quarantined BIGINT NOT NULL,
    notes VARCHAR,
    riskseg_version VARCHAR NOT NULL
);
CREATE TABLE quarantine (
    import_id BIGINT NOT NULL,
    table_name VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    line BIGINT,
    "column" VARCHAR,
    value VARCHAR,
    reason VARCHAR NOT NULL,
    record VARCHAR
);
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1, "contract tables, import log and quarantine", _V1_CONTRACT_TABLES + _V1_BOOKKEEPING
    ),
)


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest migration applied to ``con`` (0 for an empty database)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_name = 'schema_migrations'"
    ).fetchall()[0]
    if not exists or not exists[0]:
        return 0
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchall()[0]
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every pending migration; returns the versions applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMP)"
    )
    done = current_version(con)
    latest = MIGRATIONS[-1].version
    if done > latest:
        raise StoreError(
            f"this store was written by a newer riskseg (schema version {done}, "
            f"this riskseg knows up to {latest}); upgrade riskseg"
        )
    applied = []
    for m in MIGRATIONS:
        if m.version <= done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(m.sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                [m.version, m.description, datetime.now(UTC).replace(tzinfo=None)],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(m.version)
    return applied

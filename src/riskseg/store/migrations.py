"""Versioned schema migrations of the store.

Each migration is applied once, in order, inside a transaction, and recorded in
``schema_migrations``. Never edit a migration that has shipped: add a new one. The DDL is
written out literally (not generated from ``contract.py``) so that an old store upgrades to
exactly what a new one gets; ``tests/store/test_migrations.py`` checks that the migrated
schema matches the contract.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from riskseg.errors import StoreError
from riskseg.store import order_days


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sql: str
    #: fills what the DDL created from data already there, in the same transaction
    fill: Callable[[duckdb.DuckDBPyConnection], None] | None = None


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

# Runs are snapshots (ARCHITECTURE.md): a run's rows are written in one transaction with its
# ``runs`` row, so a crash leaves the previous complete run in place. ``run_customers`` keeps
# what segment migration and the impact of actions are read from; ``actions`` is the current
# state of each proposed action and ``action_events`` its audit trail (who, when, why).
_V2_RUNS_AND_ACTIONS = """
CREATE TABLE runs (
    run_id BIGINT PRIMARY KEY,
    as_of DATE NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    config_version VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    customers BIGINT NOT NULL,
    actions BIGINT NOT NULL,
    riskseg_version VARCHAR NOT NULL
);
CREATE TABLE run_customers (
    run_id BIGINT NOT NULL,
    customer_id VARCHAR NOT NULL,
    status VARCHAR,
    risk_score DOUBLE,
    value_score DOUBLE,
    churn_probability DOUBLE,
    payment_risk DOUBLE,
    clv_12m DOUBLE,
    net_clv_12m DOUBLE,
    grid_segment VARCHAR,
    payment_segment VARCHAR,
    cluster VARCHAR,
    loyalty VARCHAR,
    abc_class VARCHAR,
    reasons VARCHAR
);
CREATE TABLE actions (
    action_id BIGINT PRIMARY KEY,
    run_id BIGINT NOT NULL,
    customer_id VARCHAR NOT NULL,
    as_of DATE NOT NULL,
    action VARCHAR NOT NULL,
    owner VARCHAR NOT NULL,
    priority INTEGER NOT NULL,
    rule VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    due_date DATE NOT NULL,
    parameters VARCHAR NOT NULL,
    expected_impact DOUBLE,
    control BOOLEAN NOT NULL,
    status VARCHAR NOT NULL,
    status_at TIMESTAMP NOT NULL,
    status_by VARCHAR,
    status_note VARCHAR
);
CREATE TABLE action_events (
    action_id BIGINT NOT NULL,
    event_at TIMESTAMP NOT NULL,
    status_from VARCHAR,
    status_to VARCHAR NOT NULL,
    by_user VARCHAR,
    note VARCHAR
);
"""

# The REST API's people (docs/api.md). Passwords are stored as scrypt hashes and tokens only as
# their sha256, so a copy of the store gives no one a way in; removing a user removes their
# tokens with them.
_V3_USERS_AND_TOKENS = """
CREATE TABLE users (
    username VARCHAR PRIMARY KEY,
    password_hash VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT false
);
CREATE TABLE api_tokens (
    token_hash VARCHAR PRIMARY KEY,
    username VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);
"""

# Webhook deliveries (docs/webhooks.md): one row per POST to an endpoint, with its attempts and
# outcome, so an admin can see what reached whom. Only action ids are kept, never the body (it
# names customers) or the secret.
_V4_WEBHOOK_DELIVERIES = """
CREATE TABLE webhook_deliveries (
    delivery_id VARCHAR PRIMARY KEY,
    run_id BIGINT,
    url VARCHAR NOT NULL,
    event VARCHAR NOT NULL,
    actions VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    status VARCHAR NOT NULL,
    http_status INTEGER,
    error VARCHAR,
    first_attempt_at TIMESTAMP NOT NULL,
    last_attempt_at TIMESTAMP NOT NULL
);
"""

# What a run's probabilities rest on (where each comes from, the backtest's metrics and
# calibration bins), as JSON written in the run's transaction: the dashboard's model
# validation page reads it, and it must describe the run the customers were scored by.
_V5_RUN_DETAILS = """
CREATE TABLE run_details (
    run_id BIGINT PRIMARY KEY,
    details VARCHAR NOT NULL
);
"""

# Every score is explained where it is read (the API, the dashboard, the review), not only in
# customers_scored.csv: the reasons of the churn, late-payment and value scores, where each
# probability comes from, and the six risk families' points the risk score adds up from.
_V6_RUN_REASONS = """
ALTER TABLE run_customers ADD COLUMN churn_reasons VARCHAR;
ALTER TABLE run_customers ADD COLUMN churn_basis VARCHAR;
ALTER TABLE run_customers ADD COLUMN payment_risk_reasons VARCHAR;
ALTER TABLE run_customers ADD COLUMN payment_risk_basis VARCHAR;
ALTER TABLE run_customers ADD COLUMN value_reasons VARCHAR;
ALTER TABLE run_customers ADD COLUMN prospect_decision VARCHAR;
ALTER TABLE run_customers ADD COLUMN risk_payment DOUBLE;
ALTER TABLE run_customers ADD COLUMN risk_commercial DOUBLE;
ALTER TABLE run_customers ADD COLUMN risk_cost_to_serve DOUBLE;
ALTER TABLE run_customers ADD COLUMN risk_external DOUBLE;
ALTER TABLE run_customers ADD COLUMN risk_conduct DOUBLE;
ALTER TABLE run_customers ADD COLUMN risk_loyalty DOUBLE;
"""

# A profile reads one customer's rows of tables with millions of them; without an index each
# read is a scan (30-80 ms at 1M customers, make bench-api), with one it is a lookup (< 1 ms).
# DuckDB uses an index for a lone equality, so the profile's queries select on it first.
_V7_PROFILE_INDEXES = """
CREATE INDEX customers_by_id ON customers (customer_id);
CREATE INDEX actions_by_customer ON actions (customer_id);
CREATE INDEX action_events_by_action ON action_events (action_id);
CREATE INDEX contacts_by_customer ON contacts (customer_id);
CREATE INDEX surveys_by_customer ON surveys (customer_id);
CREATE INDEX run_customers_by_customer ON run_customers (customer_id);
"""

# The purchase days the value signals read (riskseg/store/order_days.py): derived from
# ``orders`` and kept in step with it by every import; an existing store gets them from the
# orders it holds.
_V8_ORDER_DAYS = """
CREATE TABLE order_days (
    customer_id VARCHAR NOT NULL,
    order_date DATE NOT NULL,
    lines BIGINT NOT NULL,
    purchase_lines BIGINT NOT NULL,
    purchase_revenue DOUBLE NOT NULL,
    return_revenue DOUBLE NOT NULL,
    costed_revenue DOUBLE NOT NULL,
    margin DOUBLE,
    prev_purchase_date DATE
);
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1, "contract tables, import log and quarantine", _V1_CONTRACT_TABLES + _V1_BOOKKEEPING
    ),
    Migration(2, "runs, their customers, actions and the actions' history", _V2_RUNS_AND_ACTIONS),
    Migration(3, "API users and their tokens", _V3_USERS_AND_TOKENS),
    Migration(4, "webhook deliveries", _V4_WEBHOOK_DELIVERIES),
    Migration(5, "what each run's models rest on: basis and backtest", _V5_RUN_DETAILS),
    Migration(6, "every score's reasons and the risk families, per run", _V6_RUN_REASONS),
    Migration(7, "indexes for one customer's profile", _V7_PROFILE_INDEXES),
    Migration(8, "purchase days derived from orders", _V8_ORDER_DAYS, fill=order_days.refresh),
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
            if m.fill is not None:
                m.fill(con)
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

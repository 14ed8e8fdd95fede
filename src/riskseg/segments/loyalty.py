"""The Loyalty Matrix per contact, and the account's class with its key people weighted.

Every respondent (a contact, or a survey answer without a contact) counts with their latest
answer on or before ``as_of``; answers dated later do not exist yet. Behaviour and attitude are
high at or above ``high`` (7 of 10, as ``SignalConfig.loyalty_high``):

=================  ================  ==============
                   attitude high     attitude low
=================  ================  ==============
behaviour high     ``loyal``         ``trapped``
behaviour low      ``accessible``    ``high_risk``
=================  ================  ==============

The account's class is the quadrant with the largest total weight among its respondents. A
contact weighs ``executive`` (3) when its seniority is executive, else ``decision_maker`` (2)
when it decides, else ``other`` (1); the primary contact adds ``primary_bonus`` (1). An answer
whose contact is unknown, or belongs to another customer, weighs ``other``. Ties go to the
riskier quadrant (high_risk, then trapped, then accessible, then loyal), so that a tie never
hides a risk.

This differs from the signal ``loyalty_class``, which applies the matrix to the plain mean of
the answers: here one unhappy executive outweighs two content users.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from riskseg.store.store import Store

#: quadrants from riskiest to safest (the order ties are broken in)
QUADRANTS: tuple[str, ...] = ("high_risk", "trapped", "accessible", "loyal")

CONTACT_SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("contact_id", pa.string()),
        ("seniority", pa.string()),
        ("decision_role", pa.string()),
        ("is_primary", pa.bool_()),
        ("survey_date", pa.date32()),
        ("behavior", pa.float64()),
        ("attitude", pa.float64()),
        ("quadrant", pa.string()),
        ("weight", pa.float64()),
    ]
)


class LoyaltySettings(BaseModel):
    """The high mark of the Loyalty Matrix and the weights of the account roll-up."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    high: float = Field(default=7.0, ge=0, le=10, description="survey score counted as high")
    executive: float = Field(default=3.0, ge=0, description="weight of an executive")
    decision_maker: float = Field(default=2.0, ge=0, description="weight of a decision maker")
    other: float = Field(default=1.0, ge=0, description="weight of any other respondent")
    primary_bonus: float = Field(default=1.0, ge=0, description="added for the primary contact")


def _has_rows(store: Store, table: str) -> bool:
    return store.count(table) > 0


def contact_matrix(
    store: Store | None, *, as_of: date, settings: LoyaltySettings | None = None
) -> pa.Table:
    """The Loyalty Matrix of every surveyed contact, from the store's surveys and contacts.

    Returns a table with the columns of ``CONTACT_SCHEMA``, one row per respondent and
    customer, ordered by customer and contact; empty (with the columns) without a store or
    without survey answers up to ``as_of``.

    Examples
    --------
    >>> from datetime import date
    >>> contact_matrix(None, as_of=date(2025, 6, 30)).column_names[-2:]
    ['quadrant', 'weight']
    """
    s = settings or LoyaltySettings()
    if store is None or not _has_rows(store, "surveys"):
        return CONTACT_SCHEMA.empty_table()
    if _has_rows(store, "contacts"):
        contacts = (
            "SELECT contact_id, customer_id, lower(seniority) AS seniority, "
            "lower(decision_role) AS decision_role, is_primary FROM contacts"
        )
    else:
        contacts = (
            "SELECT NULL::VARCHAR AS contact_id, NULL::VARCHAR AS customer_id, "
            "NULL::VARCHAR AS seniority, NULL::VARCHAR AS decision_role, "
            "NULL::BOOLEAN AS is_primary WHERE false"
        )
    # the latest answer per respondent; on one day the lowest response_id, as the signals do
    sql = f"""
        WITH latest AS (
            SELECT customer_id, contact_id, date, behavior, attitude
            FROM surveys
            WHERE date <= DATE '{as_of.isoformat()}'
            QUALIFY row_number() OVER (
                PARTITION BY customer_id, coalesce(contact_id, 'response:' || response_id)
                ORDER BY date DESC, response_id
            ) = 1
        ), c AS ({contacts})
        SELECT l.customer_id, l.contact_id, c.seniority, c.decision_role, c.is_primary,
               l.date AS survey_date, l.behavior::DOUBLE AS behavior,
               l.attitude::DOUBLE AS attitude
        FROM latest l
        LEFT JOIN c ON c.contact_id = l.contact_id AND c.customer_id = l.customer_id
        ORDER BY l.customer_id, l.contact_id NULLS LAST, l.date
    """
    t = store.con.sql(sql).to_arrow_table()
    if t.num_rows == 0:
        return CONTACT_SCHEMA.empty_table()
    behavior = t.column("behavior").to_numpy(zero_copy_only=False)
    attitude = t.column("attitude").to_numpy(zero_copy_only=False)
    b, a = behavior >= s.high, attitude >= s.high
    quadrant = np.select(
        [b & a, b & ~a, ~b & a],
        [QUADRANTS.index(q) for q in ("loyal", "trapped", "accessible")],
        default=QUADRANTS.index("high_risk"),
    )
    executive = pc.fill_null(pc.equal(t.column("seniority"), "executive"), False)
    decides = pc.fill_null(pc.equal(t.column("decision_role"), "decision_maker"), False)
    primary = pc.fill_null(t.column("is_primary"), False)
    weight = np.where(
        executive.to_numpy(zero_copy_only=False),
        s.executive,
        np.where(decides.to_numpy(zero_copy_only=False), s.decision_maker, s.other),
    ) + np.where(primary.to_numpy(zero_copy_only=False), s.primary_bonus, 0.0)
    t = t.append_column("quadrant", pa.array(QUADRANTS, pa.string()).take(pa.array(quadrant)))
    t = t.append_column("weight", pa.array(weight, pa.float64()))
    return t.select(CONTACT_SCHEMA.names).cast(CONTACT_SCHEMA)


def account_loyalty(customer_ids: pa.Array | pa.ChunkedArray, contacts: pa.Table) -> pa.Array:
    """Each customer's class: the quadrant with the largest weight (ties: the riskier one).

    Customers without surveyed contacts get null.

    Examples
    --------
    >>> import pyarrow as pa
    >>> contacts = pa.table({"customer_id": ["C1", "C1", "C1"], "weight": [3.0, 1.0, 1.0],
    ...                      "quadrant": ["high_risk", "loyal", "loyal"]})
    >>> account_loyalty(pa.array(["C1", "C2"]), contacts).to_pylist()
    ['high_risk', None]
    """
    n = len(customer_ids)
    if contacts.num_rows == 0:
        return pa.nulls(n, pa.string())
    row = pc.index_in(contacts.column("customer_id"), value_set=customer_ids)
    known = pc.is_valid(row).to_numpy(zero_copy_only=False)
    row_np = pc.fill_null(row, 0).to_numpy(zero_copy_only=False)[known]
    q = pc.index_in(contacts.column("quadrant"), value_set=pa.array(QUADRANTS))
    q_np = q.to_numpy(zero_copy_only=False)[known]
    w = contacts.column("weight").to_numpy(zero_copy_only=False)[known]
    k = len(QUADRANTS)
    totals = np.bincount(row_np * k + q_np, weights=w, minlength=n * k).reshape(n, k)
    counted = np.zeros(n, dtype=bool)
    counted[row_np] = True
    # argmax takes the first maximum: QUADRANTS runs from the riskiest
    best = np.argmax(totals, axis=1)
    return pa.array(QUADRANTS, pa.string()).take(pa.array(best, mask=~counted))

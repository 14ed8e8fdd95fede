"""``segment_customers``: every segmentation of the portfolio in one call, as of a date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from riskseg.errors import InputError
from riskseg.models.reasons import signal_values
from riskseg.segments.clusters import ClusterChoice, ClusterSettings, behavioural_clusters
from riskseg.segments.grid import GridSettings, grid_segments
from riskseg.segments.loyalty import LoyaltySettings, account_loyalty, contact_matrix
from riskseg.segments.market import DIMENSIONS, MarketSettings, market_economics, market_key
from riskseg.segments.payment import PaymentSettings, payment_segments
from riskseg.store.store import Store

CUSTOMER_SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("grid_segment", pa.string()),
        ("grid_label", pa.string()),
        ("grid_strategy", pa.string()),
        ("payment_segment", pa.string()),
        ("usual_pay_day", pa.int64()),
        ("cluster", pa.int64()),
        ("cluster_name", pa.string()),
        ("account_loyalty", pa.string()),
        ("abc_class", pa.string()),
        ("market_segment", pa.string()),
    ]
)


class SegmentSettings(BaseModel):
    """Every threshold of the segments, grouped by segmentation; each has a default.

    >>> SegmentSettings(payment=PaymentSettings(disputer_rate=0.2)).payment.disputer_rate
    0.2
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    grid: GridSettings = Field(default_factory=GridSettings)
    payment: PaymentSettings = Field(default_factory=PaymentSettings)
    clusters: ClusterSettings = Field(default_factory=ClusterSettings)
    loyalty: LoyaltySettings = Field(default_factory=LoyaltySettings)
    market: MarketSettings = Field(default_factory=MarketSettings)


@dataclass(frozen=True)
class Segments:
    """What :func:`segment_customers` returns.

    ``customers`` has one row per customer in the order of the signals (``CUSTOMER_SCHEMA``);
    ``contacts`` the Loyalty Matrix per surveyed contact; ``market`` the economics per
    industry, region and size band; ``clusters`` one row per behavioural cluster, and
    ``cluster_choice`` how k was chosen (``cluster_choice.sentence()`` says it in words).
    """

    as_of: date
    customers: pa.Table
    contacts: pa.Table
    market: pa.Table
    clusters: pa.Table
    cluster_choice: ClusterChoice


def _aligned(scored: pa.Table, ids: pa.ChunkedArray | pa.Array) -> pa.Table:
    """``scored`` in the order of ``ids`` (rows of customers it lacks are null)."""
    if "customer_id" not in scored.column_names:
        raise InputError(
            f"scored table has no customer_id column (columns: {', '.join(scored.column_names)})"
        )
    scored_ids = scored.column("customer_id")
    if len(scored_ids) == len(ids) and scored_ids.equals(ids):
        return scored
    return scored.take(pc.index_in(ids, value_set=scored_ids))


def _store_customers(store: Store | None, ids: pa.ChunkedArray | pa.Array) -> pa.Table | None:
    if store is None or store.count("customers") == 0:
        return None
    t = store.con.sql(
        "SELECT customer_id, industry, region, size_band, lower(status) AS status FROM customers"
    ).to_arrow_table()
    return t.take(pc.index_in(ids, value_set=t.column("customer_id")))


def segment_customers(
    signals: pa.Table,
    scored: pa.Table,
    *,
    store: Store | None = None,
    as_of: date,
    settings: SegmentSettings | None = None,
) -> Segments:
    """Place every customer in the value x risk grid, a payment segment, a behavioural cluster,
    the Loyalty Matrix, its ABC class and its market segment.

    Parameters
    ----------
    signals
        Per-customer signals as of ``as_of`` (:func:`riskseg.signals.compute_signals`).
    scored
        The scored table of the same run (``riskseg.pipeline.run(...).scored``); matched to the
        signals by ``customer_id``. Its ``status`` marks prospects.
    store
        The store, for the contacts and surveys of the Loyalty Matrix and the industry, region
        and size band of the market segments (columns of the same names in ``signals`` take
        precedence). Without it those parts are empty.
    as_of
        Survey answers after this day do not count.
    settings
        Thresholds; see docs/segments.md.

    Examples
    --------
    >>> import tempfile
    >>> from datetime import date
    >>> from riskseg import Store
    >>> from riskseg.demo import generate
    >>> from riskseg.ingest import import_path
    >>> from riskseg.pipeline import run
    >>> from riskseg.signals import compute_signals
    >>> as_of = date(2025, 12, 31)
    >>> with Store(":memory:") as store:
    ...     folder = tempfile.mkdtemp()
    ...     _ = generate(customers=300, seed=1).write(folder, format="parquet")
    ...     _ = import_path(store, folder)
    ...     signals = compute_signals(store, as_of=as_of)
    ...     scored = run(store, as_of=as_of, models=False).scored
    ...     seg = segment_customers(signals, scored, store=store, as_of=as_of)
    >>> seg.customers.num_rows == signals.num_rows
    True
    >>> seg.cluster_choice.sentence().startswith("k=")
    True
    """
    s = settings or SegmentSettings()
    if "customer_id" not in signals.column_names:
        raise InputError(
            "signals table has no customer_id column "
            f"(columns: {', '.join(signals.column_names[:10])}, ...)"
        )
    ids = signals.column("customer_id")
    n = signals.num_rows
    scored = _aligned(scored, ids)
    stored = _store_customers(store, ids)

    if "status" in scored.column_names:
        status = scored.column("status")
    elif stored is not None:
        status = stored.column("status")
    else:
        status = pa.nulls(n, pa.string())
    prospect = pc.fill_null(pc.equal(pc.utf8_lower(status), "prospect"), False)
    prospect_np = np.asarray(prospect.to_numpy(zero_copy_only=False), dtype=bool)

    grid, label, strategy = grid_segments(
        signal_values(scored, "risk_score"),
        signal_values(scored, "value_score"),
        prospect_np,
        s.grid,
    )
    pay, pay_day = payment_segments(signals, s.payment)

    bought = ~np.isnan(signal_values(signals, "days_since_last_order")) & ~prospect_np
    clusters = behavioural_clusters(signals, bought, s.clusters)
    has_cluster = clusters.labels >= 0
    cluster = pa.array(clusters.labels, pa.int64(), mask=~has_cluster)
    names = pa.array(clusters.names or [""], pa.string())
    cluster_name = names.take(pa.array(np.maximum(clusters.labels, 0), mask=~has_cluster))

    contacts = contact_matrix(store, as_of=as_of, settings=s.loyalty)
    loyalty = account_loyalty(ids, contacts)

    dims: dict[str, pa.Array] = {}
    for d in DIMENSIONS:
        if d in signals.column_names:
            dims[d] = signals.column(d)
        elif stored is not None:
            dims[d] = stored.column(d)
    market = market_economics(signals, dims, ~prospect_np, settings=s.market, payment=s.payment)

    abc = signals.column("abc_class") if "abc_class" in signals.column_names else None
    customers = pa.table(
        {
            "customer_id": ids,
            "grid_segment": grid,
            "grid_label": label,
            "grid_strategy": strategy,
            "payment_segment": pay,
            "usual_pay_day": pay_day,
            "cluster": cluster,
            "cluster_name": cluster_name,
            "account_loyalty": loyalty,
            "abc_class": abc if abc is not None else pa.nulls(n, pa.string()),
            "market_segment": market_key(dims, n),
        }
    ).cast(CUSTOMER_SCHEMA)
    return Segments(as_of, customers, contacts, market, clusters.table, clusters.choice)

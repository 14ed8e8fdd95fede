"""Segments: where each customer stands, and what kind of customer it is.

``segment_customers(signals, scored, store=store, as_of=...)`` places every customer in

* the **value x risk grid** (nine cells, each with a default strategy): :mod:`.grid`;
* a **payment segment** (disputer, deteriorating, chronically late, fixed-date payer,
  occasionally late, on time): :mod:`.payment`;
* a **behavioural cluster** (k-means on standardised signals, named by what sets it apart):
  :mod:`.clusters`;
* the **Loyalty Matrix** per contact and for the account, key people weighted: :mod:`.loyalty`;
* its **ABC class** and **market segment** (industry / region / size band), with the economics
  of each market segment: :mod:`.market`.

Every threshold is a field of :class:`SegmentSettings`; docs/segments.md explains each rule.
"""

from riskseg.segments.clusters import ClusterChoice, ClusterSettings
from riskseg.segments.compute import CUSTOMER_SCHEMA, Segments, SegmentSettings, segment_customers
from riskseg.segments.grid import GRID_SEGMENTS, GridSettings
from riskseg.segments.loyalty import CONTACT_SCHEMA, QUADRANTS, LoyaltySettings
from riskseg.segments.market import MARKET_SCHEMA, MarketSettings
from riskseg.segments.payment import PAYMENT_SEGMENTS, PaymentSettings

__all__ = [
    "CONTACT_SCHEMA",
    "CUSTOMER_SCHEMA",
    "GRID_SEGMENTS",
    "MARKET_SCHEMA",
    "PAYMENT_SEGMENTS",
    "QUADRANTS",
    "ClusterChoice",
    "ClusterSettings",
    "GridSettings",
    "LoyaltySettings",
    "MarketSettings",
    "PaymentSettings",
    "SegmentSettings",
    "Segments",
    "segment_customers",
]

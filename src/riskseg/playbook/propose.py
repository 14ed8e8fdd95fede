"""The run's last step: segment every customer, propose the actions, store the run.

:func:`riskseg.pipeline.run` calls :func:`segment_and_propose` after scoring; it joins what a
rule may name (signals, scores, segments, the customer's attributes), evaluates the playbook
against the history of earlier actions, records the run with its customers and actions in
one transaction, and compares the segments with the previous run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pyarrow as pa
import pyarrow.compute as pc

from riskseg.playbook.actions import config_version, load_history, record_run
from riskseg.playbook.engine import evaluate
from riskseg.playbook.facts import build_facts, customer_attributes
from riskseg.playbook.rules import default_playbook_path, load_playbook
from riskseg.runs import Migration, segment_migration
from riskseg.segments import Segments, segment_customers
from riskseg.store.store import Store

#: segment columns added to ``customers_scored`` (after the contract's columns)
SEGMENT_COLUMNS: tuple[str, ...] = (
    "grid_label",
    "grid_strategy",
    "payment_segment",
    "usual_pay_day",
    "cluster_name",
    "account_loyalty",
    "abc_class",
    "market_segment",
)


@dataclass
class Proposed:
    segments: Segments
    scored: pa.Table
    actions: pa.Table
    run_id: int | None
    migration: Migration | None


def segment_and_propose(
    store: Store,
    signals: pa.Table,
    scored: pa.Table,
    *,
    as_of: date,
    started_at: datetime,
    fingerprint: str,
    scorecard_text: str,
    playbook: str | None = None,
    record: bool = True,
    details: str | None = None,
) -> Proposed:
    """Segments, actions and (when ``record``) the stored run; ``scored`` gains segments."""
    segments = segment_customers(signals, scored, store=store, as_of=as_of)
    scored = with_segments(scored, segments.customers)
    settings = load_playbook(playbook)
    ladder = {a for r in settings.rules if r.ladder for a in r.ladder}
    facts = build_facts(
        signals, scored, segments=segments.customers, attributes=customer_attributes(store)
    )
    history = load_history(store, as_of=as_of, ladder=ladder)
    origin = str(playbook or default_playbook_path())
    actions = evaluate(facts, settings, as_of=as_of, history=history, origin=origin)
    run_id = None
    migration = None
    if record:
        stored = scored.set_column(
            scored.column_names.index("segment"), "grid_segment", scored.column("segment")
        )
        if "cluster_name" in stored.column_names:
            stored = stored.append_column("cluster", stored.column("cluster_name"))
        stored = stored.set_column(
            stored.column_names.index("loyalty"), "loyalty", _loyalty(stored)
        )
        run_id = record_run(
            store,
            as_of=as_of,
            started_at=started_at,
            fingerprint=fingerprint,
            config=config_version(scorecard_text, settings),
            customers=stored,
            actions=actions,
            details=details,
        )
        migration = segment_migration(store, run_id)
        actions = _open_queue(store, run_id)
    return Proposed(segments, scored, actions, run_id, migration)


def _loyalty(table: pa.Table) -> pa.ChunkedArray:
    """The account's Loyalty Matrix class: the weighted roll-up, else the signal's."""
    if "account_loyalty" not in table.column_names:
        return table.column("loyalty")
    return pc.coalesce(table.column("account_loyalty"), table.column("loyalty"))


def with_segments(scored: pa.Table, segments: pa.Table) -> pa.Table:
    """``scored`` with ``segment`` (the grid cell) after ``as_of`` and the segment columns."""
    by_id = {cid: i for i, cid in enumerate(segments.column("customer_id").to_pylist())}
    take = pa.array([by_id.get(c) for c in scored.column("customer_id").to_pylist()], pa.int64())
    picked = segments.take(take)
    out = scored.set_column(
        scored.column_names.index("segment"), "segment", picked.column("grid_segment")
    )
    for name in SEGMENT_COLUMNS:
        if name in picked.column_names and name not in out.column_names:
            out = out.append_column(name, picked.column(name))
    return out


def _open_queue(store: Store, run_id: int) -> pa.Table:
    """The work queue after the run: every open action (proposed or accepted, this run's and
    earlier runs' still waiting), with its id for ``riskseg action ID ...``."""
    table: pa.Table = store.con.sql(
        "SELECT action_id, customer_id, as_of, action, owner, priority, reason, due_date, "
        "status, rule, expected_impact, parameters, control, run_id FROM actions "
        "WHERE status IN ('proposed', 'accepted') "
        "AND as_of <= (SELECT as_of FROM runs WHERE run_id = $run) "
        "ORDER BY owner, coalesce(expected_impact, 0) DESC, priority, action_id",
        params={"run": run_id},
    ).to_arrow_table()
    return table

"""Actions in the store: a run records them, people move them on, the trail keeps who and why."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

import riskseg
from riskseg.errors import InputError
from riskseg.playbook.actions import events, list_actions, load_history, record_run, set_status
from riskseg.runs import segment_migration

AS_OF = date(2025, 6, 30)
RISKSEG = str(Path(sys.executable).with_name("riskseg"))


def _actions(rows: list[tuple[str, str, str, float, bool]]) -> pa.Table:
    return pa.table(
        {
            "customer_id": [r[0] for r in rows],
            "as_of": [AS_OF] * len(rows),
            "action": [r[1] for r in rows],
            "owner": [r[2] for r in rows],
            "priority": pa.array([2] * len(rows), pa.int32()),
            "reason": [f"because {r[0]}" for r in rows],
            "due_date": [AS_OF] * len(rows),
            "status": ["proposed"] * len(rows),
            "rule": ["r"] * len(rows),
            "expected_impact": [r[3] for r in rows],
            "parameters": ["{}"] * len(rows),
            "control": [r[4] for r in rows],
        }
    )


def _customers(cells: dict[str, str]) -> pa.Table:
    return pa.table(
        {
            "customer_id": list(cells),
            "grid_segment": list(cells.values()),
            "risk_score": [10.0] * len(cells),
            "reasons": ["r"] * len(cells),
        }
    )


def _run(store: riskseg.Store, actions: pa.Table, cells: dict[str, str], day: date = AS_OF) -> int:
    return record_run(
        store,
        as_of=day,
        started_at=datetime.now(UTC).replace(tzinfo=None),
        fingerprint="f",
        config="c",
        customers=_customers(cells),
        actions=actions,
    )


def test_a_run_records_its_actions_and_the_queue_ranks_by_money(store: riskseg.Store) -> None:
    run_id = _run(
        store,
        _actions(
            [
                ("C1", "dunning_strict", "finance", 500.0, False),
                ("C2", "dunning_strict", "finance", 9000.0, False),
                ("C3", "retention_outreach", "sales", 100.0, False),
                ("C4", "dunning_strict", "finance", 7000.0, True),
            ]
        ),
        {"C1": "mid_value_low_risk", "C2": "low_value_high_risk"},
    )
    assert run_id == 1
    queue = list_actions(store, owner="finance")
    # the most money at stake first; the control-group action is not in anybody's queue
    assert queue.column("customer_id").to_pylist() == ["C2", "C1"]
    assert list_actions(store, owner="finance", include_control=True).num_rows == 3
    [trail] = [events(store, a) for a in queue.column("action_id").to_pylist()[:1]]
    assert trail[0]["to"] == "proposed" and trail[0]["by"] == "riskseg"


def test_accept_done_and_dismiss_keep_an_audit_trail(store: riskseg.Store) -> None:
    _run(
        store,
        _actions(
            [
                ("C1", "dunning_strict", "finance", 1.0, False),
                ("C2", "retention_outreach", "sales", 1.0, False),
            ]
        ),
        {},
    )
    first, second = list_actions(store).column("action_id").to_pylist()
    set_status(store, first, "accept", by="ann", note="calling Monday")
    change = set_status(store, first, "done", by="ann", note="payment plan agreed")
    assert (change.status_from, change.status_to) == ("accepted", "done")
    trail = events(store, first)
    assert [(e["from"], e["to"], e["by"]) for e in trail] == [
        (None, "proposed", "riskseg"),
        ("proposed", "accepted", "ann"),
        ("accepted", "done", "ann"),
    ]
    assert trail[-1]["note"] == "payment plan agreed"
    with pytest.raises(InputError, match="is done; it can become nothing"):
        set_status(store, first, "dismiss", by="ann", note="x")
    with pytest.raises(InputError, match="say why with --note"):
        set_status(store, second, "dismiss", by="bob")
    with pytest.raises(InputError, match="belongs to sales; a finance user cannot"):
        set_status(store, second, "accept", by="cat", role="finance")
    with pytest.raises(InputError, match="no action 999"):
        set_status(store, 999, "accept", by="ann")
    set_status(store, second, "dismiss", by="bob", note="customer renewed last week")
    history = load_history(store, as_of=AS_OF)
    assert history.dismissed[("C2", "retention_outreach")][0] == "r"
    assert ("C1", "dunning_strict") not in history.open


def test_control_group_actions_cannot_be_carried_out(store: riskseg.Store) -> None:
    _run(store, _actions([("C1", "dunning_strict", "finance", 1.0, True)]), {})
    [action_id] = list_actions(store, include_control=True).column("action_id").to_pylist()
    with pytest.raises(InputError, match="held out as a control group"):
        set_status(store, action_id, "done", by="ann")
    assert ("C1", "dunning_strict") in load_history(store, as_of=AS_OF).open


def test_a_failed_run_leaves_the_previous_run_in_place(store: riskseg.Store) -> None:
    _run(store, _actions([("C1", "dunning_strict", "finance", 1.0, False)]), {"C1": "x"})
    broken = _actions([("C2", "dunning_strict", "finance", 1.0, False)]).drop_columns(["reason"])
    with pytest.raises(Exception):  # noqa: B017 - whatever the engine raises, nothing is kept
        _run(store, broken, {"C2": "y"})
    assert store.con.execute("SELECT count(*) FROM runs").fetchall() == [(1,)]
    assert store.con.execute("SELECT count(*) FROM actions").fetchall() == [(1,)]
    assert store.con.execute("SELECT count(*) FROM run_customers").fetchall() == [(1,)]


def test_migration_lists_who_moved_to_a_worse_segment(store: riskseg.Store) -> None:
    _run(
        store,
        _actions([]),
        {"C1": "high_value_low_risk", "C2": "mid_value_medium_risk", "C3": "low_value_high_risk"},
        date(2025, 5, 31),
    )
    second = _run(
        store,
        _actions([]),
        {
            "C1": "high_value_high_risk",
            "C2": "mid_value_low_risk",
            "C3": "low_value_high_risk",
            "C4": "mid_value_low_risk",
        },
    )
    m = segment_migration(store, second)
    assert m.previous_run == 1
    moved = {
        (r["from_segment"], r["to_segment"]): r["customers"] for r in m.transitions.to_pylist()
    }
    assert moved[("high_value_low_risk", "high_value_high_risk")] == 1
    assert moved[("new", "mid_value_low_risk")] == 1
    assert moved[("low_value_high_risk", "low_value_high_risk")] == 1
    assert m.movers.column("customer_id").to_pylist() == ["C1"]  # C2 improved, C3 stayed


def test_cli_lists_the_queue_and_moves_an_action(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with riskseg.Store(str(db)) as store:
        _run(store, _actions([("C1", "dunning_strict", "finance", 250.0, False)]), {})
    env = {**os.environ, "COLUMNS": "120"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [RISKSEG, *args, "--db", str(db)], capture_output=True, text=True, env=env, timeout=120
        )

    listed = cli("actions", "--owner", "finance")
    assert (
        listed.returncode == 0
        and "dunning_strict" in listed.stdout
        and "250 at stake" in listed.stdout
    )
    done = cli("action", "1", "accept", "--note", "on it", "--by", "ann")
    assert done.returncode == 0 and "proposed -> accepted by ann" in done.stdout
    again = cli("action", "1", "accept")
    assert (
        again.returncode == 2 and "is accepted" in again.stderr and "Traceback" not in again.stderr
    )
    bad = cli("actions", "--owner", "marketing")
    assert bad.returncode == 2 and "--owner must be one of" in bad.stderr

"""A run killed with SIGKILL leaves the previous run in place, and the next run succeeds.

The child process runs the pipeline on a store file and is killed at the worst moments: while
the signals are computed, and inside the transaction that writes the run (after its customers
are inserted, before the commit). The store must then open, show the previous run whole, hold
no row of the killed one, and take the next run (issue 6 item 7).
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import pytest

import riskseg
from riskseg.demo import generate
from riskseg.pipeline import run

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

CHILD = textwrap.dedent(
    """
    import sys, time
    from datetime import date
    import riskseg
    from riskseg.playbook import actions
    from riskseg.pipeline import run

    db, out, where = sys.argv[1:4]
    if where == "record":
        # the second clock reading inside record_run comes after the run's customers are
        # inserted and before the commit: stop there and wait to be killed
        real, calls = actions._now, []
        def stalled():
            calls.append(1)
            if len(calls) == 2:
                print("IN-TRANSACTION", flush=True)
                time.sleep(120)
            return real()
        actions._now = stalled
    else:
        import riskseg.signals as signals
        real_compute = signals.compute_signals
        def slow(*args, **kwargs):
            print("IN-SIGNALS", flush=True)
            time.sleep(120)
            return real_compute(*args, **kwargs)
        signals.compute_signals = slow
    with riskseg.Store(db) as store:
        run(store, as_of=date(2025, 12, 31), out_dir=out, models=False)
    print("FINISHED", flush=True)
    """
)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def store_file(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "data"
    generate(customers=80, seed=11).write(data, format="parquet")
    db, out = tmp_path / "store.duckdb", tmp_path / "out"
    with riskseg.Store(db) as store:
        riskseg.import_path(store, data)
        run(store, as_of=date(2025, 11, 30), out_dir=out, models=False)
    return db, out


def _killed_at(where: str, db: Path, out: Path, tmp_path: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    child = subprocess.Popen(
        [sys.executable, str(script), str(db), str(out), where],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert child.stdout is not None
    marker = "IN-TRANSACTION" if where == "record" else "IN-SIGNALS"
    deadline = time.monotonic() + 120
    seen = []
    for line in child.stdout:
        seen.append(line)
        if marker in line or time.monotonic() > deadline:
            break
    assert any(marker in line for line in seen), "".join(seen)
    os.kill(child.pid, signal.SIGKILL)
    code = child.wait(30)
    child.stdout.close()
    assert code == -signal.SIGKILL


@pytest.mark.parametrize("where", ["signals", "record"])
def test_a_run_killed_leaves_the_previous_run_and_the_next_run_succeeds(
    where: str, store_file: tuple[Path, Path], tmp_path: Path
) -> None:
    db, out = store_file
    scored_before = _digest(out / "customers_scored.csv")
    with riskseg.Store(db, read_only=True) as store:
        counts_before = {
            t: store.con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
            for t in ("runs", "run_customers", "actions", "action_events", "run_details")
        }
    _killed_at(where, db, out, tmp_path)

    with riskseg.Store(db) as store:
        runs = store.con.execute("SELECT run_id, as_of FROM runs").fetchall()
        assert runs == [(1, date(2025, 11, 30))]
        for table, n in counts_before.items():
            now = store.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            assert now == n, f"{table}: {n} rows before the killed run, {now} after"
        # the previous run's files are whole and unchanged
        assert _digest(out / "customers_scored.csv") == scored_before

        result = run(store, as_of=date(2025, 12, 31), out_dir=out, models=False)
        assert result.run_id == 2
        stored = store.con.execute(
            "SELECT count(*) FROM run_customers WHERE run_id = 2"
        ).fetchall()[0][0]
        assert stored == result.scored.num_rows > 0
    assert _digest(out / "customers_scored.csv") != scored_before
    assert not [p for p in out.iterdir() if p.name.startswith(".riskseg-writing-")]

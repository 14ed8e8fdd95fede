"""A store held by another process (``riskseg serve``) gives a clear error, not a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import riskseg

HOLD = "import sys, time, riskseg; s = riskseg.Store(sys.argv[1]); print('READY', flush=True); time.sleep(60)"


def test_a_command_on_a_store_another_process_holds_says_what_to_do(tmp_path: Path) -> None:
    db = tmp_path / "held.duckdb"
    riskseg.Store(db).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "READY"
        cli = "from riskseg.cli import main; main()"
        done = subprocess.run(
            [sys.executable, "-c", cli, "run", "--db", str(db), "--as-of", "2025-12-31"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        holder.kill()
        holder.wait(10)
        assert holder.stdout is not None
        holder.stdout.close()
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    message = " ".join(done.stderr.split())
    assert "is open in another process (riskseg serve?)" in message
    assert "POST /api/runs" in message

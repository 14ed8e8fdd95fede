"""``riskseg report``: the two files, exit codes and one-line errors, and the example of
docs/report.md, run as a user would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook
from reviewtools import fill_hand_store

import riskseg
from conftest import ROOT

RISKSEG = str(Path(sys.executable).with_name("riskseg"))


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.run(
        [RISKSEG, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )


def test_report_writes_the_page_and_the_workbook(tmp_path: Path) -> None:
    with riskseg.Store(str(tmp_path / "s.duckdb")) as store:
        fill_hand_store(store)
    done = _cli("report", "--db", "s.duckdb", "--out", "out/review", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "out/review/portfolio-review-2025-12-31.html",
        "out/review/portfolio-review-2025-12-31.xlsx",
    ]
    assert (tmp_path / "out/review/portfolio-review-2025-12-31.html").stat().st_size > 0
    first = _cli("report", "--db", "s.duckdb", "--run", "1", "-o", "r1", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[1] == "r1/portfolio-review-2025-06-30.xlsx"
    assert load_workbook(tmp_path / first.stdout.splitlines()[1]).sheetnames[1] == "sales"


def test_an_empty_store_or_an_unknown_run_is_one_line_and_exit_2(tmp_path: Path) -> None:
    empty = _cli("report", "--db", "empty.duckdb", "--out", "review", cwd=tmp_path)
    assert empty.returncode == 2
    assert empty.stderr == "error: the store has no run yet; riskseg run records one\n"
    assert empty.stdout == "" and not (tmp_path / "review").exists()
    with riskseg.Store(str(tmp_path / "s.duckdb")) as store:
        fill_hand_store(store, second_run=False)
    unknown = _cli("report", "--db", "s.duckdb", "--run", "5", cwd=tmp_path)
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
    assert unknown.stderr.strip() == "error: no run 5 in the store; its latest runs are 1"
    bad = _cli("report", "--db", "s.duckdb", "--after", "0", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "after_days" in bad.stderr


def test_help_has_an_example(tmp_path: Path) -> None:
    shown = _cli("report", "--help", cwd=tmp_path)
    assert shown.returncode == 0 and "riskseg report --db demo.duckdb --out review" in shown.stdout


@pytest.mark.slow
def test_the_docs_example_runs_and_its_equity_reconciles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every ``$ riskseg`` line of docs/report.md, in order (as tests/test_docs.py runs the
    README's), then its Python block; the review's equity is the stored runs' CLV."""
    text = (ROOT / "docs" / "report.md").read_text(encoding="utf-8")
    lines = re.findall(r"^\$ (riskseg .+)$", text, flags=re.M)
    assert lines[-1] == "riskseg report --db demo.duckdb --out review"
    for line in lines:
        done = _cli(*line.split()[1:], cwd=tmp_path)
        assert done.returncode == 0, (line, done.stdout, done.stderr)
    printed = done.stdout.splitlines()
    shown = re.search(r"prints the two files it wrote:\n\n```\n(.*?)```", text, flags=re.S)
    assert shown and printed == shown.group(1).splitlines()
    [code] = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "docs/report.md", "exec"), {})
    with riskseg.Store(str(tmp_path / "demo.duckdb")) as store:
        stored = dict(
            store.con.execute(
                "SELECT run_id, sum(clv_12m) FROM run_customers GROUP BY run_id"
            ).fetchall()
        )
    assert len(stored) == 2 and all(v is not None for v in stored.values())
    rows = CalamineWorkbook.from_path(str(tmp_path / printed[1])).get_sheet_by_name("Summary")
    equity = {r[0]: r for r in rows.to_python()}["customer equity"]
    now, before, change, pct = equity[1:5]
    assert now == pytest.approx(stored[2]) and before == pytest.approx(stored[1])
    assert change == pytest.approx(stored[2] - stored[1])
    assert pct == pytest.approx((stored[2] - stored[1]) / stored[1])

"""``riskseg signals``: list, explain, compute to CSV/Parquet, one customer, clear errors."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from engines import as_dict, differences, load_postgres, to_arrow

from riskseg import Store, import_path
from riskseg.demo import generate
from riskseg.signals import REGISTRY, compute_signals

ROOT = Path(__file__).resolve().parents[2]
RISKSEG = shutil.which("riskseg") or str(Path(os.sys.executable).parent / "riskseg")
AS_OF = "2025-06-30"


def run(*args: str, db: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "160"}
    if db is not None:
        env["RISKSEG_DB"] = str(db)
    return subprocess.run([RISKSEG, *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    generate(customers=120, seed=5).write(folder / "data", format="parquet")
    db = folder / "demo.duckdb"
    with Store(db) as store:
        import_path(store, folder / "data")
    return db


def test_list_shows_every_signal() -> None:
    result = run("signals", "--list", "--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [s["name"] for s in listed] == [s for s in _registry_in_family_order()]
    assert all(s["meaning"] and s["formula"] for s in listed)


def _registry_in_family_order() -> list[str]:
    from riskseg.signals import FAMILY_ORDER

    return [s.name for f in FAMILY_ORDER for s in REGISTRY.values() if s.family == f]


def test_explain_gives_meaning_formula_and_inputs() -> None:
    result = run("signals", "--explain", "pay_day_usual")
    assert result.returncode == 0
    assert "most frequent day(paid_date)" in result.stdout
    assert "invoices.paid_date" in result.stdout
    assert "fewer than 3 invoices" in result.stdout


def test_unknown_signal_is_exit_2_with_suggestions() -> None:
    result = run("signals", "--explain", "dso")
    assert result.returncode == 2
    assert "unknown signal 'dso'" in result.stderr and "dso_days" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_date_and_unknown_customer_are_exit_2(demo_db: Path) -> None:
    bad = run("signals", "--as-of", "30-06-2025", db=demo_db)
    assert bad.returncode == 2 and "--as-of must be a date" in bad.stderr
    missing = run("signals", "--as-of", AS_OF, "--customer", "NOPE", db=demo_db)
    assert missing.returncode == 2 and "no customer 'NOPE'" in missing.stderr


def test_out_csv_and_parquet_hold_every_customer_and_signal(demo_db: Path, tmp_path: Path) -> None:
    with Store(demo_db, read_only=True) as store:
        expected = compute_signals(store, as_of=date(2025, 6, 30))
    result = run("signals", "--as-of", AS_OF, "--out", str(tmp_path / "s.parquet"), db=demo_db)
    assert result.returncode == 0, result.stderr
    written = pq.read_table(tmp_path / "s.parquet")
    assert written.schema.equals(expected.schema)
    assert written["customer_id"].equals(expected["customer_id"])
    assert differences(as_dict(written), as_dict(expected)) == []
    result = run("signals", "--as-of", AS_OF, "--out", str(tmp_path / "s.csv"), db=demo_db)
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "s.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == expected.num_rows
    assert list(rows[0]) == expected.column_names
    wrong = run("signals", "--as-of", AS_OF, "--out", str(tmp_path / "s.xlsx"), db=demo_db)
    assert wrong.returncode == 2 and ".csv or .parquet" in wrong.stderr


def test_one_customer_is_shown_with_meanings(demo_db: Path) -> None:
    result = run("signals", "--as-of", AS_OF, "--customer", "C000003", db=demo_db)
    assert result.returncode == 0, result.stderr
    assert "Customer C000003 as of 2025-06-30" in result.stdout
    assert "Average days late of invoices paid" in result.stdout
    one = run("signals", "--as-of", AS_OF, "--customer", "C000003", "--json", db=demo_db)
    [row] = [json.loads(line) for line in one.stdout.splitlines()]
    assert row["customer_id"] == "C000003" and set(REGISTRY) <= set(row)


def test_csv_export_cannot_run_formulas(tmp_path: Path) -> None:
    db = tmp_path / "evil.duckdb"
    with Store(db) as store:
        store.con.register("rows", to_arrow("customers", [{"customer_id": "=HYPERLINK(1)"}]))
        store.con.execute(
            "INSERT INTO customers BY NAME SELECT *, 0 AS _import_id FROM rows"
        ).fetchall()
    out = tmp_path / "s.csv"
    assert run("signals", "--as-of", AS_OF, "--out", str(out), db=db).returncode == 0
    with open(out, newline="", encoding="utf-8") as f:
        [row] = list(csv.DictReader(f))
    assert row["customer_id"] == "'=HYPERLINK(1)"


def test_docs_page_commands_run(demo_db: Path) -> None:
    page = (ROOT / "docs" / "signals.md").read_text(encoding="utf-8")
    lines = re.findall(r"^\$ riskseg (.+)$", page, flags=re.M)
    assert len(lines) >= 4
    for line in lines:
        result = run(
            *line.replace("signals.csv", str(demo_db.parent / "d.csv")).split(), db=demo_db
        )
        assert result.returncode == 0, (line, result.stderr)


def test_docs_page_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = (ROOT / "docs" / "signals.md").read_text(encoding="utf-8")
    code = re.findall(r"```python\n(.*?)```", page, flags=re.S)[0]
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(code, "docs/signals.md", "exec"), namespace)
    assert namespace["table"].num_rows > 100  # type: ignore[attr-defined]


@pytest.mark.postgres
def test_signals_computed_in_postgresql_from_the_cli(
    pg_schema: tuple[str, str], demo_db: Path, tmp_path: Path
) -> None:
    import psycopg

    url, schema = pg_schema
    company = generate(customers=120, seed=5)
    arrow = {n: to_arrow(n, t.to_pylist()) for n, t in company.tables.items()}
    with psycopg.connect(url, autocommit=True) as conn:
        load_postgres(conn, schema, arrow)
    out = tmp_path / "pg.parquet"
    result = run(
        "signals", "--source", url, "--schema", schema, "--as-of", AS_OF, "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    with Store(demo_db, read_only=True) as store:
        local = compute_signals(store, as_of=date(2025, 6, 30))
    remote = pq.read_table(out)
    assert remote.num_rows == local.num_rows
    for name in ("revenue_12m", "days_late_mean_12m", "abc_class", "families_covered"):
        got, want = remote.column(name).to_pylist(), local.column(name).to_pylist()
        assert [v is None for v in got] == [v is None for v in want], name
        for a, b in zip(got, want, strict=True):
            assert a == (pytest.approx(b, rel=1e-9) if isinstance(b, float) else b), name
    password = url.split(":")[2].split("@")[0]
    bad = run("signals", "--source", url.replace(password, "wrong"), "--as-of", AS_OF)
    assert bad.returncode == 2 and "wrong" not in bad.stderr

"""``riskseg run``: every customer scored, explained and saved, on the demo company and on a
store too small to learn from."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import roc_auc_score

import riskseg
from conftest import ROOT
from riskseg.demo import generate
from riskseg.models import load_model
from riskseg.models.scores import CONTRACT_COLUMNS
from riskseg.pipeline import RunResult, data_fingerprint, run

pytestmark = pytest.mark.slow
AS_OF = date(2025, 12, 31)
RISKSEG = str(Path(sys.executable).with_name("riskseg"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunResult, Path, Path]]:
    folder = tmp_path_factory.mktemp("demo")
    generate(customers=700, seed=21).write(folder / "data", format="parquet")
    db = folder / "demo.duckdb"
    with riskseg.Store(str(db)) as store:
        riskseg.import_path(store, folder / "data")
        result = run(store, as_of=AS_OF, out_dir=folder / "out", backtest=False)
    yield result, folder, db


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_customer_gets_the_contract_columns_scores_and_reasons(
    demo: tuple[RunResult, Path, Path],
) -> None:
    result, folder, _ = demo
    rows = _rows(folder / "out" / "customers_scored.csv")
    assert len(rows) == 700
    assert tuple(rows[0])[: len(CONTRACT_COLUMNS)] == CONTRACT_COLUMNS
    customers = [r for r in rows if r["status"] != "prospect"]
    assert all(0 <= float(r["risk_score"]) <= 100 for r in customers if r["risk_score"])
    assert all(0 <= float(r["value_score"]) <= 100 for r in customers if r["value_score"])
    # a score of 30 or more always says why, with the points
    risky = [r for r in customers if r["risk_score"] and float(r["risk_score"]) >= 30]
    assert risky and all(r["reasons"].count("points") >= 1 for r in risky)
    # with 700 customers and three years there is enough history: the models score
    assert result.basis["churn"].startswith("model: LightGBM")
    assert result.basis["payment_risk"].startswith("model: LightGBM")
    scored = [r for r in customers if r["churn_probability"]]
    assert len(scored) > 0.6 * len(customers)
    assert all(0 < float(r["churn_probability"]) < 1 for r in scored)
    assert all(" pp" in r["churn_reasons"] for r in scored if r["churn_reasons"])
    # CLV for the repeat buyers, and net CLV below it by the cost to serve
    valued = [r for r in customers if r["clv_12m"]]
    assert len(valued) > 0.6 * len(customers)
    assert all(float(r["net_clv_12m"]) <= float(r["clv_12m"]) + 0.01 for r in valued)


def test_prospects_get_a_pre_contract_decision_and_no_customer_scores(
    demo: tuple[RunResult, Path, Path],
) -> None:
    _, folder, _ = demo
    prospects = [
        r for r in _rows(folder / "out" / "customers_scored.csv") if r["status"] == "prospect"
    ]
    assert prospects
    assert {r["prospect_decision"] for r in prospects} <= {"accept", "reject", "review"}
    assert "reject" in {r["prospect_decision"] for r in prospects}
    assert all(not r["churn_probability"] and not r["clv_12m"] for r in prospects)
    assert all(r["churn_basis"] == "not scored: prospect" for r in prospects)
    rejected = [r for r in prospects if r["prospect_decision"] == "reject"]
    assert all(
        "probability of default" in r["reasons"] or "insolvency" in r["reasons"] for r in rejected
    )


def test_scores_find_the_behaviours_the_demo_planted(demo: tuple[RunResult, Path, Path]) -> None:
    result, folder, _ = demo
    truth = pq.read_table(folder / "data" / "truth" / "ground_truth.parquet").to_pylist()
    behaviour = {t["customer_id"]: t["behaviour"] for t in truth}
    t = result.scored.to_pylist()
    late = [
        r for r in t if behaviour[r["customer_id"]] in ("chronic_late_payer", "invoice_disputer")
    ]
    on_time = [
        r for r in t if behaviour[r["customer_id"]] == "on_time_core" and r["status"] == "active"
    ]

    def auc(key: str) -> float:
        pairs = [(1, r[key]) for r in late if r[key] is not None]
        pairs += [(0, r[key]) for r in on_time if r[key] is not None]
        y, s = zip(*pairs, strict=True)
        return float(roc_auc_score(y, s))

    # late payers rank above on-time core customers on the payment sub-score and payment risk
    assert auc("risk_payment") > 0.9
    assert auc("payment_risk") > 0.9
    unprofitable = [r for r in t if behaviour[r["customer_id"]] == "unprofitable"]
    assert np.mean(
        [r["risk_cost_to_serve"] for r in unprofitable if r["risk_cost_to_serve"] is not None]
    ) > 2 * np.mean(
        [r["risk_cost_to_serve"] for r in on_time if r["risk_cost_to_serve"] is not None]
    )


def test_saved_models_carry_their_metadata_and_predict_the_same(
    demo: tuple[RunResult, Path, Path],
) -> None:
    result, folder, db = demo
    models = folder / "out" / "models"
    assert {p.stem for p in models.glob("*.json")} >= {
        "scorecard",
        "churn",
        "late_payment",
        "bgnbd",
        "gamma_gamma",
    }
    churn, meta = load_model(models / "churn.json")
    assert meta.as_of == AS_OF and meta.version == riskseg.__version__
    with riskseg.Store(str(db)) as store:
        assert meta.fingerprint == data_fingerprint(store) == result.fingerprint
        signals = riskseg.compute_signals(store, as_of=AS_OF)
    assert meta.metrics["n_events"] >= 50
    again = churn.predict_proba(signals)  # type: ignore[attr-defined]
    original = result.models["churn"].predict_proba(signals)  # type: ignore[attr-defined]
    assert np.allclose(again, original)


def test_too_little_history_falls_back_to_the_scorecard_and_says_so(tmp_path: Path) -> None:
    with riskseg.Store(":memory:") as store:
        riskseg.import_path(store, ROOT / "docs" / "examples" / "exports")
        result = run(store, as_of=date(2025, 6, 30), out_dir=tmp_path)
    rows = _rows(tmp_path / "customers_scored.csv")
    assert len(rows) == 4
    assert all(not r["churn_probability"] and not r["payment_risk"] for r in rows)
    customers = [r for r in rows if r["status"] != "prospect"]
    for r in customers:
        assert r["churn_basis"].startswith("only 0 churn events"), r["churn_basis"]
        assert r["churn_basis"].endswith("the scorecard stands in")
        assert r["payment_risk_basis"].endswith("the scorecard stands in")
    assert any("CLV:" in note for note in result.notes)
    assert all(r["risk_score"] for r in customers)  # the scorecard still scores


def test_cli_run_prints_bands_and_writes_json(
    demo: tuple[RunResult, Path, Path], tmp_path: Path
) -> None:
    _, _, db = demo
    env = {**os.environ, "COLUMNS": "120"}
    cmd = [
        RISKSEG,
        "run",
        "--db",
        str(db),
        "--as-of",
        "2025-12-31",
        "--out",
        str(tmp_path),
        "--no-models",
        "--json",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["customers"] + summary["prospects"] == 700
    assert sum(b["customers"] for b in summary["bands"]) == summary["customers"]
    assert summary["basis"]["churn"] == "scorecard: models switched off"
    bad = subprocess.run(
        [RISKSEG, "run", "--db", str(db), "--as-of", "31-12-2025"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert bad.returncode == 2 and "--as-of must be a date" in bad.stderr
    assert "Traceback" not in bad.stderr

"""The main job: signals -> scores -> ``customers_scored``, as of a date, with its models saved.

``riskseg run`` and every other edge call :func:`run`. It computes the signals once, scores
every customer on the scorecard, learns the churn and late-payment models from the store's
own history when there is enough of it (multi-slicing, see :mod:`riskseg.models.classifier`),
fits CLV, and writes ``customers_scored.csv`` plus the models (JSON, with ``as_of``, data
fingerprint, version and training figures) into the output folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import NDArray

from riskseg.contract import TABLES
from riskseg.errors import InputError
from riskseg.models.backtest import BacktestReport, TargetBacktest
from riskseg.models.base import Model, ModelMeta, save_model
from riskseg.models.reasons import signal_values
from riskseg.models.scorecard import Scorecard
from riskseg.models.scores import Probability, scored_table
from riskseg.playbook.engine import CONTRACT_ACTION_COLUMNS
from riskseg.store.store import Store, quote_ident

if TYPE_CHECKING:
    from riskseg.runs import Migration
    from riskseg.segments import Segments

Progress = Callable[[str], None]

#: risk score bands of the run summary: (name, lowest score)
RISK_BANDS: tuple[tuple[str, float], ...] = (("low", 0.0), ("medium", 30.0), ("high", 60.0))


@dataclass
class RunResult:
    """What a run produced; ``files`` are the paths written."""

    as_of: date
    fingerprint: str
    scored: pa.Table
    notes: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    models: dict[str, Model] = field(default_factory=dict)
    #: model name -> where its probabilities come from ("model: ..." or "scorecard: ...")
    basis: dict[str, str] = field(default_factory=dict)
    backtest: BacktestReport | None = None
    revenue_12m: NDArray[np.float64] | None = None
    #: the actions the playbook proposed (stored with ids when the run was recorded)
    actions: pa.Table | None = None
    segments: Segments | None = None
    run_id: int | None = None
    migration: Migration | None = None
    #: every signal of every customer as of the run (written as signals.parquet)
    signals: pa.Table | None = None

    def summary(self) -> dict[str, Any]:
        """Counts by risk band, where each probability comes from, backtest AUCs, files."""
        t = self.scored
        status = t.column("status").to_pylist() if t.num_rows else []
        customer = np.array([s != "prospect" for s in status], dtype=bool)
        risk = signal_values(t, "risk_score")
        revenue = self.revenue_12m if self.revenue_12m is not None else np.zeros(t.num_rows)
        bands = []
        edges = [low for _, low in RISK_BANDS[1:]] + [np.inf]
        for (name, low), high in zip(RISK_BANDS, edges, strict=True):
            rows = customer & (risk >= low) & (risk < high)
            bands.append(
                {
                    "band": f"{name} ({low:.0f}-{min(high, 100):.0f})",
                    "customers": int(rows.sum()),
                    "revenue_12m": float(np.nansum(revenue[rows])),
                    "churn_probability": _mean(signal_values(t, "churn_probability")[rows]),
                    "payment_risk": _mean(signal_values(t, "payment_risk")[rows]),
                }
            )
        unscored = customer & np.isnan(risk)
        if unscored.any():
            bands.append(
                {
                    "band": "no data to score",
                    "customers": int(unscored.sum()),
                    "revenue_12m": float(np.nansum(revenue[unscored])),
                    "churn_probability": None,
                    "payment_risk": None,
                }
            )
        backtest: dict[str, str] = {}
        if self.backtest is not None:
            for r in self.backtest.results:
                backtest[r.target] = _auc_line(r)
        queues: dict[str, dict[str, float]] = {}
        if self.actions is not None:
            for r in self.actions.select(["owner", "control", "expected_impact"]).to_pylist():
                if r["control"]:
                    continue
                q = queues.setdefault(r["owner"], {"actions": 0, "at_stake": 0.0})
                q["actions"] += 1
                q["at_stake"] += r["expected_impact"] or 0.0
        segments: dict[str, int] = {}
        if "segment" in t.column_names:
            for seg in t.column("segment").to_pylist():
                if seg:
                    segments[seg] = segments.get(seg, 0) + 1
        return {
            "as_of": self.as_of.isoformat(),
            "run_id": self.run_id,
            "fingerprint": self.fingerprint,
            "segments": segments,
            "queues": queues,
            "customers": int(customer.sum()),
            "prospects": int((~customer).sum()),
            "bands": bands,
            "basis": dict(self.basis),
            "backtest": backtest,
            "notes": list(self.notes),
            "files": {k: str(v) for k, v in self.files.items()},
        }


def _mean(values: NDArray[np.float64]) -> float | None:
    known = values[~np.isnan(values)]
    return float(known.mean()) if known.size else None


def _auc_line(r: TargetBacktest) -> str:
    if r.model is None:
        return f"no model ({r.fallback})"
    parts = [f"AUC {r.model.auc:.3f}"]
    parts += [f"{name} {m.auc:.3f}" for name, m in r.baselines.items()]
    return ", ".join(parts) + f" (test cut-off {r.test_cutoff}, {r.n_test:,} customers)"


def data_fingerprint(store: Store) -> str:
    """A short hash of every contract table's rows (order-independent): same data, same hash."""
    digest = hashlib.sha256()
    for name in TABLES:
        ident = quote_ident(name)
        count, xor = store.con.execute(
            f"SELECT count(*), coalesce(bit_xor(hash(t)), 0) FROM {ident} AS t"
        ).fetchall()[0]
        digest.update(f"{name}:{count}:{xor};".encode())
    return digest.hexdigest()[:16]


#: the days a run may be as of: the training windows reach years back, due dates months ahead
EARLIEST_AS_OF = date(1950, 1, 1)
LATEST_AS_OF = date(2199, 12, 31)


def write_signals_file(signals: pa.Table, path: Path) -> Path:
    """A run's ``signals.parquet`` and, beside it, ``signals.arrow``, the profile's lookup.

    Both are sorted by customer (as :func:`compute_signals` returns them). The Parquet file
    is the run's output for people and tools (zstd). The Arrow IPC file holds the same rows
    uncompressed in batches of 2,048, which :func:`riskseg.runs.customer_signals` maps into
    memory: one customer's ~120 signals in about a millisecond at 1M customers, a Parquet
    row group in about 16 (``make bench-api`` writes its copy with this function and
    measures both). The price is disk: the bench's Arrow file is 870 MB beside the
    Parquet file's 250 MB at 1M customers. Returns the Arrow file's path.
    """
    pq.write_table(signals, path, row_group_size=2_048, compression="zstd")
    lookup = path.with_suffix(".arrow")
    with pa.ipc.new_file(lookup, signals.schema) as writer:
        for batch in signals.to_batches(max_chunksize=2_048):
            writer.write_batch(batch)
    return lookup


def run(
    store: Store,
    *,
    as_of: date,
    out_dir: str | Path | None = None,
    scorecard: str | None = None,
    models: bool = True,
    backtest: bool = True,
    playbook: str | None = None,
    record: bool = True,
    progress: Progress | None = None,
) -> RunResult:
    """Score every customer as of ``as_of``; write the results when ``out_dir`` is given.

    Parameters
    ----------
    store
        The riskseg store (imported data).
    as_of
        Nothing after this day is used, for signals, training labels or scores.
    out_dir
        Folder for ``customers_scored.csv`` and ``models/*.json``; ``None`` writes nothing.
    scorecard
        A scorecard YAML file; default the shipped one.
    models
        Learn churn, late-payment and CLV models (``False``: the scorecard only).
    backtest
        Backtest the churn and late-payment models (:func:`riskseg.models.backtest.backtest`)
        and save the metrics with them.
    playbook
        A playbook YAML file; default the shipped one.
    record
        Store the run, its customers' segments and its actions (``False``: a dry run).
    progress
        Called with a short description before each step.

    Examples
    --------
    >>> from datetime import date
    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     result = run(store, as_of=date(2025, 6, 30))
    >>> result.scored.num_rows, result.notes[0]
    (0, 'no customers in the store as of 2025-06-30')
    """
    from riskseg.models.slices import signal_cache
    from riskseg.signals import compute_signals

    if not EARLIEST_AS_OF <= as_of <= LATEST_AS_OF:
        raise InputError(
            f"as of must be a day from {EARLIEST_AS_OF} to {LATEST_AS_OF} (the models look years "
            f"back and due dates months ahead), not {as_of}"
        )
    say = progress or (lambda _step: None)
    started_at = datetime.now(UTC).replace(tzinfo=None)
    say("signals")
    cache = signal_cache(store)
    signals = cache(as_of) if models else compute_signals(store, as_of=as_of)
    fingerprint = data_fingerprint(store)
    result = RunResult(as_of, fingerprint, pa.table({}))
    result.signals = signals
    result.revenue_12m = signal_values(signals, "revenue_12m")
    status = _status(store, signals)
    prospect = np.array([s == "prospect" for s in status], dtype=bool)
    n = signals.num_rows
    if n == 0:
        result.notes.append(f"no customers in the store as of {as_of}")

    say("scorecard")
    card_model = Scorecard(scorecard).fit(signals.filter(pa.array(~prospect)))
    card = card_model.score(signals, prospect=prospect)
    result.models["scorecard"] = card_model

    churn = Probability.absent(n, "scorecard: models switched off")
    payment = Probability.absent(n, "scorecard: models switched off")
    clv = None
    if models and n:
        say("churn model")
        churn = _probability(store, "churn", as_of, cache, signals, prospect, result)
        say("late-payment model")
        payment = _probability(store, "late_payment", as_of, cache, signals, prospect, result)
        say("customer lifetime value")
        clv = _clv(signals, prospect, result)
        if backtest:
            from riskseg.models.backtest import backtest as run_backtest

            say("backtest")
            result.backtest = run_backtest(store, as_of=as_of)
    result.basis = {"churn": churn.basis, "payment_risk": payment.basis}

    scored = scored_table(
        signals, as_of=as_of, status=status, card=card, churn=churn, payment=payment, clv=clv
    )
    say("segments and playbook")
    from riskseg.playbook.propose import segment_and_propose

    proposed = segment_and_propose(
        store,
        signals,
        scored,
        as_of=as_of,
        started_at=started_at,
        fingerprint=fingerprint,
        scorecard_text=_scorecard_text(scorecard),
        playbook=playbook,
        record=record,
        details=json.dumps(run_details_of(result, out_dir), default=str),
    )
    result.scored = proposed.scored
    result.actions = proposed.actions
    result.segments = proposed.segments
    result.run_id = proposed.run_id
    result.migration = proposed.migration
    if out_dir is not None:
        say("writing")
        _write(result, Path(out_dir))
    return result


def run_details_of(result: RunResult, out_dir: str | Path | None) -> dict[str, Any]:
    """What the run's probabilities rest on, as stored with it (``riskseg.runs.run_details``):
    ``basis`` (model or scorecard, per probability), ``notes``, ``backtest`` (per target:
    metrics of the model and its baselines, calibration bins; ``null`` when not backtested)
    and ``signals_file``, where the run's signals are (``null`` when it wrote no files).
    """
    backtest = None
    if result.backtest is not None:
        backtest = dataclasses.asdict(result.backtest)
    signals = str((Path(out_dir) / SIGNALS_FILE).resolve()) if out_dir is not None else None
    return {
        "basis": dict(result.basis),
        "notes": list(result.notes),
        "backtest": backtest,
        "signals_file": signals,
    }


def _scorecard_text(path: str | None) -> str:
    from riskseg.models.scorecard import default_scorecard_path

    return Path(path or default_scorecard_path()).read_text(encoding="utf-8")


def _status(store: Store, signals: pa.Table) -> list[str | None]:
    rows = store.con.execute("SELECT customer_id, lower(status) FROM customers").fetchall()
    by_id = dict(rows)
    return [by_id.get(cid) for cid in signals.column("customer_id").to_pylist()]


def _probability(
    store: Store,
    target: str,
    as_of: date,
    cache: Callable[[date], pa.Table],
    signals: pa.Table,
    prospect: NDArray[np.bool_],
    result: RunResult,
) -> Probability:
    from riskseg.models.classifier import RiskClassifier

    model = RiskClassifier(target).fit(store, as_of=as_of, signals=cache)
    if model.fallback_:
        result.notes.append(f"{target.replace('_', '-')} model: {model.fallback_}")
        why: list[str | None] = ["not scored: prospect" if p else None for p in prospect]
        return Probability(np.full(signals.num_rows, np.nan), model.fallback_, None, why)
    result.models[target] = model
    from riskseg.models.probability import model_probability

    return model_probability(model, signals, prospect)


def _clv(signals: pa.Table, prospect: NDArray[np.bool_], result: RunResult) -> pa.Table | None:
    from riskseg.models.clv import lifetime_value

    try:
        value = lifetime_value(signals.filter(pa.array(~prospect)))
    except InputError as exc:
        result.notes.append(f"CLV: {exc}")
        return None
    result.models["bgnbd"] = value.transaction_model
    result.models["gamma_gamma"] = value.gamma_gamma
    table: pa.Table = value.table
    if "clv_12m" in table.column_names:
        missing = table.column("clv_12m").null_count + int(
            pc.sum(pc.is_nan(pc.fill_null(table.column("clv_12m"), 0.0))).as_py() or 0
        )
        if missing:
            result.notes.append(
                f"CLV: no estimate for {missing:,} of {table.num_rows:,} customers (too few "
                "repeat purchases in the history for the purchase model)"
            )
    return table


#: every signal of every customer as of the run, beside customers_scored.csv
SIGNALS_FILE = "signals.parquet"


def _write(result: RunResult, out: Path) -> None:
    """Write the run's files into a hidden folder beside them, then move each into place.

    A run killed while writing (SIGKILL, a full disk) leaves the previous run's files whole:
    each file appears complete or not at all (``os.replace`` is atomic on one file system).
    """
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".riskseg-writing-", dir=out))
    try:
        _write_into(result, staging)
        for key, path in result.files.items():
            final = out / path.relative_to(staging)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, final)
            result.files[key] = final
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_into(result: RunResult, out: Path) -> None:
    from riskseg.exports import to_csv

    if result.signals is not None:
        path = out / SIGNALS_FILE
        result.files["signals"] = path
        # registered, so that _write moves it out of the staging folder with the rest
        result.files["signals_lookup"] = write_signals_file(result.signals, path)

    path = out / "customers_scored.csv"
    to_csv(result.scored, path)
    result.files["customers_scored"] = path
    if result.actions is not None:
        path = out / "actions.csv"
        to_csv(_actions_export(result.actions), path)
        result.files["actions"] = path
    m = result.migration
    if m is not None and m.previous_run is not None:
        path = out / "segment_migration.csv"
        to_csv(m.transitions, path)
        result.files["segment_migration"] = path
        path = out / "segment_movers.csv"
        to_csv(m.movers, path)
        result.files["segment_movers"] = path
    from riskseg.reports.html import render_report

    path = out / "report.html"
    path.write_text(render_report(result), encoding="utf-8")
    result.files["report"] = path
    tests = {r.target: r for r in result.backtest.results} if result.backtest else {}
    for name, model in result.models.items():
        metrics = _training_figures(model)
        if name in tests:
            metrics["backtest"] = tests[name].to_dict()
        meta = ModelMeta(as_of=result.as_of, fingerprint=result.fingerprint, metrics=metrics)
        result.files[f"model:{name}"] = save_model(
            model, out / "models" / f"{name}.json", meta=meta
        )


#: actions.csv: the data contract's columns first, then what a person acting needs
ACTION_EXPORT: tuple[str, ...] = (
    *CONTRACT_ACTION_COLUMNS,
    "action_id",
    "expected_impact",
    "rule",
    "parameters",
)


def _actions_export(actions: pa.Table) -> pa.Table:
    """The actions to carry out: control-group actions are measured, not done, so left out."""
    import pyarrow.compute as pc

    todo = actions.filter(pc.invert(actions.column("control")))
    return todo.select([c for c in ACTION_EXPORT if c in todo.column_names])


def _training_figures(model: Model) -> dict[str, object]:
    figures: dict[str, object] = {}
    for attr in ("n_rows_", "n_events_", "log_likelihood_", "n_customers_", "metrics_"):
        if hasattr(model, attr):
            figures[attr.rstrip("_")] = getattr(model, attr)
    return figures

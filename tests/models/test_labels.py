"""Churn and late-payment labels on tiny hand-made exports, with the answers worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

import riskseg
from riskseg.models.labels import LabelSpec, churn_labels, late_payment_labels

C = date(2025, 1, 1)  # the cut-off of every case below


def _d(days: int) -> str:
    return (C + timedelta(days=days)).isoformat()


def _labels(t: pa.Table) -> dict[str, int]:
    return dict(zip(t["customer_id"].to_pylist(), t["label"].to_pylist(), strict=True))


def _store(tmp_path: Path, files: dict[str, str]) -> riskseg.Store:
    folder = tmp_path / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    store = riskseg.Store(":memory:")
    report = riskseg.import_path(store, folder)
    assert report.exit_code == 0, report.by_table()
    return store


CUSTOMERS = (
    "customer_id,status,customer_since\n"
    "KEEP,active,2020-01-01\n"  # buys before and after: not churned
    "GONE,active,2020-01-01\n"  # buys before, nothing after: no_order
    "DROP,active,2020-01-01\n"  # 1000 before, 300 after: revenue_drop
    "PROS,prospect,\n"  # a prospect with an order line: never eligible
    "SHUT,closed,2020-01-01\n"  # closed and no order after: closed
    "LATE,closed,2020-01-01\n"  # closed, but still buying in the horizon: not churned
    "OLD,active,2020-01-01\n"  # last bought more than 365 days before: not eligible
    "EDGE,active,2020-01-01\n"  # next order one day after the horizon: churned
)


def _orders() -> str:
    rows = [
        ("KEEP", -10, 500),
        ("KEEP", 30, 500),
        ("GONE", -100, 800),
        ("DROP", -60, 1000),
        ("DROP", 60, 300),
        ("PROS", -5, 100),
        ("SHUT", -20, 400),
        ("LATE", -20, 400),
        ("LATE", 170, 400),
        ("OLD", -400, 900),
        ("EDGE", -1, 200),
        ("EDGE", 181, 200),
    ]
    lines = ["order_id,customer_id,order_date,revenue"]
    lines += [f"O{i},{c},{_d(day)},{rev}" for i, (c, day, rev) in enumerate(rows)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def churn_store(tmp_path: Path) -> riskseg.Store:
    return _store(tmp_path, {"customers": CUSTOMERS, "orders": _orders()})


def test_churn_labels_follow_the_definition(churn_store: riskseg.Store) -> None:
    t = churn_labels(churn_store, cutoff=C)
    got = dict(zip(t["customer_id"].to_pylist(), t["reason"].to_pylist(), strict=True))
    assert got == {
        "KEEP": "",
        "GONE": "no_order",
        "DROP": "revenue_drop",
        "SHUT": "closed",
        "LATE": "",
        "EDGE": "no_order",
    }
    assert dict(zip(t["customer_id"].to_pylist(), t["label"].to_pylist(), strict=True)) == {
        c: int(bool(r)) for c, r in got.items()
    }


def test_revenue_drop_is_configurable_and_can_be_switched_off(churn_store: riskseg.Store) -> None:
    def churned(**kw: float | None) -> set[str]:
        t = churn_labels(churn_store, cutoff=C, **kw)  # type: ignore[arg-type]
        return {c for c, y in _labels(t).items() if y}

    assert "DROP" in churned(revenue_drop=0.5)  # 300 < 0.5 * 1000
    assert "DROP" not in churned(revenue_drop=0.8)  # 300 >= 0.2 * 1000
    assert churned(revenue_drop=None) == {"GONE", "SHUT", "EDGE"}


def test_shorter_horizon_and_lookback(churn_store: riskseg.Store) -> None:
    t = churn_labels(churn_store, cutoff=C, horizon_days=20, lookback_days=50)
    got = dict(zip(t["customer_id"].to_pylist(), t["reason"].to_pylist(), strict=True))
    # GONE (-100) falls out of the 50-day lookback; KEEP's next order (+30) is after 20 days
    assert got == {"KEEP": "no_order", "SHUT": "closed", "LATE": "closed", "EDGE": "no_order"}


def test_nothing_after_the_label_window_is_read(tmp_path: Path) -> None:
    before = _store(tmp_path / "a", {"customers": CUSTOMERS, "orders": _orders()})
    later = _orders() + "".join(
        f"X{i},{c},{_d(181 + i)},5000\n" for i, c in enumerate(["GONE", "DROP", "SHUT", "KEEP"])
    )
    after = _store(tmp_path / "b", {"customers": CUSTOMERS, "orders": later})
    for spec in (LabelSpec("churn"), LabelSpec("churn", horizon_days=90)):
        assert spec.labels(before, cutoff=C) == spec.labels(after, cutoff=C)


def _invoices(rows: list[tuple[str, str, int, int, int, int | None]]) -> str:
    lines = ["invoice_id,customer_id,issue_date,due_date,amount,paid_date"]
    for inv, cust, issued, due, amount, paid in rows:
        paid_text = "" if paid is None else _d(paid)
        lines.append(f"{inv},{cust},{_d(issued)},{_d(due)},{amount},{paid_text}")
    return "\n".join(lines) + "\n"


PAYERS = (
    "customer_id,status,customer_since\n"
    "ONTIME,active,2020-01-01\n"
    "LATE31,active,2020-01-01\n"
    "LATE30,active,2020-01-01\n"
    "UNPAID,active,2020-01-01\n"
    "SMALL,active,2020-01-01\n"
    "NEW,active,2025-02-01\n"
    "OUTSIDE,active,2020-01-01\n"
)

INVOICES = _invoices(
    [
        ("I1", "ONTIME", 10, 40, 100, 38),
        ("I2", "LATE31", 10, 40, 100, 71),  # 31 days after due
        ("I3", "LATE30", 10, 40, 100, 70),  # exactly 30 days: not late
        ("I4", "UNPAID", 80, 110, 100, None),
        ("I5", "SMALL", 20, 50, 900, 50),  # 900 on time ...
        ("I6", "SMALL", 30, 60, 100, 200),  # ... 100 very late: 10 % of the amount
        ("I7", "NEW", 40, 70, 100, None),  # not a customer yet at the cut-off
        ("I8", "OUTSIDE", 91, 121, 100, None),  # issued after the 90-day window
        ("I9", "OUTSIDE", 0, 30, 100, None),  # issued on the cut-off: before the window
        ("I10", "ONTIME", 50, 200, 100, None),  # due after c + 90 + 60: left out
    ]
)


@pytest.fixture
def payer_store(tmp_path: Path) -> riskseg.Store:
    return _store(tmp_path, {"customers": PAYERS, "invoices": INVOICES})


def test_late_payment_labels_follow_the_definition(payer_store: riskseg.Store) -> None:
    t = late_payment_labels(payer_store, cutoff=C)
    got = dict(zip(t["customer_id"].to_pylist(), t["label"].to_pylist(), strict=True))
    assert got == {"ONTIME": 0, "LATE31": 1, "LATE30": 0, "UNPAID": 1, "SMALL": 0}
    share = dict(zip(t["customer_id"].to_pylist(), t["reason"].to_pylist(), strict=True))
    assert share["SMALL"] == "0.10"
    # "any invoice late" instead of the amount-weighted majority
    t = late_payment_labels(payer_store, cutoff=C, min_late_share=0.0)
    assert _labels(t)["SMALL"] == 1
    # a shorter lateness threshold turns the 30-days-late invoice late
    t = late_payment_labels(payer_store, cutoff=C, late_days=10)
    assert _labels(t)["LATE30"] == 1


def test_payment_after_the_window_end_reads_as_unpaid(tmp_path: Path) -> None:
    rows = [("P1", "LATE31", 10, 40, 100, 400)]  # paid long after c + 180
    a = _store(tmp_path / "a", {"customers": PAYERS, "invoices": _invoices(rows)})
    rows = [("P1", "LATE31", 10, 40, 100, None)]
    b = _store(tmp_path / "b", {"customers": PAYERS, "invoices": _invoices(rows)})
    spec = LabelSpec("late_payment")
    assert spec.labels(a, cutoff=C) == spec.labels(b, cutoff=C)
    assert spec.labels(a, cutoff=C)["label"].to_pylist() == [1]


def test_label_span_and_latest_cutoff() -> None:
    assert LabelSpec("churn").span_days == 180
    assert LabelSpec("churn", horizon_days=90).span_days == 90
    # 90 days of issues + 60 days of terms + 30 days late
    assert LabelSpec("late_payment").span_days == 180
    assert LabelSpec("late_payment", late_days=10).latest_cutoff(date(2014, 1, 9)) == date(
        2013, 8, 2
    )


def test_labels_refuse_a_window_that_is_not_over(payer_store: riskseg.Store) -> None:
    with pytest.raises(riskseg.InputError, match="need data up to 2025-06-30"):
        LabelSpec("late_payment").labels(payer_store, cutoff=C, as_of=date(2025, 6, 1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target": "default"}, "target must be one of churn, late_payment"),
        ({"target": "churn", "revenue_drop": 1.5}, "revenue_drop must be in"),
        ({"target": "churn", "horizon_days": 0}, "horizon_days must be at least 1"),
        ({"target": "late_payment", "min_late_share": 1.0}, "min_late_share must be in"),
    ],
)
def test_bad_label_settings_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(riskseg.InputError, match=message):
        LabelSpec(**kwargs)  # type: ignore[arg-type]

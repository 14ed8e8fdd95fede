from datetime import date

from sigtools import Compute

TABLES = {
    "customers": [{"customer_id": "A"}, {"customer_id": "B"}],
    "invoices": [
        {
            "invoice_id": "1",
            "customer_id": "A",
            "issue_date": date(2025, 1, 1),
            "due_date": date(2025, 1, 31),
            "amount": 100.0,
            "paid_date": date(2025, 2, 10),
        },
    ],
}


def test_smoke(signals: Compute) -> None:
    out = signals(TABLES, date(2025, 6, 30))
    assert out["A"]["days_late_mean_12m"] == 10.0
    assert out["B"]["days_late_mean_12m"] is None
    assert out["B"]["coverage_payment"] is False

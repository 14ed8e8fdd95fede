"""The demo company passes the importer's own validation: every row stored, nothing quarantined."""

from __future__ import annotations

from pathlib import Path

import riskseg
from riskseg.contract import TABLES
from riskseg.demo import generate


def test_demo_company_imports_without_a_single_quarantined_row(tmp_path: Path) -> None:
    company = generate(customers=400, seed=3)
    company.write(tmp_path / "csv", format="csv")
    with riskseg.Store(":memory:") as store:
        report = riskseg.import_path(store, tmp_path / "csv")
        assert report.exit_code == 0
        counts = report.by_table()
        assert set(counts) == set(TABLES)
        for table, c in counts.items():
            assert c["quarantined"] == 0, (table, store.quarantine(table, limit=3))
            assert c["stored"] == c["read"] == company.tables[table].num_rows
        assert all(store.status().families.values())
        # the ground truth stays out of the store (a subfolder is reported, not imported)
        assert any("truth" in path for path, _ in report.ignored)

"""Every signal is declared once, documented, hand-tested and built exactly as declared."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from riskseg import Store
from riskseg.contract import TABLES
from riskseg.errors import InputError
from riskseg.signals import FAMILY_ORDER, REGISTRY, SignalConfig, compute_signals, get_signal
from riskseg.signals.docs import markdown

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
#: test files that are not hand-made fixtures (they may mention every name)
NOT_HAND_TESTS = {
    "test_registry.py",
    "test_rfm_real_data.py",
    "test_cli.py",
    "test_engines_equal.py",
}


def test_docs_page_reference_is_generated_from_the_registry() -> None:
    page = (ROOT / "docs" / "signals.md").read_text(encoding="utf-8")
    assert markdown() in page, (
        "docs/signals.md is out of date: regenerate the reference with "
        "python -c 'from pathlib import Path; from riskseg.signals.docs import replace_reference;"
        ' p = Path("docs/signals.md"); p.write_text(replace_reference(p.read_text()))\''
    )


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_signal_is_fully_declared(name: str) -> None:
    s = REGISTRY[name]
    assert s.family in FAMILY_ORDER
    assert s.meaning.endswith(".") and len(s.meaning) > 20, "meaning: one readable sentence"
    assert s.unit and s.formula and s.inputs
    assert s.direction in ("risk", "safe", "neutral")
    for ref in s.inputs:
        table, column = ref.split(".")
        assert table in TABLES, f"{name}: unknown input table {table}"
        assert column in {c.name for c in TABLES[table].columns}, f"{name}: unknown {ref}"


def test_every_signal_has_a_hand_made_test() -> None:
    text = "\n".join(
        p.read_text(encoding="utf-8")
        for p in HERE.glob("test_*.py")
        if p.name not in NOT_HAND_TESTS
    )
    mentioned = set(re.findall(r"[\"']([a-z0-9_]+)[\"']", text))
    untested = sorted(set(REGISTRY) - mentioned)
    assert not untested, f"signals without a hand-made test: {untested}"


def test_the_output_has_exactly_the_registry_columns_in_family_order() -> None:
    with Store(":memory:") as store:
        table = compute_signals(store, as_of=date(2025, 1, 1))
    expected = ["customer_id", "as_of"] + [
        s.name for f in FAMILY_ORDER for s in REGISTRY.values() if s.family == f
    ]
    assert table.column_names == expected
    assert table.num_rows == 0


def test_families_selects_columns_and_unknown_names_are_refused() -> None:
    with Store(":memory:") as store:
        table = compute_signals(store, as_of=date(2025, 1, 1), families=["flags"])
        assert table.column_names[2:] == [s for s in REGISTRY if REGISTRY[s].family == "flags"]
        with pytest.raises(InputError, match="unknown signal family paymnet"):
            compute_signals(store, as_of=date(2025, 1, 1), families=["paymnet"])


def test_unknown_signal_names_suggest_the_nearest() -> None:
    with pytest.raises(InputError, match="Did you mean days_late_mean_12m"):
        get_signal("days_late_mean")


def test_settings_are_validated_with_the_key_named() -> None:
    with pytest.raises(ValueError, match="short_window_days"):
        SignalConfig(short_window_days=400)
    with pytest.raises(ValueError, match="hourly_cost"):
        SignalConfig(hourly_cost=-1)

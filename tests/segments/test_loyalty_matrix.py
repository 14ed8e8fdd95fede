"""The Loyalty Matrix per contact and the weighted account class, read from the store."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa

import riskseg
from riskseg.segments import CONTACT_SCHEMA, LoyaltySettings
from riskseg.segments.loyalty import account_loyalty, contact_matrix
from riskseg.signals import SignalConfig

AS_OF = date(2025, 6, 30)

CUSTOMERS = "customer_id,name,status\nC1,Acme,active\nC2,Beta,active\nC3,Gamma,active\n"
ORDERS = "order_id,customer_id,order_date,revenue\nO1,C1,2025-01-10,100\n"
CONTACTS = (
    "contact_id,customer_id,seniority,decision_role,is_primary\n"
    "P1,C1,executive,decision_maker,false\n"
    "P2,C1,staff,user,false\n"
    "P3,C1,staff,user,true\n"
    "P4,C2,manager,decision_maker,false\n"
    "P5,C2,staff,user,false\n"
    "P6,C2,staff,influencer,false\n"
)
SURVEYS = (
    "response_id,contact_id,customer_id,date,behavior,attitude\n"
    # C1: the executive is high risk, two staff are loyal (one of them primary)
    "R1,P1,C1,2025-03-01,4,3\n"
    "R2,P2,C1,2025-03-01,8,9\n"
    "R3,P3,C1,2025-03-01,7,7\n"
    # P1 answered better later, but after as_of: that answer does not exist yet
    "R4,P1,C1,2025-08-01,9,9\n"
    # C2: the decision maker (2) is trapped; two users (1 + 1) are accessible: a tie
    "R5,P4,C2,2025-01-01,9,2\n"
    "R6,P5,C2,2025-01-01,3,8\n"
    "R7,P6,C2,2025-01-01,2,7\n"
    # P5's older answer is replaced by the one above
    "R8,P5,C2,2024-06-01,9,9\n"
    # C3: an answer without a contact, and one naming C1's executive (not C3's)
    "R9,,C3,2025-02-01,9,9\n"
    "R10,P1,C3,2025-02-01,1,1\n"
)


def _load(store: riskseg.Store, folder: Path, **files: str) -> None:
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    riskseg.import_path(store, folder)


def test_matrix_weights_and_the_weighted_account_class(
    store: riskseg.Store, tmp_path: Path
) -> None:
    _load(store, tmp_path / "x", customers=CUSTOMERS, orders=ORDERS, contacts=CONTACTS,
          surveys=SURVEYS)  # fmt: skip
    t = contact_matrix(store, as_of=AS_OF)
    assert t.schema == CONTACT_SCHEMA
    rows = {(r["customer_id"], r["contact_id"]): r for r in t.to_pylist()}
    assert len(rows) == 8  # one latest answer per respondent, nothing after as_of
    assert rows[("C1", "P1")]["quadrant"] == "high_risk"
    assert rows[("C1", "P1")]["survey_date"] == date(2025, 3, 1)
    assert rows[("C1", "P3")]["quadrant"] == "loyal"  # 7 is high
    assert rows[("C2", "P4")]["quadrant"] == "trapped"
    assert rows[("C2", "P5")]["quadrant"] == "accessible"
    weights = {key: r["weight"] for key, r in rows.items()}
    assert weights[("C1", "P1")] == 3  # executive
    assert weights[("C1", "P2")] == 1
    assert weights[("C1", "P3")] == 2  # primary: 1 + 1
    assert weights[("C2", "P4")] == 2  # decision maker
    # a contact of another customer is not C3's executive
    assert rows[("C3", "P1")]["seniority"] is None and weights[("C3", "P1")] == 1
    assert rows[("C3", None)]["quadrant"] == "loyal"

    accounts = account_loyalty(pa.array(["C1", "C2", "C3", "C4"]), t).to_pylist()
    # C1: high risk 3 vs loyal 1 + 2: a tie goes to the riskier class
    # C2: trapped 2 vs accessible 2: the tie again goes to the riskier class
    # C3: loyal 1 vs high risk 1: riskier; C4 has no surveys
    assert accounts == ["high_risk", "trapped", "high_risk", None]


def test_weights_are_settings(store: riskseg.Store, tmp_path: Path) -> None:
    _load(store, tmp_path / "x", customers=CUSTOMERS, orders=ORDERS, contacts=CONTACTS,
          surveys=SURVEYS)  # fmt: skip
    light = LoyaltySettings(executive=1.0, primary_bonus=0.5)
    t = contact_matrix(store, as_of=AS_OF, settings=light)
    assert account_loyalty(pa.array(["C1"]), t).to_pylist() == ["loyal"]
    strict = LoyaltySettings(high=9.0)
    t = contact_matrix(store, as_of=AS_OF, settings=strict)
    quadrants = {r["contact_id"]: r["quadrant"] for r in t.to_pylist() if r["customer_id"] == "C1"}
    assert quadrants == {"P1": "high_risk", "P2": "accessible", "P3": "high_risk"}


def test_an_earlier_as_of_sees_only_earlier_answers(store: riskseg.Store, tmp_path: Path) -> None:
    _load(store, tmp_path / "x", customers=CUSTOMERS, orders=ORDERS, contacts=CONTACTS,
          surveys=SURVEYS)  # fmt: skip
    t = contact_matrix(store, as_of=date(2024, 12, 31))
    assert [(r["contact_id"], r["quadrant"]) for r in t.to_pylist()] == [("P5", "loyal")]
    assert contact_matrix(store, as_of=date(2024, 1, 1)).num_rows == 0


def test_no_store_or_no_surveys_gives_an_empty_table_with_the_columns(
    store: riskseg.Store, tmp_path: Path
) -> None:
    assert contact_matrix(None, as_of=AS_OF).schema == CONTACT_SCHEMA
    _load(store, tmp_path / "x", customers=CUSTOMERS, orders=ORDERS, contacts=CONTACTS)
    t = contact_matrix(store, as_of=AS_OF)
    assert t.num_rows == 0 and t.schema == CONTACT_SCHEMA
    assert account_loyalty(pa.array(["C1"]), t).to_pylist() == [None]


def test_surveys_without_a_contacts_table_weigh_one_each(
    store: riskseg.Store, tmp_path: Path
) -> None:
    _load(store, tmp_path / "x", customers=CUSTOMERS, orders=ORDERS, surveys=SURVEYS)
    t = contact_matrix(store, as_of=AS_OF)
    assert set(t.column("weight").to_pylist()) == {1.0}
    # C1: loyal 2 vs high risk 1
    assert account_loyalty(pa.array(["C1"]), t).to_pylist() == ["loyal"]


def test_high_mark_is_the_signal_default() -> None:
    assert LoyaltySettings().high == SignalConfig().loyalty_high

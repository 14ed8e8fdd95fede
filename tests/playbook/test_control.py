"""Control groups: stable by (customer, action, salt), of the asked share, independent by action."""

from __future__ import annotations

import hashlib
import time

import numpy as np
import pytest
from pydantic import ValidationError

from riskseg.playbook.control import (
    NEVER_HELD_OUT,
    ControlSettings,
    control_draw,
    control_mask,
)

IDS = [f"C{i:06d}" for i in range(100_000)]


def test_draw_is_blake2b_of_action_salt_and_id() -> None:
    # pinned: changing the hash would silently reshuffle every store's control groups
    digest = hashlib.blake2b(b"dunning_strict\x1f\x1fC1", digest_size=8).digest()
    expected = (int.from_bytes(digest, "big") >> 11) / 2**53
    [draw] = control_draw(["C1"], "dunning_strict")
    assert draw == expected == 0.9700298392692138


def test_same_customer_same_action_same_answer_in_any_order_or_batch() -> None:
    ids = IDS[:2000]
    first = control_mask(ids, "dunning_strict", 0.1)
    assert (first == control_mask(ids, "dunning_strict", 0.1)).all()
    assert (control_mask(ids[::-1], "dunning_strict", 0.1) == first[::-1]).all()
    # a customer's membership does not depend on who else is in the run
    assert (control_mask(ids[500:700], "dunning_strict", 0.1) == first[500:700]).all()
    # a larger share only adds customers to the group
    wider = control_mask(ids, "dunning_strict", 0.2)
    assert (wider | ~first).all()


def test_share_on_100k_ids() -> None:
    for share in (0.0, 0.05, 0.10, 0.5, 1.0):
        mask = control_mask(IDS, "retention_outreach", share)
        # binomial sd at 0.5 is 0.0016; 0.006 is > 3.5 sd
        assert abs(mask.mean() - share) < 0.006, share
    draws = control_draw(IDS, "retention_outreach")
    assert draws.min() >= 0.0 and draws.max() < 1.0
    # uniform: every tenth of [0, 1) holds a tenth of the ids (sd 0.00095)
    counts = np.histogram(draws, bins=10, range=(0.0, 1.0))[0] / len(IDS)
    assert np.abs(counts - 0.1).max() < 0.004


def test_groups_are_independent_between_actions() -> None:
    a = control_mask(IDS, "dunning_strict", 0.10)
    b = control_mask(IDS, "retention_outreach", 0.10)
    assert (a != b).any()
    # independent: held out of both about 1 % of the time (sd 0.0003), not 10 %
    assert abs((a & b).mean() - 0.01) < 0.0015
    assert (
        abs(
            np.corrcoef(control_draw(IDS, "dunning_strict"), control_draw(IDS, "price_increase"))[
                0, 1
            ]
        )
        < 0.02
    )


def test_salt_starts_a_new_stable_assignment() -> None:
    base = control_mask(IDS, "dunning_strict", 0.10)
    salted = control_mask(IDS, "dunning_strict", 0.10, salt="2026")
    assert (salted == control_mask(IDS, "dunning_strict", 0.10, salt="2026")).all()
    assert abs((base & salted).mean() - 0.01) < 0.0015
    assert control_draw(["C1"], "dunning_strict", salt="2026")[0] == 0.019323973029811703


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match=r"between 0 and 1, got 1\.5"):
        control_mask(IDS[:3], "dunning_strict", 1.5)
    with pytest.raises(ValueError, match="must not be empty"):
        control_mask(IDS[:3], "", 0.1)
    assert control_mask([], "dunning_strict", 0.1).shape == (0,)


def test_settings_defaults_overrides_and_exemptions() -> None:
    s = ControlSettings(overrides={"price_increase": 0.25}, exempt=frozenset({"educate"}))
    assert s.share == 0.10
    assert s.share_for("dunning_strict") == 0.10
    assert s.share_for("price_increase") == 0.25
    assert s.share_for("educate") == 0.0
    for duty in ("compliance_review", "management_review", "reject_prospect"):
        assert duty in NEVER_HELD_OUT
        assert not s.may_hold_out(duty)
        assert s.share_for(duty) == 0.0
        assert not s.mask(IDS[:5000], duty).any()
    assert s.mask(IDS, "price_increase").mean() == pytest.approx(0.25, abs=0.006)
    assert (s.mask(IDS, "dunning_strict") == control_mask(IDS, "dunning_strict", 0.10)).all()


def test_settings_refuse_holding_out_a_duty_and_bad_values() -> None:
    with pytest.raises(ValidationError, match="compliance_review can never be held out"):
        ControlSettings(overrides={"compliance_review": 0.1})
    with pytest.raises(
        ValidationError, match="price_increase: control share must be between 0 and 1"
    ):
        ControlSettings(overrides={"price_increase": 2.0})
    with pytest.raises(ValidationError, match="is not an action code"):
        ControlSettings(exempt=frozenset({"Dunning Strict"}))
    with pytest.raises(ValidationError):
        ControlSettings(share=-0.1)
    with pytest.raises(ValidationError):
        ControlSettings(shares=0.2)  # type: ignore[call-arg]  # unknown key
    s = ControlSettings()
    with pytest.raises(ValidationError):
        s.share = 0.5  # frozen


@pytest.mark.slow
def test_a_million_ids_take_seconds() -> None:
    ids = [f"CUST{i:07d}" for i in range(1_000_000)]
    start = time.perf_counter()
    mask = control_mask(ids, "dunning_strict", 0.10)
    assert time.perf_counter() - start < 10.0  # about 0.5 s measured; generous for busy CI
    assert abs(mask.mean() - 0.10) < 0.002

"""Control groups: which customers an action is recorded for but deliberately not carried out.

Whether an action works can only be measured against customers who qualified for it and did
not get it. Picking them by hand, or by Python's ``hash()`` (salted per process), would make
the groups differ between runs; instead each (action, customer) pair is hashed with BLAKE2b
into a number uniform in [0, 1), and the customer is held out when that number is below the
action's control share. So:

* the same customer is always in, or always out of, the control group of the same action,
  run after run (a monthly replay does not reshuffle the groups and the impact measurement
  sees one stable group per action);
* membership is independent between actions (the action code is part of the hash), so being
  held out of ``dunning_strict`` says nothing about ``retention_outreach``;
* a ``salt`` starts a fresh, equally stable assignment (a new experiment) without changing
  the share.

Some actions are never held out (:data:`NEVER_HELD_OUT`): withholding them would breach a
legal duty or a management decision, and no measurement is worth that.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: Actions that are always carried out, whatever a control share says:
#:
#: * ``compliance_review``: a legal / regulatory duty (a regulated customer's issues must be
#:   reviewed; it is the action a regulated customer gets instead of an exit);
#: * ``management_review``: a red-line flag always reaches management (a hard constraint of the
#:   playbook, ARCHITECTURE.md); holding it back would hide the flag;
#: * ``reject_prospect``: onboarding a prospect that failed the red-line checks (fraud,
#:   sanctions, ethics) to see what happens is not an experiment a company may run;
#: * ``exit_relationship``: ending a relationship is decided account by account, and its
#:   outcome (no more orders) is the action itself, so a control group would measure nothing.
NEVER_HELD_OUT: frozenset[str] = frozenset(
    {"compliance_review", "management_review", "reject_prospect", "exit_relationship"}
)

DEFAULT_SHARE = 0.10

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_SEP = b"\x1f"  # unit separator: no action code, salt or id boundary can be forged by concatenation


def control_draw(
    customer_ids: Sequence[str], action: str, *, salt: str = ""
) -> npt.NDArray[np.float64]:
    """The stable uniform [0, 1) number of each customer for ``action`` (float64 array).

    BLAKE2b (8-byte digest) of ``action``, ``salt`` and the customer id; the top 53 bits of
    the digest give a float exactly uniform on the 2**53 grid of [0, 1).
    """
    prefix = hashlib.blake2b(
        action.encode() + _SEP + salt.encode() + _SEP, digest_size=8
    )  # hashed once; each id continues a copy of it
    digests = bytearray()
    for cid in customer_ids:
        h = prefix.copy()
        h.update(str(cid).encode())
        digests += h.digest()
    words = np.frombuffer(bytes(digests), dtype=">u8").astype(np.uint64)
    draws: npt.NDArray[np.float64] = (words >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return draws


def control_mask(
    customer_ids: Sequence[str], action: str, share: float, *, salt: str = ""
) -> npt.NDArray[np.bool_]:
    """Which customers are held out of ``action`` as its control group (boolean array).

    Parameters
    ----------
    customer_ids
        The customers the action is proposed for, in any order.
    action
        The action code (``dunning_strict``); part of the hash, so groups of different
        actions are independent.
    share
        The expected share held out, in [0, 1]; ``0`` holds out nobody.
    salt
        Changes the assignment (a new experiment) while keeping it stable run after run.

    Returns
    -------
    A ``numpy`` bool array aligned with ``customer_ids``: ``True`` = control (record the
    action, do not carry it out).

    Examples
    --------
    >>> ids = [f"C{i}" for i in range(10_000)]
    >>> mask = control_mask(ids, "dunning_strict", 0.10)
    >>> round(float(mask.mean()), 2)
    0.1
    >>> bool((mask == control_mask(ids, "dunning_strict", 0.10)).all())
    True
    """
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"control share must be between 0 and 1, got {share!r}")
    if not action:
        raise ValueError("action code must not be empty")
    mask: npt.NDArray[np.bool_] = control_draw(customer_ids, action, salt=salt) < share
    return mask


class ControlSettings(BaseModel):
    """How many customers of each action are held out as its control group.

    Parameters
    ----------
    share
        Default control share of every action (0.10: one customer in ten).
    overrides
        Per-action shares (``{"price_increase": 0.2}``); an action listed in
        :data:`NEVER_HELD_OUT` cannot be given one.
    exempt
        Further actions this company never holds out (on top of :data:`NEVER_HELD_OUT`).
    salt
        Starts a new, equally stable assignment (see :func:`control_mask`).

    Examples
    --------
    >>> s = ControlSettings(overrides={"price_increase": 0.2})
    >>> s.share_for("price_increase"), s.share_for("dunning_strict"), s.share_for("compliance_review")
    (0.2, 0.1, 0.0)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    share: float = Field(default=DEFAULT_SHARE, ge=0.0, le=1.0)
    overrides: dict[str, float] = Field(default_factory=dict)
    exempt: frozenset[str] = frozenset()
    salt: str = ""

    @field_validator("overrides")
    @classmethod
    def _shares_in_range(cls, v: dict[str, float]) -> dict[str, float]:
        for code, share in v.items():
            _check_code(code)
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"{code}: control share must be between 0 and 1, got {share!r}")
        return v

    @field_validator("exempt")
    @classmethod
    def _codes(cls, v: frozenset[str]) -> frozenset[str]:
        for code in v:
            _check_code(code)
        return v

    @model_validator(mode="after")
    def _no_override_of_duties(self) -> ControlSettings:
        duties = sorted(set(self.overrides) & NEVER_HELD_OUT)
        if duties:
            raise ValueError(
                f"{', '.join(duties)} can never be held out (legal or management duty); "
                f"remove them from overrides (never held out: {', '.join(sorted(NEVER_HELD_OUT))})"
            )
        return self

    def may_hold_out(self, action: str) -> bool:
        """Whether ``action`` may have a control group at all."""
        return action not in NEVER_HELD_OUT and action not in self.exempt

    def share_for(self, action: str) -> float:
        """The control share of ``action`` (0 for actions never held out)."""
        if not self.may_hold_out(action):
            return 0.0
        return float(self.overrides.get(action, self.share))

    def mask(self, customer_ids: Sequence[str], action: str) -> npt.NDArray[np.bool_]:
        """:func:`control_mask` with this action's share and the settings' salt."""
        return control_mask(customer_ids, action, self.share_for(action), salt=self.salt)


def _check_code(code: str) -> None:
    if not _CODE.match(code):
        raise ValueError(
            f"{code!r} is not an action code (lower-case letters, digits and _, e.g. "
            "'dunning_strict')"
        )

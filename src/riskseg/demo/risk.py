"""External credit reports and internal red flags of the demo company's accounts."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from riskseg.demo import vocab
from riskseg.demo.arrays import (
    NO_DATE,
    Index,
    choose,
    choose_rows,
    date_order,
    dates,
    group_cumsum,
    id_width,
    ids,
    owners,
    pick,
    rank_in_group,
    table,
    to_weekday,
    uniform_days,
)
from riskseg.demo.behaviours import code, param
from riskseg.demo.customers import Population

#: Days between two bureau reports: quarterly for medium and larger accounts, else half-yearly.
REPORT_STEP = np.array([182, 182, 91, 91, 91])


def credit_reports(rng: np.random.Generator, pop: Population) -> pa.Table:
    """The ``credit_reports`` table: a bureau score, default probability and debts over time."""
    step = np.where(pop.prospect, 91, REPORT_STEP[pop.size])
    # Prospects are checked as soon as they show up; customers on the bureau's cycle.
    phase = np.where(pop.prospect, rng.integers(0, 15, pop.n), np.floor(rng.random(pop.n) * step))
    first = np.minimum(pop.act_lo + phase, pop.act_hi).astype(np.int32)
    count = (pop.act_hi - first) // step + 1
    owner = owners(count)
    rank = rank_in_group(count)
    when = (first[owner] + rank * step[owner]).astype(np.int32)
    last = rank == count[owner] - 1
    insolvent_on = pop.insolvent_on[owner]
    insolvency = last & (insolvent_on != NO_DATE)
    when = np.where(insolvency, insolvent_on, when).astype(np.int32)

    credit = param("credit")
    b = pop.behaviour
    start_score = (credit[b, 0] + rng.normal(0.0, 10.0, pop.n)).clip(25.0, 97.0)
    drop = credit[b, 1] + rng.random(pop.n) * (credit[b, 2] - credit[b, 1])
    progress = (when - pop.start) / max(pop.end - pop.start, 1)
    walk = group_cumsum(rng.normal(0.0, 1.5, len(owner)), count)
    score = start_score[owner] - drop[owner] * progress + walk
    score = np.where(insolvency, rng.uniform(1.0, 8.0, len(owner)), score)
    score = np.round(score.clip(1.0, 99.0))

    # A logistic link from score to default probability, as bureaus calibrate them.
    pd_ = 1.0 / (1.0 + np.exp(0.12 * (score - 35.0))) * rng.lognormal(0.0, 0.15, len(owner))
    pd_ = np.where(insolvency, rng.uniform(0.9, 0.99, len(owner)), pd_)
    pd_ = np.round(pd_.clip(0.0005, 0.99), 4)
    deteriorating = b[owner] == code("credit_deteriorating")
    leverage = rng.uniform(0.3, 2.0, pop.n)[owner] * (1.0 + np.where(deteriorating, 2.0, 0.2) * progress)
    debt = np.round(pop.value[owner] * leverage * rng.lognormal(0.0, 0.1, len(owner)), -2)

    bureau = [c.bureau for c in vocab.COUNTRIES]
    return table(
        "credit_reports",
        {
            "customer_id": pop.ids.take(pa.array(owner)),
            "report_date": dates(when),
            "score": score,
            "probability_of_default": pd_,
            "outstanding_debt": debt,
            "insolvency": insolvency,
            "source": pick(bureau, pop.country[owner]),
        },
    )


CATEGORIES = ("conduct", "reputation", "ethics", "compliance", "regulatory", "fraud", "other")

#: Evidence notes per (category, severity); the department that usually raises it.
NOTES: dict[tuple[str, int], tuple[str, ...]] = {
    ("conduct", 3): (
        "Verbal abuse and threats towards a service desk agent; call recording kept",
        "Field engineer intimidated on site and refuses to return; HR informed",
        "Repeated insults to collections staff, escalated by the team lead",
    ),
    ("conduct", 2): (
        "Shouted at a support agent and demanded a named manager",
        "Insulting e-mails to the inside sales team",
    ),
    ("conduct", 1): ("Rude and impatient on the phone", "Unreasonable tone in a meeting"),
    ("reputation", 1): ("Negative press about labour conditions at the customer",),
    ("reputation", 2): ("Customer named in a product-safety recall",),
    ("ethics", 1): ("Asked for an off-invoice rebate to a private account",),
    ("ethics", 2): ("Buyer requested a personal gift in exchange for the order",),
    ("compliance", 1): ("KYC documents expired; renewal requested",),
    ("compliance", 2): ("Sanctions screening hit under review",),
    ("regulatory", 1): ("Public-tender terms oblige supply until the contract ends",),
    ("regulatory", 2): ("Customer under investigation by the sector regulator",),
    ("fraud", 2): ("Delivery address changed shortly before a large order",),
    ("fraud", 3): ("Orders placed with a forged purchase order",),
    ("other", 1): ("Ownership change announced; new management unknown",),
    ("other", 2): ("Insolvency filing published by the court",),
}
_DEPT = {
    "conduct": (0.25, 0.25, 0.4, 0.1, 0, 0),
    "reputation": (0.6, 0, 0, 0, 0.4, 0),
    "ethics": (0.8, 0.2, 0, 0, 0, 0),
    "compliance": (0, 1, 0, 0, 0, 0),
    "regulatory": (0.2, 0.8, 0, 0, 0, 0),
    "fraud": (0, 1, 0, 0, 0, 0),
    "other": (0.5, 0.5, 0, 0, 0, 0),
}
#: Days a flag counts, by severity; red lines never expire.
FLAG_LIFE = {1: 365, 2: 730}


def flags(rng: np.random.Generator, pop: Population) -> pa.Table:
    """The ``flags`` table: conduct, compliance and other red flags with their evidence."""
    n = pop.n
    b = pop.behaviour
    rows: list[tuple[Index, np.ndarray, np.ndarray, np.ndarray]] = []  # owner, day, cat, sev

    def add(owner: Index, when: np.ndarray, category: str | Index, severity: int | Index) -> None:
        cat = np.full(len(owner), CATEGORIES.index(category)) if isinstance(category, str) else category
        sev = np.full(len(owner), severity) if isinstance(severity, int) else severity
        rows.append((owner, when, cat, sev))

    # Mistreating staff: one red line in the last year and a half, after earlier warnings.
    abusive = np.flatnonzero(b == code("mistreats_staff"))
    recent = np.maximum(pop.act_lo[abusive], pop.end - 540).astype(np.int32)
    add(abusive, uniform_days(rng, recent, pop.act_hi[abusive]), "conduct", 3)
    warned = owners(1 + rng.poisson(1.2, len(abusive)))
    warned_owner = abusive[warned]
    add(warned_owner, uniform_days(rng, pop.act_lo[warned_owner], pop.act_hi[warned_owner]),
        "conduct", 1 + (rng.random(len(warned)) < 0.3))  # fmt: skip

    # Background noise: a few flags of every kind on other accounts, never a conduct red line.
    other = np.flatnonzero((b != code("mistreats_staff")) & (rng.random(n) < 0.03))
    cat = choose(rng, (0.1, 0.25, 0.1, 0.25, 0.1, 0.05, 0.15), len(other))
    sev = 1 + (rng.random(len(other)) < 0.25)
    sev = np.where((cat == CATEGORIES.index("fraud")), np.where(rng.random(len(other)) < 0.3, 3, 2), sev)
    add(other, uniform_days(rng, pop.act_lo[other], pop.act_hi[other]), cat, sev)
    regulated = np.flatnonzero((param("regulated")[b] >= 1.0) & (rng.random(n) < 0.2))
    add(regulated, uniform_days(rng, pop.act_lo[regulated], pop.act_hi[regulated]), "regulatory", 1)
    insolvent = np.flatnonzero(pop.insolvent_on != NO_DATE)
    add(insolvent, pop.insolvent_on[insolvent], "other", 2)

    owner = np.concatenate([r[0] for r in rows])
    when = to_weekday(np.concatenate([r[1] for r in rows]).astype(np.int32))
    when = np.minimum(when, pop.end).astype(np.int32)
    category = np.concatenate([r[2] for r in rows]).astype(np.int64)
    severity = np.concatenate([r[3] for r in rows]).astype(np.int64)

    keys = sorted(NOTES)
    flat = [note for k in keys for note in NOTES[k]]
    sizes = np.array([len(NOTES[k]) for k in keys])
    offsets = np.cumsum(sizes) - sizes
    key_index = {k: i for i, k in enumerate(keys)}
    lookup = np.full((len(CATEGORIES), 4), -1)
    for (c, s), i in key_index.items():
        lookup[CATEGORIES.index(c), s] = i
    which = lookup[category, severity]
    note = offsets[which] + np.floor(rng.random(len(owner)) * sizes[which]).astype(np.int64)
    dept = choose_rows(rng, np.array([_DEPT[c] for c in CATEGORIES], dtype=np.float64)[category])
    life = np.array([0, FLAG_LIFE[1], FLAG_LIFE[2], 0])[severity]
    expires = np.where(severity >= 3, NO_DATE, when + life).astype(np.int32)

    order = date_order(when)
    m = len(order)
    return table(
        "flags",
        {
            "flag_id": ids("FL", np.arange(1, m + 1), id_width(m, 5)),
            "customer_id": pop.ids.take(pa.array(owner[order])),
            "date": dates(when[order]),
            "category": pick(CATEGORIES, category[order]),
            "severity": severity[order],
            "department": pick(vocab.DEPARTMENTS, dept[order]),
            "note": pick(flat, note[order]),
            "expires": dates(expires[order]),
        },
    )


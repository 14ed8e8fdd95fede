"""External credit reports and internal red flags of the demo company's accounts."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from riskseg.demo import vocab
from riskseg.demo.arrays import (
    NO_DATE,
    Days,
    Ints,
    business_days,
    choose,
    choose_by,
    date_order,
    dates,
    group_cumsum,
    ids,
    owners,
    pick,
    rank_in_group,
    starts,
    table,
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
    leverage = rng.uniform(0.3, 2.0, pop.n)[owner] * (
        1.0 + np.where(deteriorating, 2.0, 0.2) * progress
    )
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
_DEPT: dict[str, tuple[float, ...]] = {
    "conduct": (0.25, 0.25, 0.4, 0.1, 0, 0),
    "reputation": (0.6, 0, 0, 0, 0.4, 0),
    "ethics": (0.8, 0.2, 0, 0, 0, 0),
    "compliance": (0, 1, 0, 0, 0, 0),
    "regulatory": (0.2, 0.8, 0, 0, 0, 0),
    "fraud": (0, 1, 0, 0, 0, 0),
    "other": (0.5, 0.5, 0, 0, 0, 0),
}
_DEPARTMENT_WEIGHTS = np.array([_DEPT[c] for c in CATEGORIES], dtype=np.float64)
#: Days a flag counts, by severity; red lines never expire.
FLAG_LIFE = {1: 365, 2: 730}


def flags(rng: np.random.Generator, pop: Population) -> pa.Table:
    """The ``flags`` table: conduct, compliance and other red flags with their evidence."""
    n = pop.n
    b = pop.behaviour
    parts: list[tuple[Ints, Days, Ints]] = []  # owner, day, (category, severity) key

    def add(owner: Ints, when: Days, category: str, severity: Ints | int) -> None:
        sev = np.broadcast_to(severity, len(owner))
        parts.append((owner, when, CATEGORIES.index(category) * 4 + sev))

    # Mistreating staff: a red line in the last year and a half, after earlier warnings.
    abusive = np.flatnonzero(b == code("mistreats_staff"))
    lo, hi = pop.act_lo[abusive], pop.act_hi[abusive]
    add(abusive, business_days(rng, np.clip(pop.end - 540, lo, hi), hi), "conduct", 3)
    warned = abusive[owners(1 + rng.poisson(1.2, len(abusive)))]
    severity = 1 + (rng.random(len(warned)) < 0.3)
    add(warned, business_days(rng, pop.act_lo[warned], pop.act_hi[warned]), "conduct", severity)

    # Background noise on other accounts: a few flags of every kind, never a conduct red line.
    other = np.flatnonzero((b != code("mistreats_staff")) & (rng.random(n) < 0.03))
    category = choose(rng, (0.1, 0.25, 0.1, 0.25, 0.1, 0.05, 0.15), len(other))
    when = business_days(rng, pop.act_lo[other], pop.act_hi[other])
    for c, name in enumerate(CATEGORIES):
        mine = np.flatnonzero(category == c)
        # Mostly watch-level; fraud suspicions are at least serious, some a red line.
        base, escalate = (2, 0.3) if name == "fraud" else (1, 0.25)
        severity = base + (rng.random(len(mine)) < escalate)
        add(other[mine], when[mine], name, severity)
    regulated = np.flatnonzero((param("regulated")[b] >= 1.0) & (rng.random(n) < 0.2))
    when = business_days(rng, pop.act_lo[regulated], pop.act_hi[regulated])
    add(regulated, when, "regulatory", 1)
    insolvent = np.flatnonzero(pop.insolvent_on != NO_DATE)
    add(insolvent, pop.insolvent_on[insolvent], "other", 2)

    when = np.concatenate([p[1] for p in parts]).astype(np.int32)
    ok = when <= pop.end  # a window ending on a weekend has no working day left in it
    order = date_order(when[ok])
    when = when[ok][order]
    owner = np.concatenate([p[0] for p in parts])[ok][order]
    key = np.concatenate([p[2] for p in parts])[ok][order]
    category, severity = key // 4, key % 4
    life = np.array([0, FLAG_LIFE[1], FLAG_LIFE[2], 0])[severity]
    expires = np.where(severity >= 3, NO_DATE, when + life).astype(np.int32)
    department = choose_by(rng, _DEPARTMENT_WEIGHTS, category)
    return table(
        "flags",
        {
            "flag_id": ids("FL", len(owner), 5),
            "customer_id": pop.ids.take(pa.array(owner)),
            "date": dates(when),
            "category": pick(CATEGORIES, category),
            "severity": severity,
            "department": pick(vocab.DEPARTMENTS, department),
            "note": _notes(rng, key),
            "expires": dates(expires),
        },
    )


def _notes(rng: np.random.Generator, key: Ints) -> pa.Array:
    """An evidence note per flag, drawn among those written for its category and severity."""
    keys = [CATEGORIES.index(c) * 4 + s for c, s in NOTES]
    texts = [note for notes in NOTES.values() for note in notes]
    sizes = np.array([len(notes) for notes in NOTES.values()])
    position = np.full(len(CATEGORIES) * 4, -1)
    position[keys] = np.arange(len(keys))
    which = position[key]
    if (which < 0).any():
        raise KeyError("a flag category/severity has no note in NOTES")
    drawn = (rng.random(len(key)) * sizes[which]).astype(np.int64)
    return pick(texts, starts(sizes)[which] + drawn)

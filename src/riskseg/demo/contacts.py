"""People at the customers, and what they answer in the yearly loyalty survey.

Contacts of one account are numbered in slots with fixed jobs: slot 0 is the primary
contact, slot 1 (when present) the finance contact collectors call, slot 2 the executive
sponsor. Fixed slots let other generators address "the finance contact of customer c" with
one array lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from riskseg.demo import vocab
from riskseg.demo.arrays import (
    Days,
    Floats,
    Ints,
    Rows,
    add_business_days,
    calendar_date,
    date_order,
    dates,
    day,
    draw_within,
    ids,
    owners,
    pick,
    rank_in_group,
    starts,
    table,
)
from riskseg.demo.behaviours import UNHAPPY_EXECUTIVE_SURVEY, code, param
from riskseg.demo.customers import SIZE_CONTACTS, Population, local_words

EXECUTIVE_SLOT = 2


@dataclass(frozen=True)
class Contacts:
    """The contacts table and where each customer's contacts sit in it."""

    table: pa.Table
    ids: pa.Array  # the contact_id column as one array, for lookups by row
    first: Rows  # row of each customer's primary contact
    count: Rows  # contacts per customer
    sponsor_slot: Rows  # slot of the executive sponsor per customer, -1 if none is known

    def primary(self, customer: Ints) -> Rows:
        """The primary contact of each customer."""
        return self.first[customer]

    def finance(self, customer: Ints) -> Rows:
        """The finance contact, or the primary one where the account has a single contact."""
        return self.first[customer] + (self.count[customer] > 1)

    def random(self, rng: np.random.Generator, customer: Ints) -> Rows:
        """A contact drawn at random among each customer's contacts."""
        pick_ = rng.random(len(customer), dtype=np.float32) * self.count[customer]
        return self.first[customer] + pick_.astype(np.int32)

    def executive(self, customer: Ints) -> Rows:
        """Row of the executive sponsor, -1 where the account has none on file."""
        slot = self.sponsor_slot[customer]
        return np.where(slot >= 0, self.first[customer] + slot, -1)


def contacts(rng: np.random.Generator, pop: Population) -> Contacts:
    """The ``contacts`` table: name, e-mail, role and seniority of every known person."""
    n = pop.n
    lo, hi = SIZE_CONTACTS[pop.size, 0], SIZE_CONTACTS[pop.size, 1]
    count = lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)
    count = np.where(pop.prospect, 1 + rng.integers(0, 3, n), count)
    count = np.where(pop.behaviour == code("unhappy_executive"), np.maximum(count, 5), count)
    owner = owners(count)
    slot = rank_in_group(count)
    m = len(owner)
    first = starts(count)

    # Role groups by slot (see vocab.ROLE_GROUPS). In small firms the owner is both the
    # primary contact and the executive; larger accounts have a purchasing lead as primary
    # and a separate executive sponsor.
    small_account = pop.size <= vocab.SIZE_BANDS.index("small")
    small = small_account[owner]
    group = np.select(
        [slot == 0, slot == 1, slot == EXECUTIVE_SLOT],
        [np.where(small, 0, 1), np.full(m, 2), np.where(small, 4, 3)],
        4,
    )
    _, role = draw_within(rng, vocab.ROLE_GROUPS, group)
    seniority = np.array([vocab.SENIORITIES.index(r[1]) for r in vocab.ROLES])[role]
    decision = np.array([vocab.DECISION_ROLES.index(r[2]) for r in vocab.ROLES])[role]

    country = pop.country[owner]
    given, given_a = local_words(rng, "first_names", country)
    family, family_a = local_words(rng, "last_names", country)
    join = pc.binary_join_element_wise
    name = join(given, family, " ")
    domain = pop.domain.take(pa.array(owner))
    # CRM data is never complete: a few contacts have no e-mail on file.
    no_email = rng.random(m) < 0.03
    email = join(join(given_a, family_a, "."), domain, "@")
    email = pc.if_else(pa.array(no_email), pa.scalar(None, pa.string()), email)
    tbl = table(
        "contacts",
        {
            "contact_id": ids("P", m, 7),
            "customer_id": pop.ids.take(pa.array(owner)),
            "name": name,
            "email": email,
            "role": pick([r[0] for r in vocab.ROLES], role),
            "seniority": pick(vocab.SENIORITIES, seniority),
            "is_primary": slot == 0,
            "decision_role": pick(vocab.DECISION_ROLES, decision),
        },
    )
    sponsor = np.where(small_account, 0, np.where(count > EXECUTIVE_SLOT, EXECUTIVE_SLOT, -1))
    return Contacts(
        tbl,
        tbl.column("contact_id").combine_chunks(),
        first.astype(np.int32),
        count.astype(np.int32),
        sponsor.astype(np.int32),
    )


def _waves(start: int, end: int) -> list[int]:
    """Survey send-out days: every 1 October in the window, or its middle if none fits."""
    first, last = calendar_date(start).year, calendar_date(end).year
    waves = [day(date(y, 10, 1)) for y in range(first, last + 1)]
    waves = [w for w in waves if start <= w <= end - 28]
    return waves or [(start + end) // 2]


def surveys(rng: np.random.Generator, pop: Population, people: Contacts) -> pa.Table:
    """The ``surveys`` table: yearly loyalty survey answers (behavior and attitude, 0-10)."""
    n_contacts = len(people.table)
    owner = owners(people.count)
    slot = rank_in_group(people.count)
    b = pop.behaviour[owner]
    unhappy = b == code("unhappy_executive")
    sponsor = unhappy & (slot == people.sponsor_slot[owner])
    mean = param("survey")[b]
    mean[sponsor] = UNHAPPY_EXECUTIVE_SURVEY
    # Opinions are partly the account's, partly the person's: shared and personal noise.
    account = rng.normal(0.0, 0.8, (pop.n, 2))[owner]
    personal = rng.normal(0.0, 0.6, (n_contacts, 2))
    baseline = mean + np.where(unhappy[:, None], 0.0, account) + personal

    parts: list[tuple[Rows, Days, Floats]] = []
    for wave in _waves(pop.start, pop.end):
        eligible = ~pop.prospect[owner] & (pop.act_lo[owner] <= wave) & (pop.act_hi[owner] >= wave)
        # The sponsor and the primary contact of an unhappy-executive account always answer,
        # so the gap between the two is visible in every wave.
        answers = (rng.random(n_contacts) < 0.25) | sponsor | (unhappy & (slot == 0))
        who = np.flatnonzero(eligible & answers).astype(np.int32)
        when = add_business_days(np.full(len(who), wave, np.int32), rng.integers(0, 16, len(who)))
        scores = baseline[who] + rng.normal(0.0, 0.7, (len(who), 2))
        ok = when <= pop.end
        parts.append((who[ok], when[ok], scores[ok]))
    who = np.concatenate([p[0] for p in parts])
    when = np.concatenate([p[1] for p in parts])
    scores = np.round(np.concatenate([p[2] for p in parts]).clip(0.0, 10.0))
    order = date_order(when)
    m = len(order)
    return table(
        "surveys",
        {
            "response_id": ids("SR", m, 6),
            "contact_id": people.ids.take(pa.array(who[order])),
            "customer_id": pop.ids.take(pa.array(owner[who[order]])),
            "date": dates(when[order]),
            "behavior": scores[order, 0],
            "attitude": scores[order, 1],
        },
    )

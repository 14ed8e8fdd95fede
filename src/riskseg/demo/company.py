"""The demo company as one object: every contract table, the ground truth, and how to save it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from riskseg.contract import TABLE_ORDER
from riskseg.demo.arrays import NO_DATE, dates, day
from riskseg.demo.behaviours import BEHAVIOURS
from riskseg.demo.contacts import Contacts, contacts, surveys
from riskseg.demo.customers import Population, customers_table, draw_population
from riskseg.demo.interactions import interactions
from riskseg.demo.receivables import receivables
from riskseg.demo.risk import credit_reports, flags
from riskseg.demo.sales import orders, quotes
from riskseg.errors import InputError

#: Largest company generated: one Arrow string column holds at most 2 GiB, which the
#: interaction and order-line columns reach at about 2.5 million accounts.
MAX_CUSTOMERS = 2_000_000

#: Independent random streams, one per generator, so that a change in how one generator
#: draws does not reshuffle the random numbers of the others.
_STREAMS = (
    "population", "customers", "contacts", "orders", "receivables", "quotes",
    "interactions", "credit_reports", "flags", "surveys",
)  # fmt: skip


@dataclass(frozen=True)
class DemoCompany:
    """A generated company: contract tables plus the answers a model should find.

    Attributes
    ----------
    tables
        Contract table name -> Arrow table with exactly the contract's columns and types.
    truth
        One row per account: its behaviour type and the hidden parameters behind it.
    start, end
        The window the history covers; nothing happens after ``end``.
    seed
        The seed it was drawn with.
    """

    tables: dict[str, pa.Table]
    truth: pa.Table
    start: date
    end: date
    seed: int

    def write(
        self, directory: str | Path, *, format: Literal["parquet", "csv"] = "parquet"
    ) -> list[Path]:
        """Write every table as ``<table>.<format>`` and the truth as ``truth/ground_truth.parquet``.

        CSV files have a header row, comma delimiters, ISO dates and empty cells for nulls.

        Parameters
        ----------
        directory
            Folder to write into; created when missing.
        format
            ``"parquet"`` or ``"csv"``.

        Returns
        -------
        list of Path
            The files written, tables in contract import order, the truth last.

        Examples
        --------
        >>> import tempfile
        >>> from riskseg.demo import generate
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     paths = generate(customers=50, seed=1).write(folder, format="csv")
        >>> [p.name for p in paths][:2]
        ['customers.csv', 'contacts.csv']
        """
        if format not in ("parquet", "csv"):
            raise InputError(f"format must be 'parquet' or 'csv', got {format!r}")
        folder = Path(directory)
        (folder / "truth").mkdir(parents=True, exist_ok=True)
        written = []
        for name in TABLE_ORDER:
            path = folder / f"{name}.{format}"
            if format == "csv":
                pacsv.write_csv(self.tables[name], path)
            else:
                pq.write_table(self.tables[name], path)
            written.append(path)
        truth_path = folder / "truth" / "ground_truth.parquet"
        pq.write_table(self.truth, truth_path)
        written.append(truth_path)
        return written


def generate(
    *,
    customers: int = 2000,
    seed: int = 0,
    start: date = date(2023, 1, 1),
    end: date = date(2025, 12, 31),
) -> DemoCompany:
    """Generate a deterministic European B2B supplier with ``customers`` accounts.

    About 8 % of the accounts are prospects (quotes, sales contacts and credit checks, no
    orders or invoices); the customers follow the behaviour types of ``BEHAVIOURS`` in a
    plausible mix, most of them ``on_time_core``. The same arguments always give identical
    tables.

    Parameters
    ----------
    customers
        Number of accounts, prospects included (1 to ``MAX_CUSTOMERS``). From 42 on, every
        behaviour type is present among the customers. A million accounts take about two
        minutes and 13 GB of memory.
    seed
        Seed (at least 0). Each generator draws from its own ``numpy.random.default_rng``,
        spawned from ``numpy.random.SeedSequence(seed)``.
    start, end
        First and last day of the history (at least 90 days apart).

    Returns
    -------
    DemoCompany

    Examples
    --------
    >>> from riskseg.demo import generate
    >>> company = generate(customers=200, seed=7)
    >>> company.tables["customers"].num_rows
    200
    >>> sorted(company.tables) == sorted(["customers", "contacts", "invoices", "payments",
    ...     "orders", "quotes", "interactions", "credit_reports", "flags", "surveys"])
    True
    """
    if isinstance(customers, bool) or not isinstance(customers, int):
        raise InputError(f"customers must be a whole number, got {customers!r}")
    if not 1 <= customers <= MAX_CUSTOMERS:
        raise InputError(f"customers must be between 1 and {MAX_CUSTOMERS:,}, got {customers:,}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed must be a whole number of at least 0, got {seed!r}")
    if (end - start).days < 90:
        raise InputError(f"end must be at least 90 days after start, got {start} .. {end}")
    streams = np.random.SeedSequence(seed).spawn(len(_STREAMS))
    rng = {name: np.random.default_rng(s) for name, s in zip(_STREAMS, streams, strict=True)}

    pop = draw_population(rng["population"], customers, day(start), day(end))
    people = contacts(rng["contacts"], pop)
    tables = {"customers": customers_table(rng["customers"], pop), "contacts": people.table}
    tables["orders"], billing = orders(rng["orders"], pop)
    money = receivables(rng["receivables"], pop, billing)
    tables["invoices"], tables["payments"] = money.invoices, money.payments
    # The largest table goes first, while only its inputs are held in memory besides the
    # tables already built.
    tables["interactions"] = interactions(rng["interactions"], pop, people, billing, [money.events])
    del billing, money
    tables["quotes"] = quotes(rng["quotes"], pop)
    tables["credit_reports"] = credit_reports(rng["credit_reports"], pop)
    tables["flags"] = flags(rng["flags"], pop)
    tables["surveys"] = surveys(rng["surveys"], pop, people)
    return DemoCompany(
        tables={name: tables[name] for name in TABLE_ORDER},
        truth=_truth(pop, people),
        start=start,
        end=end,
        seed=seed,
    )


def _truth(pop: Population, people: Contacts) -> pa.Table:
    """Ground truth per account: the behaviour type and the hidden parameters behind it."""
    customer = ~pop.prospect
    fixed = pop.pay_day > 0
    executive = people.executive(np.arange(pop.n))
    contact_ids = people.ids
    return pa.table(
        {
            "customer_id": pop.ids,
            "behaviour": pa.array(list(BEHAVIOURS), pa.string()).take(pa.array(pop.behaviour)),
            "is_prospect": pop.prospect,
            "usual_pay_day": pa.array(pop.pay_day, pa.int64(), mask=~fixed),
            "expected_days_late": pa.array(
                np.round(pop.late_mean, 1), pa.float64(), mask=fixed | pop.prospect
            ),
            "target_margin": pa.array(np.round(pop.margin, 3), pa.float64(), mask=pop.prospect),
            "annual_value": pa.array(np.round(pop.value, -2), pa.float64(), mask=pop.prospect),
            "closed_on": dates(pop.closed_on),
            "insolvency_date": dates(pop.insolvent_on),
            "drift_start": dates(np.where(customer, pop.drift_start, NO_DATE).astype(np.int32)),
            "executive_contact_id": contact_ids.take(
                pa.array(np.maximum(executive, 0), mask=executive < 0)
            ),
        }
    )

"""What the dashboard (and the API's JSON twins of its pages) read: one core, no HTML.

Every function takes the store and returns plain dataclasses (``dataclasses.asdict`` makes
JSON of them) or dicts, read from one run: the run's customers (``run_customers``), the
contract tables as they stand, and the actions with their audit trail. Nothing here knows of
roles, pages or FastAPI; the one exception, contacts' personal data, is left out unless the
caller asks for it (``with_personal_data=True``), so a forgotten check hides data rather
than showing it.

* :mod:`.summary`: the run, the value x risk matrix, the risk distribution, high-risk shares,
  segment migration;
* :mod:`.customers`: the customer list, a customer's profile and timeline;
* :mod:`.data`: data coverage and the quarantine;
* :mod:`.validation`: the models' backtest, calibration and lift;
* :mod:`.practices`: the six practices of the research and how far the data and the
  departments' records carry each.

Examples
--------
>>> from riskseg import Store
>>> from riskseg.portfolio import latest, data_coverage
>>> with Store(":memory:") as store:
...     latest(store) is None, data_coverage(store).quarantined
(True, 0)
"""

from __future__ import annotations

from riskseg.portfolio.customers import (
    SORTS,
    CustomerPage,
    CustomerProfile,
    Timeline,
    TimelineEvent,
    customer_list,
    customer_names,
    customer_profile,
    customer_timeline,
)
from riskseg.portfolio.data import (
    DataCoverage,
    QuarantinePage,
    TableCoverage,
    data_coverage,
    quarantine_page,
)
from riskseg.portfolio.listing import CustomerIndex, CustomerIndexes
from riskseg.portfolio.practices import (
    LEVELS,
    PRACTICES,
    Practice,
    PracticeCoverage,
    practice_coverage,
)
from riskseg.portfolio.summary import (
    BREAKDOWNS,
    GridCell,
    MigrationMatrix,
    PortfolioSummary,
    RunInfo,
    Share,
    latest,
    migration_matrix,
    portfolio_summary,
    run_history,
    run_info,
    worse,
)
from riskseg.portfolio.validation import (
    LiftPoint,
    ModelValidation,
    TargetValidation,
    model_validation,
)

__all__ = [
    "BREAKDOWNS",
    "LEVELS",
    "PRACTICES",
    "SORTS",
    "CustomerIndex",
    "CustomerIndexes",
    "CustomerPage",
    "CustomerProfile",
    "DataCoverage",
    "GridCell",
    "LiftPoint",
    "MigrationMatrix",
    "ModelValidation",
    "PortfolioSummary",
    "Practice",
    "PracticeCoverage",
    "QuarantinePage",
    "RunInfo",
    "Share",
    "TableCoverage",
    "TargetValidation",
    "Timeline",
    "TimelineEvent",
    "customer_list",
    "customer_names",
    "customer_profile",
    "customer_timeline",
    "data_coverage",
    "latest",
    "migration_matrix",
    "model_validation",
    "portfolio_summary",
    "practice_coverage",
    "quarantine_page",
    "run_history",
    "run_info",
    "worse",
]

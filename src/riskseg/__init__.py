"""riskseg: find the B2B customers who cost more than they bring, explain why, and act on it.

The public API is small on purpose:

>>> import riskseg
>>> store = riskseg.Store(":memory:")          # or a DuckDB file, created and migrated
>>> report = riskseg.import_path(store, "exports/")   # doctest: +SKIP
>>> report.by_table()                                  # doctest: +SKIP
{'invoices': {'read': 2466, 'stored': 2466, 'quarantined': 0, ...}}
"""

__version__ = "0.1.0"

from typing import Any

from riskseg.errors import (
    AmbiguousDateFormat,
    FileRejected,
    InputError,
    MappingError,
    RisksegError,
    StoreError,
)
from riskseg.ingest import ImportReport, import_path, load_mapping
from riskseg.store import Store


def __getattr__(name: str) -> Any:
    # signals pull in Ibis; load them on first use so `import riskseg` (and the CLI) stay fast
    if name in ("compute_signals", "SignalConfig"):
        from riskseg import signals

        return getattr(signals, name)
    raise AttributeError(f"module 'riskseg' has no attribute {name!r}")


__all__ = [
    "AmbiguousDateFormat",
    "FileRejected",
    "ImportReport",
    "InputError",
    "MappingError",
    "RisksegError",
    "SignalConfig",
    "Store",
    "StoreError",
    "__version__",
    "compute_signals",
    "import_path",
    "load_mapping",
]

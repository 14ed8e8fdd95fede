"""The store: canonical tables, import log and quarantine in one DuckDB file."""

from riskseg.store.store import (
    DEFAULT_DB,
    FAMILIES,
    Store,
    StoreStatus,
    TableStatus,
    default_db_path,
    quote_ident,
)

__all__ = [
    "DEFAULT_DB",
    "FAMILIES",
    "Store",
    "StoreStatus",
    "TableStatus",
    "default_db_path",
    "quote_ident",
]

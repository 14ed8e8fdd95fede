"""Ingest: read exports, map them to the contract, validate in the engine, quarantine, upsert."""

from riskseg.ingest.importer import ImportReport, SourceReport, import_path
from riskseg.ingest.mapping import Mapping, TableMapping, load_mapping

__all__ = ["ImportReport", "Mapping", "SourceReport", "TableMapping", "import_path", "load_mapping"]

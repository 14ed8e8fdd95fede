"""Mapping files: how a company's own export headers and values become contract columns.

A mapping is YAML with one entry per contract table::

    version: 1
    tables:
      invoices:
        source: Debiteuren.csv          # file (relative to the mapping), or url: + query:
        sheet: Facturen                 # Excel sheet (optional)
        columns:                        # source header -> contract column
          Factuurnummer: invoice_id
          Klantnummer: customer_id
        constants: {currency: EUR}      # contract column -> value for every row
        expressions:                    # contract column -> expression over source headers
          revenue: "Quantity * UnitPrice"
        values:                         # contract column -> {source value: contract value}
          disputed: {ja: true, nee: false}
        date_format: "%d-%m-%Y"         # strftime; ISO dates are always accepted as well
        decimal: ","                    # decimal separator of numbers in text files
        deduplicate: true               # exact copies of a row count once (not quarantined)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from riskseg.contract import TABLES
from riskseg.errors import MappingError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TableMapping(_Strict):
    """How one contract table is read from one source."""

    source: str | None = None
    sheet: str | None = None
    url: str | None = None
    query: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    constants: dict[str, str | int | float | bool] = Field(default_factory=dict)
    expressions: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, str | int | float | bool | None]] = Field(default_factory=dict)
    date_format: str | None = None
    decimal: Literal[".", ","] | None = None
    thousands: Literal[".", ",", " ", "'", ""] | None = None
    delimiter: Literal[",", ";", "\t", "|"] | None = None
    encoding: str | None = None
    header_row: int | None = Field(default=None, ge=1)
    null_values: list[str] = Field(default_factory=list)
    #: source headers to leave out even when they are named like a contract column
    ignore: list[str] = Field(default_factory=list)
    #: fold exact copies of a row into one (a customers table taken from an invoice export)
    deduplicate: bool = False

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, v: str | None) -> str | None:
        if v is not None and not any(d in v for d in ("%d", "%m", "%Y", "%y", "%b", "%B", "%j")):
            raise ValueError(f"{v!r} is not a strftime date format such as '%d-%m-%Y'")
        return v

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, v: str | None) -> str | None:
        if v is not None:
            import codecs

            try:
                codecs.lookup(v)
            except LookupError as exc:
                raise ValueError(f"unknown encoding {v!r} (try utf-8, cp1252, latin-1)") from exc
        return v

    @model_validator(mode="after")
    def _source_or_query(self) -> TableMapping:
        if self.query and not self.url:
            raise ValueError("'query' needs 'url' (a database URL such as postgresql://...)")
        return self


class Mapping(_Strict):
    """A whole mapping file; ``base_dir`` resolves relative ``source`` paths."""

    version: Literal[1] = 1
    tables: dict[str, TableMapping] = Field(default_factory=dict)
    base_dir: Path | None = None

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, v: dict[str, TableMapping]) -> dict[str, TableMapping]:
        for name, tm in v.items():
            if name not in TABLES:
                raise ValueError(
                    f"unknown table {name!r}; contract tables are: {', '.join(TABLES)}"
                )
            known = set(TABLES[name].column_names) | {
                c.name for c in TABLES[name].extra_key_columns
            }
            for section in ("constants", "expressions", "values"):
                for col in getattr(tm, section):
                    if col not in known:
                        raise ValueError(
                            f"tables.{name}.{section}: {col!r} is not a column of {name} "
                            f"(columns: {', '.join(sorted(known))})"
                        )
            for src, col in tm.columns.items():
                if col not in known:
                    raise ValueError(
                        f"tables.{name}.columns: {src!r} maps to {col!r}, which is not a column "
                        f"of {name} (columns: {', '.join(sorted(known))})"
                    )
        return v

    def for_table(self, table: str) -> TableMapping | None:
        return self.tables.get(table)

    def table_for_source(self, path: Path) -> list[str]:
        """Tables whose ``source`` is this file."""
        out = []
        for name, tm in self.tables.items():
            if tm.source and self.resolve(tm.source).resolve() == path.resolve():
                out.append(name)
        return out

    def resolve(self, source: str) -> Path:
        p = Path(source)
        if not p.is_absolute() and self.base_dir is not None:
            p = self.base_dir / p
        return p


def load_mapping(path: str | os.PathLike[str]) -> Mapping:
    """Read and validate a mapping YAML file.

    Raises ``MappingError`` naming the file and the offending key for anything unknown
    or unsafe.
    """
    p = Path(path)
    try:
        raw: Any = yaml.safe_load(p.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise MappingError(f"mapping file {p} does not exist") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MappingError(f"mapping file {p} is not valid YAML: {exc}") from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise MappingError(
            f"mapping file {p}: expected a mapping with 'tables:', got {type(raw).__name__}"
        )
    return mapping_from_dict(raw, base_dir=p.parent, origin=str(p))


def mapping_from_dict(
    raw: dict[str, Any], *, base_dir: Path | None = None, origin: str = "mapping"
) -> Mapping:
    """Validate a mapping given as a dict (as loaded from YAML)."""
    try:
        return Mapping.model_validate({**raw, "base_dir": base_dir})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(x) for x in err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key (check the spelling; see docs/mapping.md)"
            problems.append(f"{where}: {msg}")
        raise MappingError(f"{origin}: " + "; ".join(problems)) from exc

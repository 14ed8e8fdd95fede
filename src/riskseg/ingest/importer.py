"""Import: sources -> staging -> validation -> quarantine + upsert, one transaction per source.

``import_path`` is the public entry point. Every row read ends up either stored or in
quarantine with its file, line, column and reason, and the counts are checked to
reconcile before a source is committed.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from riskseg import __version__
from riskseg.contract import TABLE_ORDER, TABLES
from riskseg.errors import FileRejected, InputError, RisksegError
from riskseg.ingest import sources, validate
from riskseg.ingest.convert import lit
from riskseg.ingest.mapping import Mapping, TableMapping, load_mapping
from riskseg.ingest.sources import Staged, TextOptions
from riskseg.store.store import Store, changed, quote_ident

TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
SUFFIXES = TEXT_SUFFIXES | PARQUET_SUFFIXES | EXCEL_SUFFIXES

#: progress(source, stage) is called as a source moves through reading, checking, storing, done
ProgressHook = Callable[[str, str], None]


@dataclass
class SourceReport:
    """What happened to one source (a file, a sheet or a query)."""

    source: str
    table: str | None
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    quarantined: int = 0
    import_id: int | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def stored(self) -> int:
        return self.inserted + self.updated + self.unchanged + self.merged


@dataclass
class ImportReport:
    """The outcome of one ``import_path`` call."""

    sources: list[SourceReport] = field(default_factory=list)
    #: files in a folder that are not contract tables: (path, why)
    ignored: list[tuple[str, str]] = field(default_factory=list)

    @property
    def failed(self) -> list[SourceReport]:
        return [s for s in self.sources if s.error]

    @property
    def exit_code(self) -> int:
        """0 when every source was imported (rows may be quarantined), 2 when one could not be
        used, or when nothing importable was found at all."""
        return 2 if self.failed or not self.sources else 0

    def by_table(self) -> dict[str, dict[str, int]]:
        """``{table: {"read": n, "stored": n, "quarantined": n, ...}}`` over imported sources."""
        out: dict[str, dict[str, int]] = {}
        for s in self.sources:
            if s.error or s.table is None:
                continue
            t = out.setdefault(
                s.table,
                dict.fromkeys(
                    ("read", "stored", "quarantined", "inserted", "updated", "unchanged", "merged"),
                    0,
                ),
            )
            for k in t:
                t[k] += getattr(s, k)
        return out


@dataclass(frozen=True)
class _Unit:
    table: str | None
    kind: str  # csv, parquet, xlsx, sql
    path: Path | None
    sheet: str | None = None
    url: str | None = None
    query: str | None = None
    label: str = ""


def import_path(
    store: Store,
    *paths: str | os.PathLike[str],
    mapping: Mapping | str | os.PathLike[str] | None = None,
    date_format: str | None = None,
    decimal: str | None = None,
    progress: ProgressHook | None = None,
) -> ImportReport:
    """Import files, folders, workbooks or database URLs into ``store``.

    Parameters
    ----------
    store
        The store to write to.
    *paths
        Files (``invoices.csv``, ``orders.parquet``, ``export.xlsx``), folders (every file
        named after a contract table) or database URLs (``postgresql://...``: every table
        named after a contract table, or the queries of the mapping). With no paths, the
        sources named in ``mapping`` are imported.
    mapping
        A mapping (or the path of a mapping YAML) from the export's headers and values to
        the contract.
    date_format, decimal
        Declare how every source writes dates (``"%d-%m-%Y"``) and numbers (``","``),
        overriding detection and the mapping.
    progress
        Called as ``progress(source, stage)``.

    Returns
    -------
    ImportReport
        Counts per source; ``exit_code`` is 2 when a source could not be used at all.

    Examples
    --------
    >>> import riskseg, pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "customers.csv").write_text("customer_id;name\\nC1;Acme BV\\nC1;Acme BV\\n")
    >>> with riskseg.Store(":memory:") as store:
    ...     report = riskseg.import_path(store, d / "customers.csv")
    >>> report.by_table()["customers"]["read"], report.by_table()["customers"]["quarantined"]
    (2, 1)
    """
    if mapping is not None and not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping)
    report = ImportReport()
    units: list[_Unit] = []
    for p in paths:
        units.extend(_expand(str(p), mapping, report))
    if not paths and mapping is not None:
        units.extend(_mapping_units(mapping))
    if not paths and mapping is None:
        raise InputError("nothing to import: give files, folders or a database URL (or --mapping)")
    order = {t: i for i, t in enumerate(TABLE_ORDER)}
    units.sort(key=lambda u: order.get(u.table or "", len(order)))
    for unit in units:
        report.sources.append(_import_unit(store, unit, mapping, date_format, decimal, progress))
    return report


# -- planning ---------------------------------------------------------------------------------
def _expand(arg: str, mapping: Mapping | None, report: ImportReport) -> list[_Unit]:
    if re.match(r"^[a-z][a-z0-9+]*://", arg):
        return _url_units(arg, mapping)
    path = Path(arg)
    if path.is_dir():
        units = []
        for child in sorted(path.iterdir()):
            if child.is_dir():
                report.ignored.append((str(child), "folder (folders are not searched)"))
                continue
            mapped = mapping.table_for_source(child) if mapping else []
            if (
                mapped
                or (child.suffix.lower() in SUFFIXES and _table_from_name(child))
                or (child.suffix.lower() in EXCEL_SUFFIXES and _sheet_tables(child))
            ):
                units.extend(_file_units(child, mapping))
            else:
                report.ignored.append(
                    (
                        str(child),
                        "not named after a contract table "
                        f"({', '.join(TABLE_ORDER)}) nor in the mapping",
                    )
                )
        return units
    if not path.exists():
        return [_Unit(None, "missing", path, label=str(path))]
    return _file_units(path, mapping)


def _file_units(path: Path, mapping: Mapping | None) -> list[_Unit]:
    suffix = path.suffix.lower()
    mapped = mapping.table_for_source(path) if mapping else []
    kind = (
        "parquet" if suffix in PARQUET_SUFFIXES else "xlsx" if suffix in EXCEL_SUFFIXES else "csv"
    )
    if kind == "xlsx":
        if mapped:
            assert mapping is not None
            return [
                _Unit(t, kind, path, sheet=_mapped_sheet(path, mapping.tables[t]), label=str(path))
                for t in mapped
            ]
        sheets = _sheet_tables(path)
        if sheets:
            return [_Unit(t, kind, path, sheet=s, label=f"{path} [{s}]") for s, t in sheets]
        table = _table_from_name(path)
        first = sources.excel_sheets(path)[0] if table else None
        return [_Unit(table, kind, path, sheet=first, label=str(path))]
    if mapped:
        return [_Unit(t, kind, path, label=str(path)) for t in mapped]
    return [_Unit(_table_from_name(path), kind, path, label=str(path))]


def _mapped_sheet(path: Path, tm: TableMapping) -> str:
    return tm.sheet or sources.excel_sheets(path)[0]


def _sheet_tables(path: Path) -> list[tuple[str, str]]:
    try:
        names = sources.excel_sheets(path)
    except FileRejected:
        return []
    return [(s, s.strip().lower()) for s in names if s.strip().lower() in TABLES]


def _table_from_name(path: Path) -> str | None:
    stem = path.name.split(".")[0].strip().lower()
    return stem if stem in TABLES else None


def _mapping_units(mapping: Mapping) -> list[_Unit]:
    units = []
    for table, tm in mapping.tables.items():
        if tm.url:
            url = os.path.expandvars(tm.url)
            units.append(
                _Unit(
                    table,
                    "sql",
                    None,
                    url=url,
                    query=tm.query or table,
                    label=sources.redact_url(url),
                )
            )
        elif tm.source:
            path = mapping.resolve(tm.source)
            units.extend(u for u in _file_units(path, mapping) if u.table == table)
    return units


def _url_units(url: str, mapping: Mapping | None) -> list[_Unit]:
    url = os.path.expandvars(url)
    if mapping is not None:
        picked = [
            _Unit(t, "sql", None, url=url, query=tm.query or t, label=sources.redact_url(url))
            for t, tm in mapping.tables.items()
            if tm.query or (tm.url and os.path.expandvars(tm.url) == url)
        ]
        if picked:
            return picked
    return [
        _Unit(t, "sql", None, url=url, query=t, label=sources.redact_url(url))
        for t in _database_tables(url)
    ]


def _database_tables(url: str) -> list[str]:
    """Contract tables present in a database (tables or views named like them)."""
    import duckdb

    con = duckdb.connect()
    try:
        staged = sources.read_sql(
            con,
            url,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            if not url.startswith("sqlite")
            else "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')",
            name="dbtables",
        )
        names = [
            str(r[0]).lower() for r in con.execute(f"SELECT c0 FROM {staged.relation}").fetchall()
        ]
    finally:
        con.close()
    found = [t for t in TABLE_ORDER if t in names]
    if not found:
        raise InputError(
            f"{sources.redact_url(url)}: no table or view is named after a contract table "
            f"({', '.join(TABLE_ORDER)}); name the queries in a mapping file"
        )
    return found


# -- one source ---------------------------------------------------------------------------------
_counter = 0


def _import_unit(
    store: Store,
    unit: _Unit,
    mapping: Mapping | None,
    date_format: str | None,
    decimal: str | None,
    progress: ProgressHook | None,
) -> SourceReport:
    global _counter
    _counter += 1
    name = f"stg{_counter}"
    label = unit.label or str(unit.path)
    rep = SourceReport(label, unit.table)
    if unit.kind == "missing":
        rep.error = f"{label}: no such file or folder"
        return rep
    if unit.table is None:
        rep.error = (
            f"{label}: cannot tell which table this is: name the file after a contract table "
            f"({', '.join(TABLE_ORDER)}) or map it in a mapping file (riskseg mapping suggest)"
        )
        return rep
    table = TABLES[unit.table]
    tm = mapping.for_table(unit.table) if mapping else None
    started = datetime.now(UTC).replace(tzinfo=None)
    con = store.con
    notify = progress or (lambda _s, _st: None)
    notify(label, "reading")
    with sources.scratch_dir() as scratch:
        con.execute("BEGIN TRANSACTION")
        try:
            staged = _stage(store, unit, table.name, tm, name, Path(scratch))
            rep.source = staged.source
            rep.read = staged.read
            rep.notes.extend(staged.notes)
            notify(label, "checking")
            plan = validate.plan(table, staged, tm)
            validate.detect_formats(con, plan, staged, tm, decimal=decimal, date_format=date_format)
            checked = validate.check(
                con, plan, staged, name, merge_copies=bool(tm and tm.deduplicate)
            )
            rep.merged = checked.folded
            rep.notes.extend(checked.notes)
            if plan.ignored:
                rep.notes.append(f"columns not used: {', '.join(plan.ignored)}")
            notify(label, "storing")
            import_id = _next_import_id(store)
            rep.import_id = import_id
            rep.quarantined = _quarantine(store, import_id, table.name, staged, name, plan)
            rep.inserted, rep.updated, rep.unchanged = _upsert(
                store, table.name, checked.valid, import_id
            )
            if rep.read != rep.stored + rep.quarantined:
                raise RisksegError(
                    f"internal error: {label} read {rep.read} rows but stored {rep.stored} "
                    f"and quarantined {rep.quarantined}; nothing was imported"
                )
            if rep.read == 0:
                rep.notes.append("no data rows (header only)")
            _log(store, rep, unit, tm, started, _fingerprint(unit, tm))
            con.execute("COMMIT")
        except FileRejected as exc:
            con.execute("ROLLBACK")
            rep.error = str(exc)
            rep.read = rep.inserted = rep.updated = rep.unchanged = rep.merged = rep.quarantined = 0
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            changed()
            _drop_temp(store, name)
    notify(label, "done")
    return rep


def _stage(
    store: Store, unit: _Unit, table: str, tm: TableMapping | None, name: str, scratch: Path
) -> Staged:
    con = store.con
    known = set(TABLES[table].column_names) | set((tm.columns if tm else {}).keys())
    if unit.kind == "sql":
        assert unit.url and unit.query
        return sources.read_sql(con, unit.url, unit.query, name=name)
    assert unit.path is not None
    if not unit.path.is_file():
        raise FileRejected(str(unit.path), "no such file")
    if unit.kind == "parquet":
        return sources.read_parquet(con, unit.path, name=name)
    if unit.kind == "xlsx":
        assert unit.sheet is not None
        return sources.read_excel(
            con,
            unit.path,
            sheet=unit.sheet,
            name=name,
            known=known,
            header_row=tm.header_row if tm else None,
        )
    opts = TextOptions(
        encoding=tm.encoding if tm else None,
        delimiter=(tm.delimiter if tm else None)
        or ("\t" if unit.path.suffix.lower() == ".tsv" else None),
        header_row=tm.header_row if tm else None,
    )
    return sources.read_csv(con, unit.path, name=name, known=known, options=opts, workdir=scratch)


def _next_import_id(store: Store) -> int:
    row = store.con.execute("SELECT nextval('import_id_seq')").fetchall()[0]
    assert row is not None
    return int(row[0])


def _quarantine(
    store: Store, import_id: int, table: str, staged: Staged, name: str, plan: validate.Plan
) -> int:
    """Replace this source's earlier quarantine with its current bad rows; returns their count."""
    con = store.con
    con.execute(
        "DELETE FROM quarantine WHERE table_name = ? AND source = ?", [table, staged.source]
    )
    record = (
        "json_object(" + ", ".join(f"{lit(h)}, s.{c}" for h, c in staged.columns.items()) + ")"
        if staged.columns
        else "NULL"
    )
    origin = (
        "CASE "
        + " ".join(
            f"WHEN e.column = {lit(col)} THEN {lit(hdr)}" for col, hdr in plan.origin.items()
        )
        + " ELSE e.column END"
    )
    con.execute(
        f"INSERT INTO quarantine SELECT ?, ?, ?, c.__line, e.column || CASE WHEN ({origin}) <> e.column "
        f"THEN ' (' || ({origin}) || ')' ELSE '' END, e.value, "
        "e.reason || CASE WHEN len(c.__errs) > 1 THEN ' (and ' || (len(c.__errs) - 1) || ' more: ' || "
        "array_to_string(list_transform(c.__errs[2:], lambda x: x.column || ': ' || x.reason), '; ') || ')' "
        f"ELSE '' END, CAST({record} AS VARCHAR) "
        f"FROM (SELECT __line, __errs, __errs[1] AS e FROM {name}_chk WHERE __errs IS NOT NULL) c "
        f"JOIN {staged.relation} s USING (__line)",
        [import_id, table, staged.source],
    )
    keycol = TABLES[table].key[0]
    con.execute(
        f"INSERT INTO quarantine SELECT ?, ?, ?, d.__line, {lit(keycol)}, d.keyval, d.reason, "
        f"CAST({record} AS VARCHAR) FROM {name}_dupbad d JOIN {staged.relation} s USING (__line)",
        [import_id, table, staged.source],
    )
    if staged.rejects:
        con.executemany(
            "INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, NULL, ?, ?)",
            [
                [import_id, table, staged.source, r.line, r.column, r.reason, r.record]
                for r in staged.rejects
            ],
        )
    row = con.execute(
        "SELECT count(*) FROM quarantine WHERE table_name = ? AND source = ?",
        [table, staged.source],
    ).fetchall()[0]
    return int(row[0]) if row else 0


def _upsert(store: Store, table: str, valid: str, import_id: int) -> tuple[int, int, int]:
    """Insert new keys, update changed rows, leave identical ones alone."""
    con = store.con
    t = TABLES[table]
    cols = [c.name for c in t.stored_columns]
    present = {r[0] for r in con.execute(f"DESCRIBE {valid}").fetchall()}
    data_cols = [c for c in cols if c in present]
    target = quote_ident(table)
    col_list = ", ".join(quote_ident(c) for c in data_cols)
    if store.count(table) == 0:
        # first import of a table: nothing to compare with, insert straight from the view
        con.execute(
            f"INSERT INTO {target} ({col_list}, _import_id, _line) "
            f"SELECT {col_list}, {int(import_id)}, __line FROM {valid}"
        )
        if table == "orders":
            store.refresh_order_days()
        return store.count(table), 0, 0
    on = " AND ".join(f"v.{quote_ident(k)} = t.{quote_ident(k)}" for k in t.key)
    differs = (
        " OR ".join(
            f"v.{quote_ident(c)} IS DISTINCT FROM t.{quote_ident(c)}"
            for c in data_cols
            if c not in t.key
        )
        or "false"
    )
    con.execute(
        f"CREATE TEMP TABLE {valid}_m AS SELECT v.*, (t.{quote_ident(t.key[0])} IS NULL) AS __new, "
        f"coalesce({differs}, false) AS __changed FROM {valid} v LEFT JOIN {target} t ON {on}"
    )
    row = con.execute(
        f"SELECT count(*) FILTER (WHERE __new), count(*) FILTER (WHERE NOT __new AND __changed), "
        f"count(*) FILTER (WHERE NOT __new AND NOT __changed) FROM {valid}_m"
    ).fetchall()[0]
    assert row is not None
    inserted, updated, unchanged = (int(x) for x in row)
    if table == "orders" and (inserted or updated):
        # the customers whose purchase days change: of the new and changed lines, and the
        # customers a changed line belonged to before (an order moved to another customer)
        con.execute(
            f"CREATE TEMP TABLE {valid}_touched AS "
            f"SELECT customer_id FROM {valid}_m WHERE __new OR __changed "
            f"UNION SELECT t.customer_id FROM {valid}_m v JOIN {target} t ON {on} "
            "WHERE v.__changed AND NOT v.__new"
        )
    if inserted:
        con.execute(
            f"INSERT INTO {target} ({col_list}, _import_id, _line) "
            f"SELECT {col_list}, {int(import_id)}, __line FROM {valid}_m WHERE __new"
        )
    if updated:
        sets = ", ".join(
            f"{quote_ident(c)} = v.{quote_ident(c)}" for c in data_cols if c not in t.key
        )
        con.execute(
            f"UPDATE {target} AS t SET {sets}, _import_id = {int(import_id)}, _line = v.__line "
            f"FROM (SELECT * FROM {valid}_m WHERE __changed AND NOT __new) v WHERE {on}"
        )
    if table == "orders" and (inserted or updated):
        store.refresh_order_days(f"{valid}_touched")
    return inserted, updated, unchanged


def _log(
    store: Store,
    rep: SourceReport,
    unit: _Unit,
    tm: TableMapping | None,
    started: datetime,
    fingerprint: str,
) -> None:
    store.con.execute(
        "INSERT INTO import_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            rep.import_id,
            started,
            datetime.now(UTC).replace(tzinfo=None),
            rep.source,
            unit.kind,
            rep.table,
            fingerprint,
            tm.model_dump_json(exclude_defaults=True) if tm else None,
            rep.read,
            rep.inserted,
            rep.updated,
            rep.unchanged,
            rep.quarantined,
            "; ".join(rep.notes) or None,
            __version__,
        ],
    )


def _fingerprint(unit: _Unit, tm: TableMapping | None) -> str:
    h = hashlib.sha256()
    if unit.path is not None and unit.path.is_file():
        with unit.path.open("rb") as fh:
            while chunk := fh.read(1 << 22):
                h.update(chunk)
    else:
        h.update(f"{unit.url}|{unit.query}".encode())
    h.update((tm.model_dump_json() if tm else "").encode())
    return h.hexdigest()


def _drop_temp(store: Store, name: str) -> None:
    rows = store.con.execute(
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_catalog = 'temp' AND (table_name = ? OR starts_with(table_name, ?))",
        [name, name + "_"],
    ).fetchall()
    for tname, ttype in sorted(rows, key=lambda r: r[1] != "VIEW"):
        kind = "VIEW" if ttype == "VIEW" else "TABLE"
        store.con.execute(f"DROP {kind} IF EXISTS temp.{quote_ident(tname)}")

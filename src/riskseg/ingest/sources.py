"""Readers: every kind of source becomes a staging table of text columns with line numbers.

``read_csv`` / ``read_parquet`` / ``read_excel`` / ``read_sql`` each create a temporary
DuckDB table ``<name>`` with ``__line`` (the line, sheet row or result row a user would
look up) and one VARCHAR column per source column. Validation then runs on that table in
the engine. Rows that cannot even be split into fields are returned as ``Reject``s.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import duckdb
import pyarrow as pa

from riskseg.errors import FileRejected, InputError
from riskseg.ingest import textfile
from riskseg.store.store import quote_ident

#: DuckDB's default 2 MB line limit would reject long notes; fields over 1 MB are
#: quarantined by validation with their line and column instead.
MAX_LINE_BYTES = 64 * 1024 * 1024
BATCH_ROWS = 50_000


@dataclass
class Reject:
    """A source row that could not be split into fields."""

    line: int | None
    reason: str
    record: str | None = None
    column: str | None = None


@dataclass
class Staged:
    source: (
        str  # what a user would recognise: file name, "file.xlsx [Sheet]", "postgresql://host/db"
    )
    kind: str  # csv, parquet, xlsx, sql
    relation: str  # temporary table or view with __line and the source columns
    headers: list[str]  # source headers, in order
    columns: dict[str, str]  # source header -> column name in ``relation``
    rows: int  # rows staged (parsed into fields)
    text: bool  # numbers and dates are text as the user typed them (CSV) rather than typed
    rejects: list[Reject] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def read(self) -> int:
        return self.rows + len(self.rejects)


@dataclass(frozen=True)
class TextOptions:
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None


# -- CSV ------------------------------------------------------------------------------------
def read_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    /,
    *,
    name: str,
    known: Iterable[str],
    options: TextOptions,
    workdir: Path,
) -> Staged:
    """Stage a delimited text file (``,`` ``;`` tab ``|``; any common encoding)."""
    encoding = textfile.detect_encoding(path, options.encoding)
    lay = textfile.layout(
        path,
        known=known,
        encoding=encoding,
        delimiter=options.delimiter,
        header_row=options.header_row,
    )
    parse_path = path
    notes = []
    if textfile.needs_transcoding(encoding):
        parse_path = workdir / (path.stem + ".utf8.csv")
        textfile.transcode_to_utf8(path, encoding, parse_path)
        notes.append(f"read as {encoding}")
    cols = {h: f"c{i}" for i, h in enumerate(lay.headers)}
    raw, rej, scan = f"{name}_raw", f"{name}_rej", f"{name}_scan"
    types = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in cols.values()) + "}"
    try:
        con.execute(
            f"CREATE TEMP TABLE {raw} AS SELECT * FROM read_csv(?, auto_detect = false, "
            f"columns = {types}, header = false, skip = {lay.header_line}, delim = ?, "
            "quote = '\"', escape = '\"', strict_mode = true, null_padding = false, "
            f"max_line_size = {MAX_LINE_BYTES}, store_rejects = true, "
            f"rejects_table = '{rej}', rejects_scan = '{scan}')",
            [str(parse_path), lay.delimiter],
        )
    except duckdb.Error as exc:
        raise FileRejected(str(path), f"cannot be parsed as CSV: {_first_line(exc)}") from exc
    rows = _scalar(con, f"SELECT count(*) FROM {raw}")
    # Rows appended inside a transaction get row ids from a large offset (DuckDB numbers
    # transaction-local rows apart); they are contiguous and in file order.
    first_id, last_id = con.execute(f"SELECT min(rowid), max(rowid) FROM {raw}").fetchall()[0]
    if rows and last_id - first_id + 1 != rows:
        raise AssertionError(f"row ids of {raw} are not contiguous")
    rid = f"(rowid - {int(first_id or 0)})"
    skip = lay.header_line
    # DuckDB numbers a rejected row by record (skip + position among data records).
    rej_rows = con.execute(
        f"SELECT line - {skip} AS pos, list(DISTINCT error_type), any_value(csv_line), "
        f"min(column_idx), any_value(column_name) FROM {rej} GROUP BY line ORDER BY line"
    ).fetchall()
    newline_expr = " + ".join(
        f"coalesce(length({c}) - length(replace({c}, chr(10), '')), 0)" for c in cols.values()
    )
    any_nl = " OR ".join(f"contains({c}, chr(10))" for c in cols.values())
    has_nl = bool(con.execute(f"SELECT 1 FROM {raw} WHERE {any_nl} LIMIT 1").fetchall())
    if rej_rows:
        # nl: lines a rejected record spans beyond its first (a quoted newline in it)
        con.execute(f"CREATE TEMP TABLE {name}_rpos (pos BIGINT, nl BIGINT)")
        con.executemany(
            f"INSERT INTO {name}_rpos VALUES (?, ?)",
            [[r[0], (r[2] or "").strip("\r\n").count("\n")] for r in rej_rows],
        )
        con.execute(
            f"CREATE TEMP TABLE {name}_rk AS SELECT good_before, max(j) AS k, max(cum_nl) AS rnl "
            f"FROM (SELECT pos - row_number() OVER (ORDER BY pos) AS good_before, "
            f"row_number() OVER (ORDER BY pos) AS j, sum(nl) OVER (ORDER BY pos) AS cum_nl "
            f"FROM {name}_rpos) GROUP BY good_before"
        )
    select_cols = ", ".join(cols.values())
    nl_before = (
        f"coalesce(sum({newline_expr}) OVER (ORDER BY {rid} ROWS BETWEEN UNBOUNDED PRECEDING "
        "AND 1 PRECEDING), 0)"
        if has_nl
        else "0"
    )
    base = f"SELECT {rid} AS __rid, {nl_before} AS __nl, {select_cols} FROM {raw}"
    if rej_rows:
        body = (
            f"SELECT {skip} + b.__rid + 1 + coalesce(rk.k, 0) + coalesce(rk.rnl, 0) + b.__nl "
            f"AS __line, {select_cols} "
            f"FROM ({base}) b ASOF LEFT JOIN {name}_rk rk ON b.__rid >= rk.good_before"
        )
    else:
        body = f"SELECT {skip} + __rid + 1 + __nl AS __line, {select_cols} FROM ({base})"
    kind = "TABLE" if (rej_rows or has_nl) else "VIEW"
    con.execute(f"CREATE TEMP {kind} {name} AS {body}")
    # a rejected row is also pushed down by the embedded newlines of the good rows before it
    shift: dict[int, int] = {}
    earlier = 0
    for pos, _, csv_line, _, _ in rej_rows:  # newlines inside earlier rejected records
        shift[int(pos)] = earlier
        earlier += (csv_line or "").strip("\r\n").count("\n")
    if rej_rows and has_nl:
        good_nl = {
            int(pos): int(nl)
            for pos, nl in con.execute(
                f"SELECT p.pos, coalesce(sum({newline_expr}), 0) FROM ("
                f"SELECT pos, pos - row_number() OVER (ORDER BY pos) AS good_before "
                f"FROM {name}_rpos) p LEFT JOIN {raw} ON {rid} < p.good_before GROUP BY p.pos"
            ).fetchall()
        }
        shift = {pos: n + good_nl.get(pos, 0) for pos, n in shift.items()}
    rejects = [
        Reject(
            line=skip + int(pos) + shift.get(int(pos), 0),
            reason=_csv_reason(list(types_), len(cols), csv_line),
            record=csv_line.strip("\r\n") if csv_line else csv_line,
            column=_reject_column(list(types_), csv_line, col_idx, lay.headers, lay.delimiter),
        )
        for pos, types_, csv_line, col_idx, _ in rej_rows
    ]
    if lay.header_index:
        notes.append(
            f"header found on line {lay.header_line}, {lay.header_index} title row(s) skipped"
        )
    return Staged(str(path), "csv", name, lay.headers, cols, rows, True, rejects, notes)


def _reject_column(
    error_types: list[str],
    csv_line: str | None,
    col_idx: int | None,
    headers: list[str],
    delim: str,
) -> str | None:
    """The column a user should look at. For a quote that is never closed, DuckDB points at
    the last column; the field where the quote opened is the one to fix."""
    if "UNQUOTED VALUE" in error_types and csv_line:
        import csv

        fields = next(csv.reader([csv_line], delimiter=delim), [])
        col_idx = len(fields) - 1 if fields else col_idx
    if col_idx is not None and 0 <= col_idx < len(headers):
        return headers[col_idx]
    return None


def _csv_reason(error_types: list[str], width: int, csv_line: str | None) -> str:
    found = None
    if csv_line is not None:
        found = csv_line.rstrip("\r\n")
    if "UNQUOTED VALUE" in error_types:
        return (
            "a quote opened on this line is never closed (the file may end in the middle of a row)"
        )
    if "TOO MANY COLUMNS" in error_types:
        return f"more fields than the {width} columns of the header (a stray delimiter or a missing quote?)"
    if "MISSING COLUMNS" in error_types:
        return f"fewer fields than the {width} columns of the header (is the row cut short?)"
    if "LINE SIZE OVER MAXIMUM" in error_types:
        return f"line longer than {MAX_LINE_BYTES // (1024 * 1024)} MB"
    if "INVALID ENCODING" in error_types or "INVALID UNICODE" in error_types:
        return "not valid text in the file's encoding"
    return f"cannot be parsed ({', '.join(error_types)}): {found!r}"


# -- Parquet --------------------------------------------------------------------------------
def read_parquet(con: duckdb.DuckDBPyConnection, path: Path, /, *, name: str) -> Staged:
    """Stage a Parquet file; ``__line`` is the row number (1 = first row)."""
    try:
        schema = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        headers = [str(r[0]) for r in schema]
        cols = {h: f"c{i}" for i, h in enumerate(headers)}
        select = ", ".join(
            f"{_as_text_sql(quote_ident(h), str(r[1]))} AS {c}"
            for (h, c), r in zip(cols.items(), schema, strict=True)
        )
        con.execute(
            f"CREATE TEMP TABLE {name} AS SELECT file_row_number + 1 AS __line, {select} "
            "FROM read_parquet(?, file_row_number = true)",
            [str(path)],
        )
    except duckdb.Error as exc:
        raise FileRejected(str(path), f"cannot be read as Parquet: {_first_line(exc)}") from exc
    rows = _scalar(con, f"SELECT count(*) FROM {name}")
    return Staged(str(path), "parquet", name, headers, cols, rows, False)


def _as_text_sql(col: str, sql_type: str) -> str:
    """Text of a typed column; whole floats lose their ``.0`` (customer 17850.0 is '17850')."""
    if sql_type in ("DOUBLE", "FLOAT", "REAL"):
        return (
            f"CASE WHEN {col} = trunc({col}) AND abs({col}) < 1e15 "
            f"THEN CAST(CAST({col} AS BIGINT) AS VARCHAR) ELSE CAST({col} AS VARCHAR) END"
        )
    return f"CAST({col} AS VARCHAR)"


# -- Excel ----------------------------------------------------------------------------------
def excel_sheets(path: Path) -> list[str]:
    """Sheet names of an .xlsx workbook."""
    from python_calamine import CalamineWorkbook

    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception as exc:  # calamine raises its own error types for broken workbooks
        raise FileRejected(str(path), f"cannot be read as an Excel workbook: {exc}") from exc


def read_excel(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    /,
    *,
    sheet: str,
    name: str,
    known: Iterable[str],
    header_row: int | None = None,
) -> Staged:
    """Stage one sheet; the header is found below any title rows; ``__line`` is the sheet row."""
    from python_calamine import CalamineWorkbook

    source = f"{path} [{sheet}]"
    try:
        ws = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet)
        data = ws.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for broken workbooks
        raise FileRejected(source, f"cannot read the sheet: {exc}") from exc
    if not data:
        raise FileRejected(source, "the sheet is empty")
    index = header_row - 1 if header_row else textfile.find_header_row(data, known)
    headers = _names([_text(c) or "" for c in data[index]])
    width = max(len(headers), 1)
    body = data[index + 1 :]
    lines = range(index + 2, index + 2 + len(body))  # sheet rows are 1-based

    def rows() -> Iterator[tuple[int, Sequence[Any]]]:
        for line, row in zip(lines, body, strict=True):
            if any(_text(c) not in (None, "") for c in row):  # blank sheet rows are not data
                yield line, row

    staged = _stage_rows(con, name, source, "xlsx", headers, rows(), width)
    if index:
        staged.notes.append(f"header found on sheet row {index + 1}, {index} title row(s) skipped")
    return staged


# -- SQL ------------------------------------------------------------------------------------
def read_sql(con: duckdb.DuckDBPyConnection, url: str, query: str, /, *, name: str) -> Staged:
    """Stage the result of a query (or a whole table: ``query`` may be a table name).

    PostgreSQL is read with psycopg 3 through a server-side cursor, 50,000 rows at a time;
    SQLite with the standard library. ``__line`` is the result row number.
    """
    source = f"{redact_url(url)} ({query.strip().splitlines()[0][:80]})"
    sql = query if " " in query.strip() else f"SELECT * FROM {quote_ident(query.strip())}"
    scheme = urlsplit(url).scheme.split("+")[0]
    if scheme in ("postgresql", "postgres"):
        return _read_postgres(con, url, sql, name=name, source=source)
    if scheme == "sqlite":
        import sqlite3

        db = url.split("sqlite:///", 1)[-1]
        try:
            sconn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            cur = sconn.execute(sql)
        except sqlite3.Error as exc:
            raise FileRejected(source, f"query failed: {exc}") from exc
        headers = [d[0] for d in cur.description]
        numbered = ((i + 1, r) for i, r in enumerate(cur))
        try:
            return _stage_rows(con, name, source, "sql", _names(headers), numbered, len(headers))
        finally:
            sconn.close()
    raise InputError(
        f"{redact_url(url)}: unsupported database URL scheme {scheme!r} "
        "(supported: postgresql://, sqlite:///)"
    )


def _read_postgres(
    con: duckdb.DuckDBPyConnection, url: str, sql: str, *, name: str, source: str
) -> Staged:
    try:
        import psycopg
    except ImportError as exc:
        raise InputError(
            "reading PostgreSQL needs psycopg: pip install 'riskseg[postgres]'"
        ) from exc
    try:
        pconn = psycopg.connect(
            url.replace("postgresql+psycopg://", "postgresql://"), autocommit=False
        )
    except psycopg.Error as exc:
        raise FileRejected(source, f"cannot connect: {_first_line(exc)}") from exc
    try:
        with pconn.cursor(name=f"riskseg_{name}") as cur:
            cur.itersize = BATCH_ROWS
            try:
                cur.execute(sql)
                first = cur.fetchmany(BATCH_ROWS)
            except psycopg.Error as exc:
                raise FileRejected(source, f"query failed: {_first_line(exc)}") from exc
            headers = [d.name for d in cur.description or ()]

            def numbered() -> Iterator[tuple[int, Sequence[Any]]]:
                n = 0
                batch = first
                while batch:
                    for row in batch:
                        n += 1
                        yield n, row
                    batch = cur.fetchmany(BATCH_ROWS)

            return _stage_rows(con, name, source, "sql", _names(headers), numbered(), len(headers))
    finally:
        pconn.close()


def redact_url(url: str) -> str:
    """The URL without its password, for messages and the import log."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


# -- shared ---------------------------------------------------------------------------------
def _stage_rows(
    con: duckdb.DuckDBPyConnection,
    name: str,
    source: str,
    kind: str,
    headers: list[str],
    rows: Iterable[tuple[int, Sequence[Any]]],
    width: int,
) -> Staged:
    """Stage Python rows (Excel, SQL) in Arrow batches; rows wider than the header are rejected."""
    cols = {h: f"c{i}" for i, h in enumerate(headers)}
    schema = pa.schema([("__line", pa.int64())] + [(c, pa.string()) for c in cols.values()])
    con.execute(
        f"CREATE TEMP TABLE {name} (__line BIGINT, "
        + ", ".join(f"{c} VARCHAR" for c in cols.values())
        + ")"
    )
    rejects: list[Reject] = []
    batch: list[list[Any]] = [[] for _ in range(width + 1)]
    count = 0

    def flush() -> None:
        if not batch[0]:
            return
        tbl = pa.Table.from_arrays(
            [pa.array(c, type=t) for c, t in zip(batch, schema.types, strict=True)], schema=schema
        )
        con.register(f"{name}_batch", tbl)
        con.execute(f"INSERT INTO {name} SELECT * FROM {name}_batch")
        con.unregister(f"{name}_batch")
        for c in batch:
            c.clear()

    for line, row in rows:
        values = [_text(v) for v in row]
        extra = [v for v in values[width:] if v not in (None, "")]
        if extra:
            rejects.append(
                Reject(line, f"more cells than the {width} columns of the header", repr(values))
            )
            continue
        batch[0].append(line)
        for i in range(width):
            batch[i + 1].append(values[i] if i < len(values) and values[i] != "" else None)
        count += 1
        if len(batch[0]) >= BATCH_ROWS:
            flush()
    flush()
    return Staged(source, kind, name, headers, cols, count, False, rejects)


def _text(value: Any) -> str | None:
    """A typed cell (Excel, SQL) as the text validation expects: ISO dates, plain numbers."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _names(raw: list[str]) -> list[str]:
    return textfile._header_names([str(r) for r in raw])


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchall()[0]
    return int(row[0]) if row and row[0] is not None else 0


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def scratch_dir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="riskseg-import-")

"""Validation in the engine: map source columns, convert types, check rules, split good from bad.

Given a staged source (text columns + ``__line``), ``check`` creates ``<name>_chk``: one row
per staged row with the typed contract columns and ``__errs``, the list of
``{column, value, reason}`` problems of that row. Keys, references and ranges are checked
in the same pass; duplicate keys afterwards, among otherwise valid rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb

from riskseg.contract import TABLES, Column, Table
from riskseg.errors import FileRejected
from riskseg.ingest import convert
from riskseg.ingest.convert import lit
from riskseg.ingest.expressions import compile_expression
from riskseg.ingest.mapping import TableMapping
from riskseg.ingest.sources import Staged
from riskseg.ingest.textfile import normalise_header
from riskseg.store.store import quote_ident


@dataclass
class Plan:
    """Where each contract column of a table comes from in one staged source."""

    table: Table
    raw: dict[str, str]  # contract column -> SQL text expression over the staged relation
    origin: dict[str, str]  # contract column -> source header (for messages)
    ignored: list[str]  # source headers that feed no contract column
    decimal: str | None = None
    date_formats: list[str] = field(default_factory=list)


@dataclass
class Checked:
    relation: str  # <name>_chk
    valid: str  # <name>_ok: rows to store
    total: int
    quarantined: int
    folded: int  # exact copies merged into their first row (mapping ``deduplicate: true``)
    notes: list[str]


def plan(table: Table, staged: Staged, tm: TableMapping | None) -> Plan:
    """Match source columns to contract columns; ``FileRejected`` when a required one is missing."""
    tm = tm or TableMapping()
    wanted = {c.name for c in table.stored_columns}
    by_norm = {normalise_header(h): h for h in staged.headers}
    source_of: dict[str, str] = {}
    for header, canonical in tm.columns.items():
        found = header if header in staged.columns else by_norm.get(normalise_header(header))
        if found is None:
            raise FileRejected(
                staged.source,
                f"the mapping names column {header!r} (-> {canonical}), which is not in the file; "
                f"its columns are: {', '.join(staged.headers)}",
                table=table.name,
            )
        source_of[canonical] = found
    skip = {normalise_header(h) for h in tm.ignore}
    for col in wanted:
        if (
            col not in source_of
            and col in by_norm
            and by_norm[col] not in tm.columns
            and col not in skip
        ):
            source_of[col] = by_norm[col]
    raw: dict[str, str] = {}
    origin: dict[str, str] = {}
    for col, header in source_of.items():
        raw[col] = _clean(staged.columns[header], tm.null_values)
        origin[col] = header
    for col, value in tm.constants.items():
        raw[col] = lit(_as_text(value))
        origin[col] = f"constant {value!r}"
    for col, text in tm.expressions.items():
        raw[col] = (
            f"CAST(({compile_expression(text, staged.columns, where=f'{table.name}.{col}')}) AS VARCHAR)"
        )
        origin[col] = f"expression {text!r}"
    for col, mapping in tm.values.items():
        if col in raw:
            cases = " ".join(
                f"WHEN lower({raw[col]}) = {lit(str(k).strip().lower())} THEN "
                + ("NULL" if v is None else lit(_as_text(v)))
                for k, v in mapping.items()
            )
            raw[col] = f"CASE {cases} ELSE {raw[col]} END"
    missing = [c for c in table.required if c not in raw]
    if missing:
        hint = (
            "only one column was found: the delimiter is not one of , ; tab |. "
            if len(staged.headers) == 1
            else ""
        )
        raise FileRejected(
            staged.source,
            f"{hint}required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"missing for table {table.name} (found: {', '.join(staged.headers) or 'no columns'}). "
            "Rename the headers or map them: riskseg mapping suggest FILE > mapping.yaml",
            table=table.name,
        )
    used = set(origin.values())
    ignored = [h for h in staged.headers if h not in used and not _used_in_expressions(h, tm)]
    return Plan(table, raw, origin, ignored)


def _used_in_expressions(header: str, tm: TableMapping) -> bool:
    return any(header in text for text in tm.expressions.values())


def _clean(column: str, nulls: Iterable[str]) -> str:
    expr = f"NULLIF(trim({column}), '')"
    extra = [n.strip().lower() for n in nulls if n.strip()]
    if extra:
        expr = f"CASE WHEN lower(trim({column})) IN ({', '.join(lit(n) for n in extra)}) THEN NULL ELSE {expr} END"
    return expr


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def detect_formats(
    con: duckdb.DuckDBPyConnection,
    p: Plan,
    staged: Staged,
    tm: TableMapping | None,
    *,
    decimal: str | None,
    date_format: str | None,
) -> None:
    """Fill in the plan's decimal separator and date formats (declared, else detected)."""
    tm = tm or TableMapping()
    numeric = [
        p.raw[c.name]
        for c in p.table.columns
        if c.type in ("int", "decimal", "score") and c.name in p.raw
    ]
    declared_decimal = decimal or tm.decimal
    if declared_decimal:
        p.decimal = declared_decimal
    elif staged.text:
        p.decimal = convert.detect_decimal(con, staged.relation, numeric)
    else:
        p.decimal = None
    declared = convert.declared_formats(date_format or tm.date_format)
    if declared is not None:
        p.date_formats = declared
        return
    dates = [
        convert.DateColumn(c.name, p.raw[c.name])
        for c in p.table.columns
        if c.type == "date" and c.name in p.raw
    ]
    p.date_formats = convert.detect_date_formats(con, staged.relation, dates, source=staged.source)


def check(
    con: duckdb.DuckDBPyConnection,
    p: Plan,
    staged: Staged,
    name: str,
    *,
    merge_copies: bool = False,
) -> Checked:
    """Convert and check every row; creates ``<name>_chk`` and the view ``<name>_ok``.

    The SQL is layered (raw text -> cleaned numbers -> values -> typed + errors) so that
    each conversion runs once per cell; the error list is built only for rows with an error.
    """
    t = p.table
    notes: list[str] = []
    raw_select = ["__line"] + [f"{expr} AS {_r(c)}" for c, expr in p.raw.items()]
    if t.line_key and "line_no" not in p.raw:
        raw_select.append(
            f"CAST(row_number() OVER (PARTITION BY {p.raw[t.line_key]} ORDER BY __line) "
            f"AS VARCHAR) AS {_r('line_no')}"
        )
    present = [
        c for c in t.stored_columns if c.name in p.raw or (c.name == "line_no" and t.line_key)
    ]
    numeric = [c for c in present if c.type in ("int", "decimal", "score")]
    clean_select = ["*"] + [
        f"{convert.number_text(_r(c.name)) if p.decimal else _r(c.name)} AS {_n(c.name)}"
        for c in numeric
    ]
    convs = {c.name: _convert(c, p) for c in present}
    value_select = ["*"] + [f"{cv.value} AS {_v(n)}" for n, cv in convs.items()]
    typed_select = [f"{cv.typed} AS {_t(n)}" for n, cv in convs.items()]
    err_items = [e for cv in convs.values() for e in cv.errors]
    fk_joins = []
    for col in present:
        if col.references:
            ref_key = TABLES[col.references].key[0]
            alias = f"__fk_{col.name}"
            fk_joins.append(
                f"LEFT JOIN (SELECT DISTINCT {quote_ident(ref_key)} AS {alias} "
                f"FROM {quote_ident(col.references)}) ON {_v(col.name)} = {alias}"
            )
            err_items.append(
                (
                    col.name,
                    f"{_v(col.name)} IS NOT NULL AND {alias} IS NULL",
                    f"{lit(col.name + ' ')} || {_q(_r(col.name))} || "
                    f"{lit(f' is not in {col.references}; import {col.references} first or add it there')}",
                )
            )
    for later, earlier in t.date_order:
        if later in p.raw and earlier in p.raw:
            err_items.append(
                (
                    later,
                    f"{_v(later)} < {_v(earlier)}",
                    f"{lit(later + ' ')} || CAST({_v(later)} AS VARCHAR) || "
                    f"{lit(f' is before {earlier} ')} || CAST({_v(earlier)} AS VARCHAR)",
                )
            )
    if err_items:
        any_error = " OR ".join(f"coalesce({cond}, false)" for _, cond, _ in err_items)
        items = ", ".join(
            f"CASE WHEN {cond} THEN {{'column': {lit(c)}, 'value': left({_r(c)}, 200), "
            f"'reason': {reason}}} END"
            for c, cond, reason in err_items
        )
        errs = f"CASE WHEN {any_error} THEN list_filter([{items}], lambda e: e IS NOT NULL) END"
    else:
        errs = 'CAST(NULL AS STRUCT("column" VARCHAR, value VARCHAR, reason VARCHAR)[])'
    fallback_cols = [c for c in present if c.enum_fallback]
    fb_select = "".join(f", {_fallback_flag(c)} AS __fb_{c.name}" for c in fallback_cols)
    con.execute(
        f"CREATE TEMP TABLE {name}_chk AS "
        f"WITH r AS (SELECT {', '.join(raw_select)} FROM {staged.relation}), "
        f"n AS (SELECT {', '.join(clean_select)} FROM r), "
        f"v AS (SELECT {', '.join(value_select)} FROM n) "
        f"SELECT __line, {', '.join(typed_select)}, {errs} AS __errs{fb_select} "
        f"FROM v {' '.join(fk_joins)}"
    )
    for c in fallback_cols:
        rows = con.execute(
            f"SELECT __fb_{c.name}, count(*) AS n FROM {name}_chk WHERE __fb_{c.name} IS NOT NULL "
            "GROUP BY ALL ORDER BY n DESC, 1 LIMIT 5"
        ).fetchall()
        if rows:
            shown = ", ".join(f"{v!r} ({n})" for v, n in rows)
            notes.append(f"unknown {c.name} values kept as {c.enum_fallback!r}: {shown}")
    folded = _check_duplicates(con, t, name, present, merge_copies)
    if folded:
        notes.append(f"{folded:,} exact copies of rows folded into their first occurrence")
    total = _count(con, f"{name}_chk")
    ok = _count(con, f"{name}_ok")
    return Checked(f"{name}_chk", f"{name}_ok", total, total - ok - folded, folded, notes)


def _check_duplicates(
    con: duckdb.DuckDBPyConnection, t: Table, name: str, present: list[Column], merge_copies: bool
) -> int:
    """Rows sharing a key: exact copies after the first are quarantined (or, with
    ``merge_copies``, folded into the first and counted as stored); if the copies differ,
    every one of them is quarantined, naming all their lines (we cannot tell which is right).
    Returns the number of folded copies."""
    keys = ", ".join(_t(k) for k in t.key)
    row_hash = "hash(" + ", ".join(_t(c.name) for c in present) + ")"
    # keys first (cheap), details only for the keys that repeat
    con.execute(
        f"CREATE TEMP TABLE {name}_dupkeys AS SELECT {keys} FROM {name}_chk "
        f"WHERE __errs IS NULL GROUP BY {keys} HAVING count(*) > 1"
    )
    con.execute(
        f"CREATE TEMP TABLE {name}_dup AS SELECT {keys}, count(*) AS n, "
        f"count(DISTINCT {row_hash}) AS variants, list(__line ORDER BY __line) AS lines "
        f"FROM {name}_chk SEMI JOIN {name}_dupkeys USING ({keys}) "
        f"WHERE __errs IS NULL GROUP BY {keys}"
    )
    key_text = " || '/' || ".join(f"CAST(c.{_t(k)} AS VARCHAR)" for k in t.key)
    key_label = lit("/".join(t.key) + " ")
    con.execute(
        f"CREATE TEMP TABLE {name}_dupbad AS SELECT c.__line, CASE WHEN d.variants = 1 "
        f"THEN {key_label} || {key_text} || ' is an exact copy of line ' || d.lines[1] "
        f"ELSE {key_label} || {key_text} || ' appears on lines ' || "
        "array_to_string(d.lines[1:5], ', ') || CASE WHEN d.n > 5 THEN ' and ' || (d.n - 5) "
        "|| ' more' ELSE '' END || ' with different values; fix the export so each key "
        f"appears once' END AS reason, {key_text} AS keyval "
        f"FROM {name}_chk c JOIN {name}_dup d USING ({keys}) "
        f"WHERE c.__errs IS NULL AND (d.variants > 1 OR (c.__line <> d.lines[1] AND NOT {merge_copies}))"
    )
    con.execute(
        f"CREATE TEMP TABLE {name}_folded AS SELECT unnest(lines[2:]) AS __line FROM {name}_dup "
        f"WHERE variants = 1 AND {merge_copies}"
    )
    con.execute(
        f"CREATE TEMP VIEW {name}_ok AS SELECT * EXCLUDE (__errs) FROM {name}_chk c "
        f"WHERE c.__errs IS NULL AND c.__line NOT IN (SELECT __line FROM {name}_dupbad) "
        f"AND c.__line NOT IN (SELECT __line FROM {name}_folded)"
    )
    return _count(con, f"{name}_folded")


@dataclass(frozen=True)
class _Conv:
    value: str  # SQL over r_/n_ columns: the converted value (DOUBLE, DATE, BOOLEAN, text)
    typed: str  # SQL over v_ columns: the stored value
    errors: list[tuple[str, str, str]]  # (column, condition, reason SQL)


def _convert(col: Column, p: Plan) -> _Conv:
    """How one contract column is converted and what makes it wrong."""
    r, v = _r(col.name), _v(col.name)
    errors: list[tuple[str, str, str]] = []
    if col.required:
        errors.append((col.name, f"{r} IS NULL", lit("required value is missing")))
    if col.type == "str":
        value, typed = r, v
        if col.enum:
            norm = f"regexp_replace(lower({r}), '[\\s-]+', '_', 'g')"
            allowed = ", ".join(lit(e) for e in col.enum)
            fallback = lit(col.enum_fallback) if col.enum_fallback else r
            value = f"CASE WHEN {norm} IN ({allowed}) THEN {norm} ELSE {fallback} END"
            if not col.enum_fallback:
                errors.append(
                    (
                        col.name,
                        f"{r} IS NOT NULL AND {v} NOT IN ({allowed})",
                        f"{_q(r)} || {lit(' is not one of: ' + ', '.join(col.enum))}",
                    )
                )
        errors.append(
            (
                col.name,
                f"length({r}) > {convert.MAX_FIELD_CHARS}",
                f"'value is ' || length({r}) || {lit(f' characters long; at most {convert.MAX_FIELD_CHARS:,} are kept per field')}",
            )
        )
        return _Conv(value, typed, errors)
    if col.type in ("int", "decimal", "score"):
        value = convert.number_value(_n(col.name), p.decimal)
        sep = "" if p.decimal is None else f" (decimal separator {p.decimal!r})"
        what = "a whole number" if col.type == "int" else "a number"
        typed = (
            f"CASE WHEN {v} = round({v}) THEN CAST({v} AS BIGINT) END" if col.type == "int" else v
        )
        bad = f"{v} IS NULL OR {v} <> round({v})" if col.type == "int" else f"{v} IS NULL"
        errors.append(
            (col.name, f"{r} IS NOT NULL AND ({bad})", f"{_q(r)} || {lit(f' is not {what}{sep}')}")
        )
        lo, hi = col.min, col.max
        if lo is not None or hi is not None:
            conds = ([f"{v} < {lo}"] if lo is not None else []) + (
                [f"{v} > {hi}"] if hi is not None else []
            )
            if lo is not None and hi is not None:
                span = f"{_fmt(lo)}-{_fmt(hi)}"
            else:
                span = f">= {_fmt(lo)}" if lo is not None else f"<= {_fmt(hi)}"
            errors.append(
                (
                    col.name,
                    " OR ".join(conds),
                    f"{_q(r)} || {lit(f' is outside the allowed range {span} for {col.name}')}",
                )
            )
        return _Conv(value, typed, errors)
    if col.type == "date":
        errors.append(
            (
                col.name,
                f"{r} IS NOT NULL AND {v} IS NULL",
                f"{_q(r)} || {lit(f' is not a date (expected {convert.describe_formats(p.date_formats)})')}",
            )
        )
        return _Conv(convert.date_value(r, p.date_formats), v, errors)
    if col.type == "bool":
        errors.append(
            (
                col.name,
                f"{r} IS NOT NULL AND {v} IS NULL",
                f"{_q(r)} || {lit(f' is not yes/no (expected {convert.BOOL_WORDS})')}",
            )
        )
        return _Conv(convert.bool_value(r), v, errors)
    raise AssertionError(col.type)


def _fallback_flag(col: Column) -> str:
    r, v = _r(col.name), _v(col.name)
    norm = f"regexp_replace(lower({r}), '[\\s-]+', '_', 'g')"
    return f"CASE WHEN {r} IS NOT NULL AND {norm} <> {v} THEN {r} END"


def _r(col: str) -> str:
    return quote_ident(f"r_{col}")


def _t(col: str) -> str:
    return quote_ident(col)


def _n(col: str) -> str:
    return quote_ident(f"n_{col}")


def _v(col: str) -> str:
    return quote_ident(f"v_{col}")


def _q(expr: str) -> str:
    """SQL giving the value quoted for a message: 'abc' (cut to 60 characters)."""
    return (
        f"'''' || left({expr}, 60) || CASE WHEN length({expr}) > 60 THEN '...' ELSE '' END || ''''"
    )


def _fmt(x: float | None) -> str:
    return "" if x is None else (str(int(x)) if float(x).is_integer() else str(x))


def _count(con: duckdb.DuckDBPyConnection, rel: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {rel}").fetchall()[0]
    return int(row[0]) if row else 0

"""SQL that turns text cells into typed values, and the detection of number and date formats.

Everything here produces DuckDB expressions, so that 10M rows are converted and checked in
the engine rather than one at a time in Python. String literals go through ``lit`` (SQL
standard quoting, the only escaping DuckDB string literals have).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from riskseg.contract import FALSE_WORDS, TRUE_WORDS
from riskseg.errors import AmbiguousDateFormat

#: Longest value kept in one field; longer ones are quarantined with their line and column.
MAX_FIELD_CHARS = 1_000_000


def lit(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


# -- numbers ------------------------------------------------------------------------------
# Currency signs, spaces (also non-breaking and thin ones, French thousands) and apostrophes
# (Swiss thousands) carry no value.
_NOISE_CHARS = " \t\u00a0\u202f€$£'"
_CODES = ("EUR", "USD", "GBP", "CHF")


def _strip_codes(expr: str) -> str:
    for code in _CODES:
        expr = f"replace({expr}, '{code}', '')"
    return expr


_GRAMMAR = {
    ".": r"[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?",
    ",": r"[+-]?(\d{1,3}(\.\d{3})+|\d+)?(,\d+)?",
}
_ONLY_DOT = r"[+-]?\d*\.(\d{1,2}|\d{4,})|[+-]?\d{1,3}(,\d{3})+\.\d*|[+-]?\d{1,3}(,\d{3}){2,}"
_ONLY_COMMA = r"[+-]?\d*,(\d{1,2}|\d{4,})|[+-]?\d{1,3}(\.\d{3})+,\d*|[+-]?\d{1,3}(\.\d{3}){2,}"


def number_text(raw: str) -> str:
    """``raw`` without currency signs and spaces, with accounting negatives made plain:
    ``(12.50)`` and SAP's trailing minus ``12.50-`` become ``-12.50``."""
    # translate() deletes characters one for one; measured 5x faster than regexp_replace
    s = f"translate({raw}, {lit(_NOISE_CHARS)}, '')"
    s = _strip_codes(s)
    return (
        f"CASE WHEN {s} LIKE '(%)' THEN '-' || trim({s}, '()') "
        f"WHEN {s} LIKE '%-' AND {s} NOT LIKE '-%' THEN '-' || rtrim({s}, '-') ELSE {s} END"
    )


def number_value(clean: str, decimal: str | None) -> str:
    """DOUBLE from cleaned text; ``decimal`` None means typed source (plain cast)."""
    if decimal is None:
        return f"TRY_CAST({clean} AS DOUBLE)"
    grammar = (
        f"regexp_full_match({clean}, {lit(_GRAMMAR[decimal])}) AND regexp_matches({clean}, '\\d')"
    )
    if decimal == ".":
        text = f"replace({clean}, ',', '')"
    else:
        text = f"replace(replace({clean}, '.', ''), ',', '.')"
    return f"CASE WHEN {grammar} THEN TRY_CAST({text} AS DOUBLE) END"


def detect_decimal(con: duckdb.DuckDBPyConnection, relation: str, columns: Sequence[str]) -> str:
    """``","`` when the numbers use a decimal comma (``1.234,50``, ``12,5``), else ``"."``.

    Only unambiguous values vote; ``1,234`` could be either and is read by the winner.
    """
    if not columns:
        return "."
    # A sample decides nearly always (every amount with cents votes); the whole file is
    # read only when the sample holds no unambiguous value.
    for sample in (" USING SAMPLE 100000 ROWS", ""):
        union = " UNION ALL ".join(
            f"SELECT {number_text('x')} AS v FROM (SELECT {c} AS x FROM {relation}{sample})"
            for c in columns
        )
        row = con.execute(
            f"SELECT count(*) FILTER (WHERE regexp_full_match(v, {lit(_ONLY_DOT)})), "
            f"count(*) FILTER (WHERE regexp_full_match(v, {lit(_ONLY_COMMA)})) FROM ({union})"
        ).fetchall()[0]
        dot, comma = (int(row[0]), int(row[1])) if row else (0, 0)
        if dot or comma:
            break
    return "," if comma > dot else "."


# -- dates --------------------------------------------------------------------------------
_DAY_FIRST = ("%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%y", "%d/%m/%y", "%d.%m.%y",
              "%d %b %Y", "%d-%b-%Y", "%d %B %Y")  # fmt: skip
_MONTH_FIRST = ("%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y", "%b %d %Y", "%b %d, %Y")
_YEAR_FIRST = ("%Y/%m/%d", "%Y.%m.%d", "%Y%m%d")
_TIMES = ("", " %H:%M", " %H:%M:%S")


def _with_times(formats: Sequence[str]) -> list[str]:
    return [f + t for f in formats for t in _TIMES]


CANDIDATES: dict[str, list[str]] = {
    "day-first": _with_times(_DAY_FIRST),
    "month-first": _with_times(_MONTH_FIRST),
    "year-first": _with_times(_YEAR_FIRST),
}

_EXAMPLE = {"day-first": "%d-%m-%Y", "month-first": "%m/%d/%Y", "year-first": "%Y/%m/%d"}


def date_value(raw: str, formats: Sequence[str]) -> str:
    """DATE from text: ISO (``2024-03-01``, also with a time) always, plus ``formats``."""
    # DuckDB's own cast reads year-first dates (with or without a time) and refuses
    # impossible ones such as 2024-02-31; it is the fast path for ISO exports.
    iso = f"TRY_CAST({raw} AS DATE)"
    if not formats:
        return iso
    fmts = "[" + ", ".join(lit(f) for f in formats) + "]"
    return f"coalesce({iso}, CAST(try_strptime({raw}, {fmts}) AS DATE))"


def describe_formats(formats: Sequence[str]) -> str:
    """Readable names of accepted date formats for messages: ``YYYY-MM-DD or DD-MM-YYYY``."""
    shown = ["YYYY-MM-DD"]
    for f in formats:
        if " %H" in f:
            continue
        text = f.replace("%d", "DD").replace("%m", "MM").replace("%Y", "YYYY").replace("%y", "YY")
        text = text.replace("%b", "Mon").replace("%B", "Month")
        if text not in shown:
            shown.append(text)
    return " or ".join(shown)


@dataclass(frozen=True)
class DateColumn:
    name: str  # contract column
    expr: str  # SQL giving its text


def detect_date_formats(
    con: duckdb.DuckDBPyConnection, relation: str, columns: Sequence[DateColumn], *, source: str
) -> list[str]:
    """The non-ISO formats the file's dates are written in (empty when all are ISO).

    The format family (day-first, month-first, year-first) that reads the most distinct
    values wins. When day-first and month-first read equally many (every day <= 12), the
    dates are ambiguous and the user must declare the format: ``AmbiguousDateFormat``.
    """
    if not columns:
        return []
    union = " UNION ALL ".join(f"SELECT {c.expr} AS v FROM {relation}" for c in columns)
    base = f"SELECT DISTINCT v FROM ({union}) WHERE v IS NOT NULL AND TRY_CAST(v AS DATE) IS NULL"
    families = list(CANDIDATES)
    counts = ", ".join(
        f"count(*) FILTER (WHERE try_strptime(v, [{', '.join(lit(f) for f in CANDIDATES[fam])}]) IS NOT NULL)"
        for fam in families
    )
    row = con.execute(f"SELECT count(*), {counts} FROM ({base})").fetchall()[0]
    if not row or not row[0]:
        return []
    parsed = dict(zip(families, (int(x) for x in row[1:]), strict=True))
    best = max(parsed.values())
    if best == 0:
        return []
    winners = [fam for fam, n in parsed.items() if n == best]
    if "day-first" in winners and "month-first" in winners:
        sample = con.execute(
            f"SELECT v FROM ({base}) WHERE try_strptime(v, [{', '.join(lit(f) for f in CANDIDATES['day-first'])}]) "
            "IS NOT NULL ORDER BY v LIMIT 1"
        ).fetchall()
        example = sample[0][0] if sample else "?"
        names = ", ".join(c.name for c in columns)
        raise AmbiguousDateFormat(
            source,
            f"the dates in {names} (such as {example!r}) read both day-first and month-first. "
            'Declare the format with --date-format "%d-%m-%Y" (day-first) or "%m-%d-%Y" '
            "(month-first), using your file's separator, or with date_format: in the mapping file",
        )
    return CANDIDATES[winners[0]]


def declared_formats(date_format: str | None) -> list[str] | None:
    if date_format is None:
        return None
    return [date_format] + (
        [date_format + t for t in _TIMES[1:]] if "%H" not in date_format else []
    )


# -- booleans -----------------------------------------------------------------------------
def bool_value(raw: str) -> str:
    t = ", ".join(lit(w) for w in TRUE_WORDS)
    f = ", ".join(lit(w) for w in FALSE_WORDS)
    return f"CASE WHEN lower({raw}) IN ({t}) THEN true WHEN lower({raw}) IN ({f}) THEN false END"


BOOL_WORDS = "true/false, yes/no, 1/0, ja/nee, si/no"

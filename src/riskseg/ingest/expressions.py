"""Mapping expressions: a contract column computed from source columns (``Quantity * UnitPrice``).

The text comes from a user's mapping file and ends up inside SQL, so it is parsed with
sqlglot and only a small, side-effect-free grammar is let through: column names, literals,
arithmetic, comparisons, CASE and a list of scalar functions. Column names are rewritten to
the staging columns; in arithmetic they are read as numbers.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from riskseg.errors import MappingError
from riskseg.ingest.textfile import normalise_header

_ALLOWED: tuple[type[exp.Expression], ...] = (
    exp.Column, exp.Identifier, exp.Literal, exp.Null, exp.Boolean, exp.Paren, exp.Neg,
    exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.DPipe,
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.And, exp.Or, exp.Not, exp.Is,
    exp.Like, exp.ILike, exp.In,
    exp.Case, exp.If, exp.Coalesce, exp.Nullif, exp.Abs, exp.Round, exp.Lower, exp.Upper,
    exp.Trim, exp.Substring, exp.Concat, exp.Left, exp.Right, exp.Length, exp.Greatest,
    exp.Least, exp.StartsWith, exp.Replace, exp.Anonymous,
)  # fmt: skip
#: functions sqlglot does not model itself, allowed by name
_ANONYMOUS = {"replace", "starts_with", "ends_with", "contains", "left", "right", "lpad", "rpad"}
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.Neg)


def compile_expression(text: str, columns: dict[str, str], *, where: str) -> str:
    """DuckDB SQL for a mapping expression over source headers.

    ``columns`` maps source headers to staging column names. Raises ``MappingError``
    naming ``where`` (``orders.revenue``) for anything outside the allowed grammar.

    Examples
    --------
    >>> compile_expression("Quantity * UnitPrice", {"Quantity": "c3", "UnitPrice": "c5"},
    ...                    where="orders.revenue")
    'TRY_CAST(c3 AS DOUBLE) * TRY_CAST(c5 AS DOUBLE)'
    """
    try:
        tree = sqlglot.parse_one(text, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise MappingError(f"expression for {where} ({text!r}) does not parse: {exc}") from exc
    by_norm = {normalise_header(h): c for h, c in columns.items()}
    for node in tree.walk():
        if not isinstance(node, _ALLOWED):
            raise MappingError(
                f"expression for {where} ({text!r}) uses {node.key.upper()}, which is not allowed; "
                "use column names, numbers, 'text', + - * /, comparisons, CASE and simple functions"
            )
        if isinstance(node, exp.Anonymous) and node.name.lower() not in _ANONYMOUS:
            raise MappingError(
                f"expression for {where} ({text!r}): function {node.name}() is not allowed"
            )

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column):
            name = node.name
            target = columns.get(name) or by_norm.get(normalise_header(name))
            if target is None:
                raise MappingError(
                    f"expression for {where} ({text!r}) names {name!r}, which is not a column of "
                    f"the source (columns: {', '.join(columns)})"
                )
            ref: exp.Expression = exp.column(target)
            if isinstance(node.parent, _ARITHMETIC):
                ref = exp.TryCast(this=ref, to=exp.DataType.build("DOUBLE"))
            return ref
        return node

    return str(tree.transform(rewrite).sql(dialect="duckdb"))

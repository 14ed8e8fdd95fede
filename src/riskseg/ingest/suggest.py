"""Suggest a mapping: which contract table each export holds and what its headers mean.

Synonyms are data (``headers.yaml``); headers and synonyms are normalised alike (case, accents,
umlauts, punctuation, camelCase, "nr"/"no"/"#"/"°"). A header scores 1.0 as the canonical name
itself, about 0.9 as a listed synonym (earlier entries rank higher), 0.64-0.8 when its words
overlap a synonym's (each word weighted by its rarity among the table's synonyms, so
"vencimiento" says more than "fecha"), and up to 0.6 as a near spelling (difflib >= 0.88).
Each column takes at most one header: best score first, ties to the contract's column order,
then to the export's header order.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import PurePath
from typing import Any

import yaml

from riskseg.contract import TABLE_ORDER, TABLES
from riskseg.errors import MappingError

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
_NUMBER_WORDS = frozenset({"no", "nr", "num", "number", "nummer", "numero", "nro", "nbr"})
# Articles carry no meaning in headers: "Date de facture" is "Date facture".
_ARTICLES = frozenset(
    {"de", "del", "la", "le", "les", "du", "des", "d", "l", "van", "het", "the", "of", "der", "el"}
)
_ID_ENDINGS = ("nr", "id", "code")
_SPREADSHEET_SOURCE = re.compile(r"^(?P<file>.+\.\w+)#(?P<sheet>.+)$")
_TOKEN_CUTOFF = 0.6
_FUZZY_CUTOFF = 0.88

_HEADER_COMMENT = """\
# riskseg mapping, suggested from the export headers: check it before importing.
# Per table:
#   source: the file it is read from (sheet: the Excel sheet)
#   columns: source header -> canonical column (DATA_CONTRACT.md)
#   constants: canonical column -> one value for every row, e.g. currency: EUR
#   expressions: canonical column -> formula over source headers, e.g. revenue: "Qty * Price"
#   values: canonical column -> {source value: contract value},
#     e.g. disputed: {ja: true, nee: false} or status: {gewonnen: won, verloren: lost}
#   date_format: strftime format of the dates, e.g. "%d-%m-%Y"
#   decimal: "," and thousands: "." for numbers written as 1.234,56
"""


def _tokens(text: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    # "N° client", "Cust#", "Korting %": these signs are words, not punctuation.
    text = re.sub(r"(?i)\bn\s*°", " nr ", text).replace("°", " nr ").replace("#", " nr ")
    text = text.replace("%", " pct ")
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)  # invoiceNumber
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)  # PDFDate
    text = re.sub(r"([A-Za-z])(\d)|(\d)([A-Za-z])", r"\1\3 \2\4", text)
    words = []
    for w in re.findall(r"[a-z0-9]+", text.lower()):
        if w in _NUMBER_WORDS:
            w = "nr"
        elif len(w) > 6 and w.endswith(("nummer", "number")):  # Rechnungsnummer = Rechnungsnr
            w = w[:-6] + "nr"
        words.append(w)
    return tuple(w for w in words if w not in _ARTICLES) or tuple(words)


@lru_cache(maxsize=8192)
def _forms(text: str) -> tuple[tuple[str, ...], ...]:
    """Word tuples of ``text``, one per reading of German umlauts (ü as ue and as u)."""
    return tuple(sorted({_tokens(text.translate(_UMLAUTS)), _tokens(text)} - {()}))


@dataclass(frozen=True)
class _Column:
    name: str
    canonical: frozenset[str]  # normalised forms of the contract name itself
    ranks: dict[str, int]  # normalised synonym -> its position in headers.yaml
    word_sets: tuple[frozenset[str], ...]
    by_initial: dict[str, list[str]]  # first letter -> normalised synonyms, for near spellings


@dataclass(frozen=True)
class _Table:
    aliases: tuple[tuple[str, ...], ...]
    columns: tuple[_Column, ...]
    weights: dict[str, float]  # word -> 1 + log(columns / columns using the word)
    rare: float  # weight of a word no synonym uses, and of identifier words


def _flatten(items: Any) -> list[str]:
    # YAML anchors splice the shared lists in as nested lists.
    return [s for i in items or [] for s in (_flatten(i) if isinstance(i, list) else [str(i)])]


@cache
def _index() -> dict[str, _Table]:
    text = resources.files("riskseg.ingest").joinpath("headers.yaml").read_text(encoding="utf-8")
    raw: dict[str, Any] = yaml.safe_load(text)
    index: dict[str, _Table] = {}
    for name, table in TABLES.items():
        spec = raw.get(name) or {}
        columns = []
        for col in table.column_names:
            synonyms = [col, *_flatten((spec.get("columns") or {}).get(col))]
            forms = [(rank, f) for rank, s in enumerate(synonyms) for f in _forms(s)]
            ranks: dict[str, int] = {}
            for rank, f in forms:
                ranks.setdefault("".join(f), rank)
            word_sets = tuple(dict.fromkeys(frozenset(f) for _, f in forms))
            by_initial: dict[str, list[str]] = {}
            for key in ranks:
                by_initial.setdefault(key[0], []).append(key)
            canonical = frozenset("".join(f) for f in _forms(col))
            columns.append(_Column(col, canonical, ranks, word_sets, by_initial))
        frequency: dict[str, int] = {}
        for c in columns:
            for word in frozenset().union(*c.word_sets):
                frequency[word] = frequency.get(word, 0) + 1
        n = len(columns)
        # Identifier words are common but decisive ("Contactpersoon" is a name, not
        # "Contactpersoon ID"), so they keep the full weight of a rare word.
        weights = {w: 1 + math.log(n / k) for w, k in frequency.items() if w not in _ID_ENDINGS}
        aliases = [name, *_flatten(spec.get("aliases"))]
        forms_ = tuple(dict.fromkeys(f for a in aliases for f in _forms(a)))
        index[name] = _Table(forms_, tuple(columns), weights, 1 + math.log(n))
    return index


def _table(name: str) -> _Table:
    try:
        return _index()[name]
    except KeyError:
        known = ", ".join(TABLES)
        raise MappingError(f"unknown table {name!r}; contract tables are: {known}") from None


def _overlap(header: frozenset[str], synonym: frozenset[str], table: _Table) -> float:
    def weight(words: frozenset[str]) -> float:
        return sum(table.weights.get(w, table.rare) for w in words)

    return weight(header & synonym) / weight(header | synonym)


def _near(keys: list[str], col: _Column) -> float:
    # Typos and odd spellings only. Short keys, differing digits (Belegfeld 2 is not
    # Belegfeld 1) and name-versus-number ("Debiteurnaam" ~ "debiteurnr") are too risky.
    # A typo in the first letter is rare, and comparing only same-initial synonyms keeps
    # guessing a table from its headers (every header against every table) fast.
    best = 0.0
    for key in (k for k in keys if len(k) >= 6):
        same_initial = col.by_initial.get(key[0], [])
        for close in difflib.get_close_matches(key, same_initial, n=1, cutoff=_FUZZY_CUTOFF):
            same_kind = close.endswith(_ID_ENDINGS) == key.endswith(_ID_ENDINGS)
            if same_kind and re.sub(r"\D", "", close) == re.sub(r"\D", "", key):
                best = max(best, 0.3 + 0.3 * difflib.SequenceMatcher(None, key, close).ratio())
    return best


@lru_cache(maxsize=8192)
def _scores(table_name: str, header: str) -> tuple[tuple[int, float], ...]:
    """(column position, score) for each column ``header`` may mean in ``table_name``."""
    table, forms = _table(table_name), _forms(header)
    keys = ["".join(f) for f in forms]
    out = []
    for pos, col in enumerate(table.columns):
        ranks = [col.ranks[k] for k in keys if k in col.ranks]
        if col.canonical.intersection(keys):
            out.append((pos, 1.0))
        elif ranks:
            out.append((pos, 0.9 - 0.0005 * min(min(ranks), 150)))
        else:
            words = [frozenset(f) for f in forms]
            pairs = [(w, s) for w in words for s in col.word_sets if not w.isdisjoint(s)]
            overlap = max((_overlap(w, s, table) for w, s in pairs), default=0.0)
            if overlap >= _TOKEN_CUTOFF:
                out.append((pos, 0.4 + 0.4 * overlap))
    # Near spellings are a last resort, for headers that match nothing in the table.
    near = [] if out else [(pos, _near(keys, col)) for pos, col in enumerate(table.columns)]
    return tuple(out) + tuple((pos, score) for pos, score in near if score > 0)


def match_columns(table: str, headers: list[str]) -> dict[str, str]:
    """Match export headers to the columns of ``table`` (unknown table: ``MappingError``).

    Returns
    -------
    dict
        Source header -> canonical column, in header order, for the headers that match;
        no two headers share a column.

    Examples
    --------
    >>> match_columns("invoices", ["Factuurnummer", "Klant", "Factuur datum", "Bedrag", "Memo"])
    {'Factuurnummer': 'invoice_id', 'Klant': 'customer_id', 'Factuur datum': 'issue_date', \
'Bedrag': 'amount'}
    """
    columns = _table(table).columns
    unique = list(dict.fromkeys(headers))
    candidates = sorted(
        (-score, col, pos) for pos, h in enumerate(unique) for col, score in _scores(table, h)
    )
    chosen: dict[int, int] = {}
    for _, col, pos in candidates:
        if pos not in chosen and col not in chosen.values():
            chosen[pos] = col
    return {unique[pos]: columns[chosen[pos]].name for pos in sorted(chosen)}


def _split_source(source: str) -> tuple[str, str | None]:
    m = _SPREADSHEET_SOURCE.match(source)
    return (m["file"], m["sheet"]) if m else (source, None)


def _named(name: str) -> dict[str, tuple[float, float]]:
    """Tables with an alias in ``name``: table -> (length of its longest alias, confidence)."""
    found: dict[str, tuple[float, float]] = {}
    for words in _forms(name):
        for table_name, table in _index().items():
            for alias in table.aliases:
                key, n = "".join(alias), len(alias)
                if any(words[i : i + n] == alias for i in range(len(words) - n + 1)):
                    hit = (len(key) + 0.5, 1.0 if key == table_name.replace("_", "") else 0.95)
                elif len(key) >= 5 and key in "".join(words):  # compounds: Kundenstammdaten
                    hit = (float(len(key)), 0.8)
                else:
                    continue
                found[table_name] = max(found.get(table_name, hit), hit)
    return found


def _fit(table: str, headers: list[str]) -> float:
    # Share of the required columns found, times share of the headers the table explains.
    unique = [h for h in dict.fromkeys(headers) if h.strip()]
    required = TABLES[table].required
    matched = match_columns(table, unique).values()
    covered = sum(1 for c in required if c in matched)
    if covered * 2 < len(required) or not unique:
        return 0.0
    return covered / len(required) * len(matched) / len(unique)


def guess_table(source_name: str, headers: list[str]) -> tuple[str | None, float]:
    """Guess the table a file (``"name.csv"``) or sheet (``"book.xlsx#Sheet"``) holds.

    The sheet name, then the file name, is searched for a table name or alias in English,
    Dutch, German, French or Spanish (the longest alias found wins). Only when neither tells
    are the headers matched against every table (confidence then at most 0.9).

    Returns
    -------
    tuple
        ``(table, confidence)`` with a confidence in 0..1, or ``(None, 0.0)``.

    Examples
    --------
    >>> guess_table("Facturen 2024.xlsx", [])
    ('invoices', 0.95)
    >>> guess_table("export.csv", ["Kundennummer", "Firmenname", "Land", "Kreditlimit"])
    ('customers', 0.9)
    """
    file, sheet = _split_source(source_name)
    for name in (sheet, PurePath(file).stem):
        found = _named(name) if name else {}
        if found:
            longest = max(length for length, _ in found.values())
            tied = [t for t in TABLES if t in found and found[t][0] == longest]
            best = max(tied, key=lambda t: _fit(t, headers))  # contract order on a tie
            return best, found[best][1]
    fits = {t: _fit(t, headers) for t in TABLES}
    best = max(fits, key=lambda t: fits[t])
    return (best, round(min(fits[best], 0.9), 2)) if fits[best] > 0 else (None, 0.0)


def suggest_mapping(sources: dict[str, list[str]]) -> dict[str, Any]:
    """Suggest a mapping for exports given as source name (``"file.xlsx#Sheet"``) -> headers.

    Returns
    -------
    dict
        ``{"version": 1, "tables": {table: {"source", "sheet" (for a sheet), "columns",
        "_unmatched", "_missing_required"}}, "_unassigned": [source, ...]}``; ``_`` keys are
        notes for :func:`render_mapping_yaml`. When several sources look like one table the
        most confident (then the first) keeps it; the others, and sources whose table is not
        recognised, are ``_unassigned``.

    Examples
    --------
    >>> s = suggest_mapping({"klanten.csv": ["Klantnummer", "Naam", "Telefoon"]})
    >>> s["tables"]["customers"]["columns"], s["tables"]["customers"]["_unmatched"]
    ({'Klantnummer': 'customer_id', 'Naam': 'name'}, ['Telefoon'])
    """
    guesses = {name: guess_table(name, headers) for name, headers in sources.items()}
    winners: dict[str, str] = {}
    for name, (table, confidence) in guesses.items():
        if table is not None and (table not in winners or confidence > guesses[winners[table]][1]):
            winners[table] = name
    tables: dict[str, Any] = {}
    for table in (t for t in TABLE_ORDER if t in winners):
        file, sheet = _split_source(winners[table])
        headers = [h for h in dict.fromkeys(sources[winners[table]]) if h.strip()]
        columns = match_columns(table, headers)
        tables[table] = {
            "source": file,
            **({"sheet": sheet} if sheet is not None else {}),
            "columns": columns,
            "_unmatched": [h for h in headers if h not in columns],
            "_missing_required": [c for c in TABLES[table].required if c not in columns.values()],
        }
    unassigned = [name for name in sources if name not in winners.values()]
    return {"version": 1, "tables": tables, "_unassigned": unassigned}


def _one_line(text: str) -> str:  # a header with a line break must not end its comment
    return " ".join(str(text).split())


def render_mapping_yaml(suggestion: dict[str, Any]) -> str:
    """Write a suggestion as mapping YAML, its notes as comments for the user to act on.

    ``yaml.safe_load`` of the text gives the suggestion without its ``_`` keys.

    Examples
    --------
    >>> text = render_mapping_yaml(suggest_mapping({"facturen.csv": ["Factuurnr", "Memo"]}))
    >>> print(text[text.index("version"):], end="")
    version: 1
    tables:
      invoices:
        source: facturen.csv
        columns:
          Factuurnr: invoice_id
        # not matched: Memo
        # TODO required column 'customer_id' not found: add it under columns:
        # TODO required column 'issue_date' not found: add it under columns:
        # TODO required column 'due_date' not found: add it under columns:
        # TODO required column 'amount' not found: add it under columns:
    """
    lines = [_HEADER_COMMENT.rstrip("\n"), f"version: {suggestion.get('version', 1)}"]
    tables: dict[str, Any] = suggestion.get("tables") or {}
    lines.append("tables:" if tables else "tables: {}")
    for table, entry in tables.items():
        clean = {k: v for k, v in entry.items() if not str(k).startswith("_")}
        # safe_dump quotes headers such as "yes", "1" or "a: b" so that they load back as text.
        body = yaml.safe_dump({table: clean}, allow_unicode=True, sort_keys=False, width=10**6)
        lines += ["  " + line for line in body.splitlines()]
        if entry.get("_unmatched"):
            lines.append("    # not matched: " + ", ".join(map(_one_line, entry["_unmatched"])))
        for column in entry.get("_missing_required", []):
            lines.append(f"    # TODO required column {column!r} not found: add it under columns:")
    if suggestion.get("_unassigned"):
        names = ", ".join(map(_one_line, suggestion["_unassigned"]))
        lines.append(f"# not assigned (table not recognised, or another source won it): {names}")
    return "\n".join(lines) + "\n"

"""The server's customer search answers exactly what a scan of every row answers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskseg.portfolio import search
from riskseg.portfolio.search import SearchIndex

#: a few letters, the word separator, the index's own separator and a non-ASCII letter
#: make collisions likely: queries over word edges, repeated and empty words
ALPHABET = st.sampled_from(["a", "b", "ü", " ", "\n", "%", "_"])
TEXTS = st.lists(st.text(ALPHABET, max_size=12), min_size=1, max_size=40)


def _scan(texts: list[str], q: str) -> list[int]:
    return [i for i, t in enumerate(texts) if q.lower() in t]


def _found(index: SearchIndex, q: str) -> list[int]:
    return [int(i) for i in np.flatnonzero(index.matches(q))]


@settings(max_examples=300, deadline=None)
@given(texts=TEXTS, q=st.text(ALPHABET, min_size=1, max_size=6))
def test_every_query_finds_the_rows_a_scan_finds(texts: list[str], q: str) -> None:
    index = SearchIndex.build(pa.array(texts, pa.string()))
    assert _found(index, q) == _scan(texts, q)


def test_ids_names_and_queries_as_users_type_them(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [
        "c0001 acme gmbh",
        "c0002 acme  b.v. ",  # two spaces and a trailing one, as exports have them
        "c0003 müller & söhne",
        "c0004 ",  # no name
        "c0010 line\nbreak ltd",
    ]
    index = SearchIndex.build(pa.array(texts))
    cases = {
        "ACME": [0, 1],
        "me gm": [0],
        "acme  b": [1],
        "b.v. ": [1],
        "MÜLLER & S": [2],
        "c000": [0, 1, 2, 3],
        "c0001": [0],
        "0 ": [4],
        "e\nb": [4],
        " ": [0, 1, 2, 3, 4],
        "%": [],
        "nobody": [],
    }
    for q, rows in cases.items():
        assert _found(index, q) == rows == _scan(texts, q), q
    # a query in too many words is answered by the scan, with the same rows
    monkeypatch.setattr(search, "MAX_WORDS", 2)
    assert _found(index, "c000") == [0, 1, 2, 3]

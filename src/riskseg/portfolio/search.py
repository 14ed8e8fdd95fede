"""The customer search of the server: which rows of a run's list hold a piece of text.

What is searched is each row's ``"<customer id> <name>"``, lower-cased, for a plain piece of
text (``%`` and ``_`` are no patterns), as :func:`riskseg.portfolio.customer_list` does it in
SQL. A scan of every row (DuckDB's ``contains``) was the slowest request of all under twenty
users at 1M customers; ``make bench-api`` times this index against it. So the rows are cut into their words
once, and a search looks through the distinct words instead:

- a query without a space is in a row exactly when it is in one of the row's words (a
  piece of text without a space cannot reach over one), so the rows are those of the
  words that hold it;
- a query with spaces is in a row only if each of its space-free pieces is in one of the
  row's words; the rows that have all of them are then checked for the whole query.

The words are one ``bytes`` string, ``"\\n"``-separated, UTF-8, searched with :mod:`re` (a
piece of UTF-8 is found only where its characters are). A query that would match too many
words (``"c0"`` is in every id) or holds the separator is answered by the scan instead,
whose cost is then the same as the size of the answer it gives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

#: more matching words than this and the scan is cheaper than gathering their rows
MAX_WORDS = 20_000


@dataclass(frozen=True)
class SearchIndex:
    """The words of a run's rows, each with the rows it is in.

    >>> index = SearchIndex.build(pa.array(["c1 acme gmbh", "c2 acme b.v.", "c3 müller"]))
    >>> index.matches("acme").nonzero()[0].tolist()
    [0, 1]
    >>> index.matches("me gm").nonzero()[0].tolist(), index.matches("ÜLL").nonzero()[0].tolist()
    ([0], [2])
    """

    #: the lower-cased ``"id name"`` of each row
    texts: pa.StringArray
    #: the distinct words, ``"\\n"``-joined
    words: bytes
    #: the first byte of each word in :attr:`words`
    starts: npt.NDArray[np.int64]
    #: word ``w``'s rows are ``rows[first[w]:first[w + 1]]`` (32 bits: half the memory)
    first: npt.NDArray[np.int32]
    rows: npt.NDArray[np.int32]
    #: the scan for queries the words cannot answer: a table ``rows (s)`` of the texts in a
    #: private in-memory DuckDB database with one thread (its rowid is the row number)
    scan: duckdb.DuckDBPyConnection

    @classmethod
    def build(cls, texts: pa.Array | pa.ChunkedArray) -> SearchIndex:
        """The index of ``texts`` (lower-cased already, one per row)."""
        if isinstance(texts, pa.ChunkedArray):
            texts = texts.combine_chunks()
        split = pc.split_pattern(texts, " ")
        row_of = np.asarray(pc.list_parent_indices(split), dtype=np.int64)
        coded = pc.dictionary_encode(pc.list_flatten(split))
        vocabulary = coded.dictionary
        codes = np.asarray(coded.indices, dtype=np.int64)
        order = np.argsort(codes, kind="stable")
        counts = np.bincount(codes, minlength=len(vocabulary))
        first = np.zeros(len(vocabulary) + 1, dtype=np.int32)
        np.cumsum(counts, out=first[1:])
        lengths = np.asarray(pc.binary_length(vocabulary), dtype=np.int64)
        starts = np.zeros(len(vocabulary), dtype=np.int64)
        np.cumsum(lengths[:-1] + 1, out=starts[1:])
        words = b"\n".join(w.encode() for w in vocabulary.to_pylist())
        scan_rows = pa.table({"s": texts})  # noqa: F841 (read by the SQL below)
        scan = duckdb.connect(config={"threads": 1})
        scan.execute("CREATE TABLE rows AS SELECT * FROM scan_rows")
        return cls(texts, words, starts, first, row_of[order].astype(np.int32), scan)

    def matches(self, q: str) -> npt.NDArray[np.bool_]:
        """Which rows hold ``q`` (any case)."""
        q = q.lower()
        pieces = [p for p in q.split(" ") if p]
        found: npt.NDArray[np.bool_] | None = None
        if pieces and "\n" not in q:
            for piece in sorted(pieces, key=len, reverse=True):
                rows = self._rows_of(piece)
                if rows is None:
                    found = None
                    break
                hit = np.zeros(len(self.texts), dtype=np.bool_)
                hit[rows] = True
                found = hit if found is None else found & hit
            if found is not None and q != pieces[0]:
                # the pieces are in the row's words: check the whole query in those rows
                at = np.flatnonzero(found)
                whole = pc.match_substring(self.texts.take(pa.array(at)), q)
                found = np.zeros(len(self.texts), dtype=np.bool_)
                found[at[np.asarray(whole, dtype=np.bool_)]] = True
        if found is None:
            found = self._scan(q)
        return found

    def _rows_of(self, piece: str) -> npt.NDArray[np.int32] | None:
        """The rows with a word holding ``piece`` (``None``: too many words, scan instead)."""
        hits: list[int] = []
        for m in re.finditer(re.escape(piece.encode()), self.words):
            hits.append(m.start())
            if len(hits) > MAX_WORDS:
                return None
        words = np.unique(np.searchsorted(self.starts, hits, side="right") - 1)
        lo, hi = self.first[words].astype(np.int64), self.first[words + 1].astype(np.int64)
        sizes = hi - lo
        # every row of every matching word: lo[k], lo[k] + 1, ..., hi[k] - 1 for each k
        offsets = np.repeat(lo - np.cumsum(sizes) + sizes, sizes)
        return self.rows[offsets + np.arange(int(sizes.sum()))]

    def _scan(self, q: str) -> npt.NDArray[np.bool_]:
        con = self.scan.cursor()
        try:
            hits = con.execute(
                "SELECT rowid AS i FROM rows WHERE contains(s, ?)", [q]
            ).fetchnumpy()["i"]
        finally:
            con.close()
        found = np.zeros(len(self.texts), dtype=np.bool_)
        found[np.asarray(hits, dtype=np.int64)] = True
        return found

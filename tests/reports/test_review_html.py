"""The review as one page: self-contained, every value escaped, the sections of the workbook."""

from __future__ import annotations

from html.parser import HTMLParser

import reviewtools
from reviewtools import fill_hand_store

import riskseg
from riskseg.reports.review import portfolio_review
from riskseg.reports.review_html import render_review

hand_store = reviewtools.hand_store


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.ids: list[str] = []
        self.attrs: set[str] = set()
        self.open: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs |= {name for name, _ in attrs}
        self.ids += [v for name, v in attrs if name == "id" and v]
        if tag in ("section", "table", "tr", "td", "th"):
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("section", "table", "tr", "td", "th"):
            assert self.open and self.open.pop() == tag, f"</{tag}> closes nothing"

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Page:
    p = _Page()
    p.feed(page)
    p.close()
    assert not p.open, p.open
    return p


def test_the_page_has_every_section_and_escapes_every_value(hand_store: riskseg.Store) -> None:
    page = render_review(portfolio_review(hand_store))
    p = _parse(page)
    assert {"summary", "queues", "movers", "equity", "impact"} <= set(p.ids)
    assert {"queue-finance", "queue-sales"} <= set(p.ids)
    # C6's name is <script>...: shown as text, never run
    assert "<script" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "script" not in p.tags
    text = "".join(p.text)
    assert "<script>alert('x')</script>" in text and '=HYPERLINK("http://x","y")' in text
    assert "Prospect & Söhne" not in text  # a prospect with no action and no move: not listed
    # self-contained: nothing fetched, no script of any kind
    assert not {"link", "img", "iframe", "object", "embed"} & set(p.tags)
    assert not {"src", "href", "onload", "onclick"} & p.attrs
    assert "1,900" in text and "+300 (+18.8%)" in text  # equity and its change, in the cards


def test_the_first_run_page_says_so() -> None:
    with riskseg.Store(":memory:") as store:
        fill_hand_store(store, second_run=False)
        page = render_review(portfolio_review(store))
    p = _parse(page)
    text = "".join(p.text)
    assert "first run" in text and "movements show from the next run" in text
    assert {"summary", "queues", "movers", "equity", "impact"} <= set(p.ids)

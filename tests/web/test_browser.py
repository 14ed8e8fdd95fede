"""The dashboard in a real browser: Playwright driving Debian's Chromium against the app
served by uvicorn over a demo store file.

Chromium is Debian's (``apt-get install chromium``; ``.ci/run`` installs it), never one that
Playwright downloads: the path is ``RISKSEG_CHROMIUM`` or ``/usr/bin/chromium``. Without it
these tests skip, unless ``RISKSEG_REQUIRE_BROWSER=1`` (CI), where they fail instead.

Playwright's sync API runs its own event loop in the test's thread; the server runs in
another thread with uvicorn's loop, so the two never share one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import webtools

import riskseg
from riskseg.api import ApiSettings, create_app

CHROMIUM = os.environ.get("RISKSEG_CHROMIUM") or "/usr/bin/chromium"
REQUIRED = os.environ.get("RISKSEG_REQUIRE_BROWSER") == "1"
#: how long a page may take to answer before the test fails (ms)
TIMEOUT_MS = 15_000

pytestmark = pytest.mark.slow


def _need_browser() -> None:
    problem = None
    if not Path(CHROMIUM).is_file():
        problem = f"no Chromium at {CHROMIUM} (apt-get install chromium, or set RISKSEG_CHROMIUM)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is missing (pip install -e '.[dev]')"
    if problem is None:
        return
    if REQUIRED:
        pytest.fail(f"RISKSEG_REQUIRE_BROWSER=1 but {problem}")
    pytest.skip(problem)


@dataclass(frozen=True)
class Site:
    url: str
    #: a customer with reasons and two proposed finance actions
    customer: str
    name: str
    reason: str
    to_accept: int
    not_for_sales: int


def _facts(store: riskseg.Store) -> tuple[str, str, str, int, int]:
    customer, name, reasons = store.con.execute(
        """
        SELECT rc.customer_id, c.name, rc.reasons FROM run_customers rc
        JOIN customers c USING (customer_id)
        WHERE rc.run_id = (SELECT max(run_id) FROM runs) AND rc.reasons IS NOT NULL
          AND (SELECT count(*) FROM actions a WHERE a.customer_id = rc.customer_id
               AND a.owner = 'finance' AND a.status = 'proposed' AND NOT a.control) >= 2
        ORDER BY rc.risk_score DESC, rc.customer_id LIMIT 1
        """
    ).fetchall()[0]
    first, second = (
        int(r[0])
        for r in store.con.execute(
            "SELECT action_id FROM actions WHERE customer_id = ? AND owner = 'finance' "
            "AND status = 'proposed' AND NOT control ORDER BY action_id LIMIT 2",
            [customer],
        ).fetchall()
    )
    return str(customer), str(name), str(reasons).split("; ")[0], first, second


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    _need_browser()
    folder = tmp_path_factory.mktemp("browser-demo")
    db = folder / "demo.duckdb"
    with riskseg.Store(db) as store:
        webtools.fill_store(store, folder / "exports")
        facts = _facts(store)
    app = create_app(ApiSettings(db=str(db)))
    try:
        with webtools.serving(app) as url:
            yield Site(url, *facts)
    finally:
        app.state.store.close()


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies). Fails the test on a script error, on anything
    the Content-Security-Policy blocked (Chromium says so in the console) and on a static
    file that did not load; a page's own 4xx (a wrong password) is no error."""
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    p = context.new_page()
    errors: list[str] = []

    def console(message: Any) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def response(r: Any) -> None:
        if "/static/" in r.url and r.status >= 400:
            errors.append(f"{r.url}: {r.status}")

    p.on("console", console)
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.on("response", response)
    yield p
    context.close()
    assert errors == []


def _login(page: Any, site: Site, role: str) -> None:
    page.goto(f"{site.url}/login")
    page.get_by_label("Username").fill(role)
    page.get_by_label("Password").fill(webtools.password(role))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{site.url}/")


def test_log_in_and_open_the_portfolio(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/queue")
    assert page.url == f"{site.url}/login?next=%2Fqueue"
    page.get_by_label("Username").fill("finance")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    assert "wrong username or password" in page.locator("main").inner_text()
    page.get_by_label("Password").fill(webtools.password("finance"))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{site.url}/queue")  # back where it was going
    page.get_by_role("link", name="Portfolio").click()
    page.wait_for_url(f"{site.url}/")
    assert page.get_by_role("heading", name="Portfolio").is_visible()
    assert page.locator("table.grid").is_visible()
    assert "high value" in page.locator("table.grid").inner_text()
    assert page.locator("svg[aria-label='risk score distribution'] rect").count() == 10
    who = page.locator("header .who").inner_text()
    assert "finance" in who
    # the stylesheet came from the app itself, past the Content-Security-Policy
    colour = page.evaluate("getComputedStyle(document.querySelector('header.top')).backgroundColor")
    assert colour == "rgb(16, 42, 67)"


def test_open_a_flagged_customer_and_see_its_reasons(page: Any, site: Site) -> None:
    _login(page, site, "finance")
    page.get_by_label("Search customers").fill(site.customer)
    page.get_by_label("Search customers").press("Enter")
    page.wait_for_url(f"{site.url}/customers?q={site.customer}")
    page.get_by_role("link", name=site.name).click()
    page.wait_for_url(f"{site.url}/customers/{site.customer}")
    assert page.get_by_role("heading", name=site.name).is_visible()
    reasons = page.locator("ol.reasons").inner_text()
    assert site.reason in reasons
    assert page.locator("table.kv").first.is_visible()


def test_accept_an_action_and_find_it_in_the_queue(page: Any, site: Site) -> None:
    _login(page, site, "finance")
    page.goto(f"{site.url}/customers/{site.customer}")
    row = page.locator(f"#action-{site.to_accept}")
    row.get_by_role("button", name="Accept").click()
    page.wait_for_url(f"{site.url}/customers/{site.customer}#actions")
    notice = page.locator(".notice").inner_text()
    assert f"action {site.to_accept}" in notice and "accepted" in notice
    assert "accepted" in page.locator(f"#action-{site.to_accept} .status").inner_text()
    page.get_by_role("link", name="Queue").click()
    page.wait_for_url(f"{site.url}/queue")
    assert page.get_by_role("heading", name="Finance queue").is_visible()
    queued = page.locator(f"#action-{site.to_accept}")
    assert "accepted" in queued.inner_text() and "by finance" in queued.inner_text()
    assert queued.get_by_role("button", name="Done").is_visible()


def test_a_sales_user_cannot_act_on_a_finance_action(page: Any, site: Site) -> None:
    _login(page, site, "sales")
    page.goto(f"{site.url}/customers/{site.customer}")
    row = page.locator(f"#action-{site.not_for_sales}")
    assert "finance" in row.inner_text()
    assert row.get_by_role("button").count() == 0
    assert "finance acts" in row.inner_text()
    # the server refuses the change even when the form is sent from the dashboard anyway
    refused = page.request.post(
        f"{site.url}/actions/{site.not_for_sales}/accept",
        form={"back": "/queue"},
        headers={"Origin": site.url},
        max_redirects=0,
    )
    assert refused.status == 403
    assert "belongs to finance" in refused.text()
    page.reload()
    assert "proposed" in page.locator(f"#action-{site.not_for_sales} .status").inner_text()
    page.get_by_role("link", name="Queue").click()
    assert page.get_by_role("heading", name="Sales queue").is_visible()
    assert page.locator(f"#action-{site.not_for_sales}").count() == 0


def test_a_manager_opens_the_monthly_review_from_the_portfolio(page: Any, site: Site) -> None:
    _login(page, site, "management")
    page.get_by_role("link", name="page", exact=True).click()
    page.wait_for_url(f"{site.url}/api/reports/review.html?run=*")
    assert page.get_by_role("heading", name="Portfolio review").first.is_visible()
    text = page.locator("body").inner_text()
    assert "customer equity" in text.lower() and "finance" in text
    # its inline CSS applied under the page's own policy: the table borders are drawn
    border = page.evaluate("getComputedStyle(document.querySelector('td')).borderTopStyle")
    assert border == "solid"

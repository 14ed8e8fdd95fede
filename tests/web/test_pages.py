"""The dashboard's pages through FastAPI's TestClient: logging in, who sees and may do what,
escaping, the security headers, the origin check, and every page with data and without."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import webtools
from fastapi.testclient import TestClient

import riskseg
from riskseg import portfolio
from riskseg.api import ApiSettings, create_app
from riskseg.api.app import SESSION_COOKIE
from riskseg.api.auth import ROLES, add_user

PAGES = ("/", "/customers", "/queue", "/migration", "/models", "/data", "/practices", "/runs")
EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[riskseg.Store]:
    folder: Path = tmp_path_factory.mktemp("web-demo")
    with riskseg.Store(":memory:") as s:
        webtools.fill_store(s, folder)
        s.con.execute("UPDATE customers SET name = ? WHERE customer_id = 'C000037'", [EVIL])
        # quarantined rows as an import leaves them: 60 invoices, one contact's e-mail
        s.con.execute(
            "INSERT INTO quarantine SELECT 99, 'invoices', 'exports/invoices.csv', i + 1, "
            "'due_date', '31-02-2024', '''31-02-2024'' is not a date (expected YYYY-MM-DD)', "
            "NULL FROM range(60) t(i)"
        )
        s.con.execute(
            "INSERT INTO quarantine VALUES (99, 'contacts', 'exports/contacts.csv', 7, "
            "'email', 'ana.secret@example.com', '''ana.secret@example.com'' is taken', NULL)"
        )
        yield s


@pytest.fixture(scope="module")
def app(store: riskseg.Store) -> Any:
    return webtools.demo_app(store)


@pytest.fixture(scope="module")
def clients(app: Any) -> dict[str, TestClient]:
    return {role: webtools.login(app, role) for role in ROLES}


def test_anonymous_pages_redirect_to_login_with_where_they_were_going(app: Any) -> None:
    anonymous = TestClient(app, follow_redirects=False)
    for path in (*PAGES, "/customers/C000001"):
        r = anonymous.get(path)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/login"), path
    r = anonymous.get("/customers?q=polar&page=2")
    assert r.headers["location"] == "/login?next=%2Fcustomers%3Fq%3Dpolar%26page%3D2"
    login = anonymous.get("/login?next=/customers")
    assert login.status_code == 200 and 'name="next" value="/customers"' in login.text
    # a forged cookie is no session either
    anonymous.cookies.set(SESSION_COOKIE, "made-up")
    assert anonymous.get("/queue").headers["location"] == "/login?next=%2Fqueue"


def test_login_sets_a_strict_http_only_cookie_and_follows_only_local_next(app: Any) -> None:
    c = TestClient(app, follow_redirects=False)
    form = {"username": "finance", "password": "finance-password"}
    r = webtools.post(c, "/login", {**form, "next": "/queue?status=all"})
    assert r.status_code == 303 and r.headers["location"] == "/queue?status=all"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    for outside in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"):
        r = webtools.post(c, "/login", {**form, "next": outside})
        assert r.headers["location"] == "/", outside


def test_secure_cookies_setting_marks_the_cookie_secure(store: riskseg.Store) -> None:
    app = create_app(ApiSettings(db=":memory:", secure_cookies=True), store=store)
    c = TestClient(app, follow_redirects=False)
    r = webtools.post(c, "/login", {"username": "sales", "password": "sales-password"})
    assert "secure" in r.headers["set-cookie"].lower()


def test_a_wrong_password_shows_the_form_again_with_a_message(app: Any) -> None:
    c = TestClient(app, follow_redirects=False)
    r = webtools.post(c, "/login", {"username": "finance", "password": "nope", "next": "/queue"})
    assert r.status_code == 401
    assert "wrong username or password" in r.text
    assert 'value="/queue"' in r.text and SESSION_COOKIE not in r.headers.get("set-cookie", "")


def test_repeated_wrong_passwords_pause_the_login_form(store: riskseg.Store) -> None:
    app = create_app(ApiSettings(db=":memory:", login_attempts=2), store=store)
    c = TestClient(app, follow_redirects=False)
    for _ in range(2):
        webtools.post(c, "/login", {"username": "viewer", "password": "guess"})
    r = webtools.post(c, "/login", {"username": "viewer", "password": "viewer-password"})
    assert r.status_code == 429 and "too many failed logins" in r.text
    assert SESSION_COOKIE not in r.headers.get("set-cookie", "")


def test_login_from_another_site_is_refused(app: Any) -> None:
    c = TestClient(app, follow_redirects=False)
    form = {"username": "finance", "password": "finance-password"}
    assert c.post("/login", data=form).status_code == 403
    r = c.post("/login", data=form, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and "own pages" in r.text
    assert SESSION_COOKIE not in r.headers.get("set-cookie", "")


def test_pages_carry_the_security_headers(clients: dict[str, TestClient]) -> None:
    for path in (*PAGES, "/login", "/static/app.css", "/customers/nobody"):
        r = clients["admin"].get(path)
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
        assert r.headers["x-frame-options"] == "DENY"
    assert clients["admin"].get("/").headers["cache-control"] == "no-store"
    # no inline script or style for the policy to block: all of it comes from /static
    html = clients["admin"].get("/customers/C000037").text
    assert "<style" not in html and " style=" not in html and "onclick" not in html
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/app.js" defer>']


def test_static_files_are_served_by_the_app(clients: dict[str, TestClient]) -> None:
    css = clients["admin"].get("/static/app.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "http" not in css.text.replace("http-equiv", "")  # no fonts or files from elsewhere
    js = clients["admin"].get("/static/app.js")
    assert js.status_code == 200 and "fetch(" not in js.text


@pytest.mark.parametrize("role", ROLES)
def test_every_page_renders_for_every_role_with_who_is_logged_in(
    clients: dict[str, TestClient], role: str
) -> None:
    for path in (*PAGES, "/customers/C000001", "/customers?q=C0000&sort=name&page=2"):
        r = clients[role].get(path)
        assert r.status_code == 200, (path, r.text[:500])
        assert f'{role}</span> <span class="role role-{role}">{role}</span>' in r.text
        assert 'action="/logout"' in r.text and 'name="q"' in r.text  # search on every page


def test_portfolio_shows_the_grid_with_counts_linking_to_the_list(
    clients: dict[str, TestClient], store: riskseg.Store
) -> None:
    html = clients["viewer"].get("/").text
    (n,) = store.con.execute(
        "SELECT count(*) FROM run_customers WHERE run_id = 2 AND grid_segment = 'low_value_medium_risk'"
    ).fetchall()[0]
    assert (
        f'href="/customers?segment=low_value_medium_risk" title="Low value, medium risk: show these customers">{n}</a>'
        in html
    )
    assert "risk score distribution" in html and "<svg" in html
    for heading in ("By region", "By industry", "By product", "moved to a worse segment"):
        assert heading in html
    listing = clients["viewer"].get("/customers?segment=low_value_medium_risk").text
    assert f"{n} customers in low value, medium risk" in listing


def test_a_customer_name_is_escaped_everywhere(clients: dict[str, TestClient]) -> None:
    for path in ("/customers?q=script", "/customers/C000037", "/migration", "/queue"):
        html = clients["admin"].get(path).text
        assert EVIL not in html, path
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;" in clients["admin"].get("/customers/C000037").text
    )
    search = clients["admin"].get("/customers", params={"q": '"><script>x()</script>'}).text
    assert "<script>x()" not in search and "&#34;&gt;&lt;script&gt;x()" in search


def test_the_profile_shows_reasons_history_timeline_and_loyalty(
    clients: dict[str, TestClient], store: riskseg.Store
) -> None:
    html = clients["finance"].get("/customers/C000037").text
    (reasons,) = store.con.execute(
        "SELECT reasons FROM run_customers WHERE run_id = 2 AND customer_id = 'C000037'"
    ).fetchall()[0]
    for reason in reasons.split("; "):
        assert f"<li>{reason}</li>" in html
    (value_reasons,) = store.con.execute(
        "SELECT value_reasons FROM run_customers WHERE run_id = 2 AND customer_id = 'C000037'"
    ).fetchall()[0]
    assert "Value score" in html and value_reasons.split("; ")[0] in html
    assert "Risk by family" in html
    assert "Segment history" in html and "2025-09-30" in html
    assert "Timeline" in html and "invoice INV" in html
    assert "Contacts on the Loyalty Matrix" in html


def test_contacts_names_and_emails_only_for_personal_data_roles(
    clients: dict[str, TestClient], store: riskseg.Store
) -> None:
    name, email = store.con.execute(
        "SELECT name, email FROM contacts WHERE customer_id = 'C000037' AND name IS NOT NULL "
        "ORDER BY contact_id LIMIT 1"
    ).fetchall()[0]
    for role in ("admin", "sales", "management"):
        html = clients[role].get("/customers/C000037").text
        assert name in html and email in html, role
    for role in ("finance", "service", "viewer"):
        html = clients[role].get("/customers/C000037").text
        assert name not in html and email not in html, role
        assert "personal data" in html
        data = clients[role].get("/data?table=contacts").text
        assert "ana.secret@example.com" not in data and "hidden: personal data" in data
    assert "ana.secret@example.com" in clients["sales"].get("/data?table=contacts").text


def test_a_department_works_its_own_queue_and_only_admin_management_choose(
    clients: dict[str, TestClient],
) -> None:
    sales = clients["sales"].get("/queue?status=all").text
    assert "Sales queue" in sales and "<td>finance</td>" not in sales
    assert 'name="owner"' not in sales
    refused = clients["sales"].get("/queue?owner=finance")
    assert refused.status_code == 403 and "sales queue only" in refused.text
    for role in ("admin", "management", "viewer"):
        html = clients[role].get("/queue?owner=finance").text
        assert "Finance queue" in html and 'name="owner"' in html, role
        assert "<td>sales</td>" not in html
    everyone = clients["admin"].get("/queue?status=all").text
    assert "<td>finance</td>" in everyone and "<td>sales</td>" in everyone
    assert clients["admin"].get("/queue?owner=nobody").status_code == 400


def _buttons(html: str, action_id: int) -> list[str]:
    return re.findall(rf'action="/actions/{action_id}/(accept|done|dismiss)"', html)


def test_buttons_show_only_where_the_role_may_act(
    clients: dict[str, TestClient], store: riskseg.Store
) -> None:
    finance_action = webtools.open_action(store, "finance")
    (customer,) = store.con.execute(
        "SELECT customer_id FROM actions WHERE action_id = ?", [finance_action]
    ).fetchall()[0]
    page = f"/customers/{customer}"
    assert _buttons(clients["finance"].get(page).text, finance_action) == [
        "accept",
        "done",
        "dismiss",
    ]
    assert _buttons(clients["management"].get(page).text, finance_action)
    for role in ("sales", "service", "viewer"):
        html = clients[role].get(page).text
        assert _buttons(html, finance_action) == [], role
        assert "finance acts" in html
    assert "change nothing" in clients["viewer"].get("/queue").text


def test_a_role_that_may_not_act_is_refused_when_it_posts_anyway(
    clients: dict[str, TestClient], store: riskseg.Store
) -> None:
    action = webtools.open_action(store, "finance")
    for role in ("sales", "service", "viewer"):
        r = webtools.post(clients[role], f"/actions/{action}/accept", {"back": "/queue"})
        assert r.status_code == 403, role
        assert "Not allowed" in r.text
    (status,) = store.con.execute(
        "SELECT status FROM actions WHERE action_id = ?", [action]
    ).fetchall()[0]
    assert status == "proposed"


def test_a_post_from_another_site_is_refused(
    clients: dict[str, TestClient], store: riskseg.Store
) -> None:
    action = webtools.open_action(store, "finance")
    c = clients["finance"]
    assert c.post(f"/actions/{action}/accept").status_code == 403
    r = c.post(f"/actions/{action}/accept", headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and "own pages" in r.text
    r = c.post(f"/actions/{action}/accept", headers={"Referer": "https://evil.example/x"})
    assert r.status_code == 403
    (status,) = store.con.execute(
        "SELECT status FROM actions WHERE action_id = ?", [action]
    ).fetchall()[0]
    assert status == "proposed"


def test_accept_then_done_redirect_back_with_a_notice_and_an_audit_trail(
    clients: dict[str, TestClient], store: riskseg.Store
) -> None:
    action = webtools.open_action(store, "finance")
    c = clients["finance"]
    r = webtools.post(c, f"/actions/{action}/accept", {"back": "/queue?status=all"})
    assert r.status_code == 303 and r.headers["location"] == "/queue?status=all"
    page = c.get("/queue?status=all").text
    assert f"action {action}" in page and "accepted" in page
    assert "notice" not in c.get("/queue").text.split("<main>")[1][:200]  # shown once
    row = page.split(f'id="action-{action}"')[1].split("</tr>")[0]
    assert "status-accepted" in row and "by finance" in row
    assert _buttons(row, action) == ["done", "dismiss"]
    webtools.post(c, f"/actions/{action}/done", {"back": "/queue"})
    trail = store.con.execute(
        "SELECT status_from, status_to, by_user FROM action_events WHERE action_id = ? "
        "ORDER BY event_at",
        [action],
    ).fetchall()
    assert trail[1:] == [("proposed", "accepted", "finance"), ("accepted", "done", "finance")]
    # a closed action cannot change again: the page says why, nothing is written
    r = webtools.post(c, f"/actions/{action}/accept", {"back": "/queue"})
    assert r.status_code == 303
    assert "it can become nothing" in c.get("/queue").text


def test_dismiss_needs_a_note_and_keeps_it(
    clients: dict[str, TestClient], store: riskseg.Store
) -> None:
    action = webtools.open_action(store, "sales")
    c = clients["sales"]
    webtools.post(c, f"/actions/{action}/dismiss", {"back": "/queue", "note": "  "})
    assert "say why in the note" in c.get("/queue").text
    (status,) = store.con.execute(
        "SELECT status FROM actions WHERE action_id = ?", [action]
    ).fetchall()[0]
    assert status == "proposed"
    webtools.post(c, f"/actions/{action}/dismiss", {"back": "/queue", "note": f"called {EVIL}"})
    status, note = store.con.execute(
        "SELECT status, status_note FROM actions WHERE action_id = ?", [action]
    ).fetchall()[0]
    assert (status, note) == ("dismissed", f"called {EVIL}")
    (customer,) = store.con.execute(
        "SELECT customer_id FROM actions WHERE action_id = ?", [action]
    ).fetchall()[0]
    html = c.get(f"/customers/{customer}").text
    assert "called &lt;script&gt;" in html and EVIL not in html


def test_unknown_things_get_a_page_not_a_traceback(clients: dict[str, TestClient]) -> None:
    c = clients["admin"]
    r = c.get("/customers/NOBODY")
    assert r.status_code == 404 and "Not found" in r.text and "NOBODY" in r.text
    assert r.headers["content-type"].startswith("text/html")
    assert webtools.post(c, "/actions/999999/accept").status_code == 404
    assert webtools.post(c, "/actions/abc/accept").status_code == 404
    assert webtools.post(c, "/actions/1/explode").status_code == 404
    assert c.get("/data?table=nope").status_code == 400
    # nonsense in the query is read as the default, not refused
    assert c.get("/customers?page=-3&sort=evil&order=sideways").status_code == 200


def test_the_data_page_lists_the_quarantine_page_by_page(clients: dict[str, TestClient]) -> None:
    c = clients["admin"]
    first = c.get("/data").text
    assert "61 rows quarantined" in first and "exports/invoices.csv" in first
    assert "due_date: … is not a date" in first  # the reasons grouped without their values
    assert "page 1 of 2" in first
    second = c.get("/data?table=invoices&page=2").text
    assert "page 2 of 2" in second and '<td class="num">60</td>' in second
    assert "invoices" in second and "customers" in second  # the coverage table is there too


def test_logout_revokes_the_token(app: Any) -> None:
    c = webtools.login(app, "service")
    token = c.cookies.get(SESSION_COOKIE)
    assert c.get("/queue").status_code == 200
    r = webtools.post(c, "/logout")
    assert r.status_code == 303 and r.headers["location"] == "/login"
    c.cookies.set(SESSION_COOKIE, str(token))
    assert c.get("/queue").headers["location"] == "/login?next=%2Fqueue"
    assert c.get("/api/me").status_code == 401  # the API forgets it too


def test_every_page_has_a_friendly_empty_state(tmp_path: Path) -> None:
    with riskseg.Store(":memory:") as empty:
        add_user(empty, "ana", password="ana-password", role="admin", now=webtools.NOW)
        app = create_app(ApiSettings(db=":memory:"), store=empty)
        c = TestClient(app, follow_redirects=False)
        webtools.post(c, "/login", {"username": "ana", "password": "ana-password"})
        for path in ("/", "/customers", "/migration", "/models", "/queue"):
            r = c.get(path)
            assert r.status_code == 200, path
            assert "No run yet" in r.text and "riskseg run" in r.text, path
        data = c.get("/data").text
        assert "The store is empty" in data and "No row was quarantined" in data
        practices = c.get("/practices").text
        assert practices.count("emerging") >= 6 and "No run yet" in practices


def test_admin_and_management_start_a_run_from_the_runs_page(
    app: Any, clients: dict[str, TestClient], store: riskseg.Store
) -> None:
    viewer = clients["viewer"].get("/runs").text
    assert 'action="/runs"' not in viewer and '<td class="num">2</td>' in viewer
    assert webtools.post(clients["viewer"], "/runs", {"as_of": "2025-06-30"}).status_code == 403
    c = clients["management"]
    assert 'action="/runs"' in c.get("/runs").text
    webtools.post(c, "/runs", {"as_of": "30-06-2025"})
    assert "must be a day such as 2025-12-31" in c.get("/runs").text
    # an earlier as_of than the latest run's: the pages keep showing run 2
    r = webtools.post(c, "/runs", {"as_of": "2025-06-30"})
    assert r.status_code == 303 and r.headers["location"] == "/runs"
    (job,) = app.state.jobs.all()
    assert app.state.jobs.wait(job.job_id, timeout=120).state == "done"
    page = c.get("/runs").text
    assert f"run job {job.job_id} started as of 2025-06-30" in page
    assert '<td class="date">2025-06-30</td>' in page and "management" in page
    latest = portfolio.latest(store)
    assert latest is not None and latest.run_id == 2


def test_reviewers_download_the_monthly_review_from_the_portfolio(
    clients: dict[str, TestClient],
) -> None:
    html = clients["management"].get("/").text
    link = re.search(r'href="(/api/reports/review\.xlsx\?run=\d+)"', html)
    assert link, "no link to the review workbook"
    book = clients["management"].get(link.group(1).replace("&amp;", "&"))
    assert book.status_code == 200 and book.content[:2] == b"PK"  # an .xlsx is a zip
    # a department role sees its own queue only: no link, and the server refuses it
    assert "/api/reports/review" not in clients["finance"].get("/").text
    assert clients["finance"].get(link.group(1)).status_code == 403


def test_an_unexpected_error_on_a_page_shows_a_page_not_json(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import riskseg.portfolio as portfolio

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom (test)")

    logged_in = webtools.login(app, "admin")
    client = TestClient(app, raise_server_exceptions=False)
    client.cookies = logged_in.cookies
    monkeypatch.setattr(portfolio, "portfolio_summary", broken)
    r = client.get("/")
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/html")
    assert "internal error" in r.text and "boom" not in r.text and "Traceback" not in r.text
    assert 'href="/customers"' in r.text  # the navigation is there: the user can go on
    api = client.get("/api/customers/x", headers={"Accept": "text/html"})
    assert api.headers["content-type"].startswith("application/json")

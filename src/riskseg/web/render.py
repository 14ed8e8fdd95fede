"""Templates, the filters that format numbers for people, and one-shot notices.

Autoescape is on for every template, whatever its name: customer names, reasons, notes and
file names start in a user's export or a user's typing, and the pages show them. A notice
("action 12 accepted") survives one redirect in a short-lived cookie, so a form post ends
on a plain GET page (POST-redirect-GET) that a reload does not post again.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, unquote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined

from riskseg import __version__
from riskseg.api.auth import User

NOTICE_COOKIE = "riskseg_notice"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(value: Any) -> str:
    """``1234567.8`` -> ``"1,234,568"`` (the reporting currency; no decimals); none: ``–``.

    >>> money(1234567.8), money(-50), money(None)
    ('1,234,568', '-50', '–')
    """
    return "–" if _missing(value) else f"{float(value):,.0f}"


def short_money(value: Any) -> str:
    """``1234567`` -> ``"1.2M"``, ``45600`` -> ``"45.6k"``, for tiles and cells.

    >>> short_money(1234567), short_money(45600), short_money(950)
    ('1.2M', '45.6k', '950')
    """
    if _missing(value):
        return "–"
    v = float(value)
    for size, unit in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= size:
            return f"{v / size:,.1f}{unit}"
    return f"{v:,.0f}"


def pct(value: Any, digits: int = 0) -> str:
    """A share as a percentage: ``0.234`` -> ``"23%"``.

    >>> pct(0.234), pct(None)
    ('23%', '–')
    """
    return "–" if _missing(value) else f"{float(value):.{digits}%}"


def score(value: Any) -> str:
    """A 0-100 score without decimals.

    >>> score(64.35), score(None)
    ('64', '–')
    """
    return "–" if _missing(value) else f"{float(value):.0f}"


def number(value: Any) -> str:
    """A count with thousands separators.

    >>> number(12345)
    '12,345'
    """
    return "–" if _missing(value) else f"{value:,}"


def when(value: Any) -> str:
    """A date as ``2025-12-31``, a timestamp to the minute.

    >>> when(datetime(2026, 1, 2, 9, 30, 12)), when(date(2025, 12, 31))
    ('2026-01-02 09:30', '2025-12-31')
    """
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def words(code: Any) -> str:
    """A code as words: ``high_value_low_risk`` -> ``high value low risk``.

    >>> words("require_prepayment")
    'require prepayment'
    """
    return "–" if code is None else str(code).replace("_", " ")


def value(v: Any) -> str:
    """Any signal value for people: yes/no, numbers with separators, ``–`` for no data.

    >>> value(True), value(1234.5678), value(7), value(float("nan")), value("C")
    ('yes', '1,234.57', '7', '–', 'C')
    """
    if _missing(v):
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.2f}"
    return when(v)


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("riskseg.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=money,
        short_money=short_money,
        pct=pct,
        score=score,
        number=number,
        when=when,
        words=words,
        value=value,
    )
    env.globals["version"] = __version__
    return env


ENV = _env()


def url(path: str, **params: Any) -> str:
    """``path`` with the query of the params that are set (others left out).

    >>> url("/customers", q="a b", page=2, segment=None)
    '/customers?q=a+b&page=2'
    """
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{path}?{urlencode(kept)}" if kept else path


ENV.globals["url"] = url


def render(
    request: Request,
    template: str,
    *,
    user: User | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page from ``template`` with the layout's context (who is logged in, the notice)."""
    notice = _read_notice(request)
    html = ENV.get_template(template).render(
        request=request,
        user=user,
        path=request.url.path,
        search_q=request.query_params.get("q", "") if request.url.path == "/customers" else "",
        notice=notice,
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    if notice is not None:
        response.delete_cookie(NOTICE_COOKIE, path="/")
    return response


def set_notice(response: Response, text: str, *, error: bool = False) -> None:
    """Show ``text`` once on the page the response redirects to."""
    response.set_cookie(
        NOTICE_COOKIE,
        quote(("error:" if error else "ok:") + text[:300]),
        max_age=60,
        httponly=True,
        samesite="strict",
        path="/",
    )


def _read_notice(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(NOTICE_COOKIE)
    if not raw:
        return None
    kind, _, text = unquote(raw).partition(":")
    return {"kind": "error" if kind == "error" else "ok", "text": text}

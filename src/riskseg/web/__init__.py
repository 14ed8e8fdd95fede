"""The dashboard: server-rendered pages over the same store and roles as the REST API.

Pages are HTML from Jinja2 templates (autoescape on), charts are inline SVG drawn by the
server, and the CSS and the little JavaScript there is are served by the app itself from
``riskseg/web/static``: the dashboard works with no internet and needs no JavaScript to be
used (forms post and redirect). docs/dashboard.md describes the pages and who sees what.

Every page and static file is sent with a Content-Security-Policy that allows this server's
own files only (no inline script or style, no other site, no framing), ``nosniff``, a
same-origin referrer policy and ``X-Frame-Options: DENY``; pages are not cached.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from riskseg.web.access import LoginRequired, PageError
from riskseg.web.render import render

#: the headers every page and static file carries
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every response outside ``/api/`` (the pages)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith("/api/"):
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = dict(SECURITY_HEADERS)
                if not static:
                    # pages show customers and personal data: nothing of them in a cache
                    extra["Cache-Control"] = "no-store"
                for name, value in extra.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    target = "/login" if exc.next_path == "/" else f"/login?next={_quote(exc.next_path)}"
    return RedirectResponse(target, status_code=303)


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="")


def _page_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageError)
    return _error_page(request, exc.status, exc.message)


def _error_page(request: Request, status: int, message: str) -> Response:
    from riskseg.web.access import page_user_or_none

    return render(
        request,
        "error.html",
        user=page_user_or_none(request),
        status_code=status,
        status=status,
        message=message,
    )


def install(app: FastAPI) -> None:
    """Add the dashboard's pages and static files to ``app`` (called by ``create_app``)."""
    from riskseg.web import access, pages, queue, runs

    app.include_router(access.router)
    app.include_router(pages.router)
    app.include_router(queue.router)
    app.include_router(runs.router)
    app.mount("/static", StaticFiles(packages=[("riskseg.web", "static")]), name="static")
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(PageError, _page_error)
    # the API's catch-all handler shows unexpected errors on pages with this
    app.state.error_page = _error_page
    app.add_middleware(SecurityHeaders)

"""The API's one error shape: ``{"error": {"status": 403, "code": "forbidden", "message": ...}}``.

Every error answers in it: FastAPI's and Starlette's HTTP errors (an unknown route's 404
included), request validation (422), riskseg's input errors (400), a wrong login or token
(401) and anything unexpected (500, without the stack trace, which goes to the server log).
``tests/api/test_api_errors.py`` pins the shape.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from riskseg.api.auth import AuthError
from riskseg.errors import InputError, RisksegError

log = logging.getLogger("riskseg.api")

CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid_request",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


def error_response(
    status: int, message: str, *, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """A response in the error shape."""
    body = {"error": {"status": status, "code": CODES.get(status, "error"), "message": message}}
    return JSONResponse(body, status_code=status, headers=dict(headers) if headers else None)


def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":  # Starlette's: no route matched
        message = f"no route {request.method} {request.url.path} (GET /api/openapi.json lists them)"
    return error_response(exc.status_code, message, headers=exc.headers)


def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # where and what, never the value sent: it may be a password
    parts = [f"{_where(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in exc.errors()]
    return error_response(422, "; ".join(parts) or "invalid request")


def _auth(_: Request, exc: Exception) -> JSONResponse:
    return error_response(401, str(exc), headers={"WWW-Authenticate": "Bearer"})


def _input(_: Request, exc: Exception) -> JSONResponse:
    return error_response(400, str(exc))


def _riskseg(_: Request, exc: Exception) -> JSONResponse:
    log.error("riskseg error: %s", exc)
    return error_response(503, str(exc))


def _internal(request: Request, exc: Exception) -> Response:
    log.exception("internal error", exc_info=exc)
    message = "internal error; the server log has the details"
    # a dashboard page gets a page (with the navigation), a script the JSON shape
    page = getattr(request.app.state, "error_page", None)
    if page is not None and not request.url.path.startswith("/api"):
        try:
            return page(request, 500, message)  # type: ignore[no-any-return]
        except Exception:  # the page itself failed: fall back to the shape
            log.exception("the error page failed too")
    return error_response(500, message)


def install_error_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` answer in the one shape."""
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(AuthError, _auth)
    app.add_exception_handler(InputError, _input)
    app.add_exception_handler(RisksegError, _riskseg)
    app.add_exception_handler(Exception, _internal)

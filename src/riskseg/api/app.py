"""The REST API application: settings, the store per request, who is calling.

``create_app(ApiSettings(db="riskseg.duckdb"))`` builds the app; nothing is read at import
time. The routes are thin shells over :mod:`riskseg.playbook.actions`, :mod:`riskseg.runs`
and :mod:`riskseg.api.auth` (docs/api.md).

One store per app and a cursor of it per request: DuckDB lets one process open a file for
writing, and inside that process each thread needs a connection of its own. Transactions are
snapshots, so requests keep reading the last committed run while a run started from the API
(``POST /api/runs``, :mod:`riskseg.api.jobs`) writes the next one in a thread of the server.
While the server runs, other processes (``riskseg run``, ``riskseg user``) cannot open the
file; they say so and point here.

Who is calling: a bearer token (``Authorization: Bearer ...``, scripts) or the dashboard's
session cookie, which holds the same kind of token. The cookie is ``HttpOnly`` and
``SameSite=Strict``; on top of that a request that changes something and comes with the
cookie must carry an ``Origin`` (or ``Referer``) of this server, so no other site can make a
logged-in browser act (OWASP's CSRF defence in depth).
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from riskseg import __version__
from riskseg.api.auth import AuthError, LoginLimiter, TokenCache, User, login, user_for_token
from riskseg.store.store import Store


class ApiSettings(BaseModel):
    """What the API needs to run; built by the caller (``riskseg serve`` or a test)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    db: str = Field(description="The store file (':memory:' for a throwaway one).")
    token_days: int = Field(30, ge=1, le=365, description="How long a login's token is valid.")
    out_dir: str = Field(
        default="riskseg-out", description="Where runs started from the API write their files."
    )
    webhooks: str | None = Field(
        default=None, description="A webhooks file: runs started here POST their new actions."
    )
    secure_cookies: bool = Field(
        default=False, description="Send the session cookie over HTTPS only (behind a TLS proxy)."
    )
    login_attempts: int = Field(
        default=5, ge=1, le=100, description="Failed logins per user or address before a pause."
    )
    login_window_s: int = Field(
        default=900, ge=1, description="The pause, and the window failed logins are counted in."
    )


@dataclass(frozen=True)
class LoginResult:
    token: str
    expires_at: datetime
    role: str


def now() -> datetime:
    """The clock of the API (naive UTC, like every timestamp in the store)."""
    return datetime.now(UTC).replace(tzinfo=None)


#: the dashboard's session cookie (it holds a token like the bearer one)
SESSION_COOKIE = "riskseg_session"


class StoreHolder:
    """The app's one store, opened on first use; each request works on a cursor of it.

    A request's cursor comes from a small pool and goes back to it when the request ends
    well: opening a cursor and setting it up is a statement's worth of CPU, paid once per
    cursor instead of once per request. A request that fails hands its cursor back closed,
    so no half-done state of one request reaches the next. Transactions are per statement
    (or :meth:`Store.transaction`), so a pooled cursor sees every commit, like a new one.
    """

    #: cursors kept for reuse (the server runs at most about this many requests at once)
    POOL = 32

    def __init__(self, settings: ApiSettings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store
        self._owned = store is None
        self._idle: list[Store] = []
        self._lock = threading.Lock()

    def get(self) -> Store:
        if self.store is None:
            self.store = Store(self.settings.db)
        return self.store

    def cursor(self) -> Store:
        """A cursor of its own (a run's thread, an error page): the caller closes it."""
        return self.get().cursor()

    def lease(self) -> Store:
        """A cursor for one request: give it back with :meth:`release`."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self.cursor()

    def release(self, cursor: Store, *, reuse: bool) -> None:
        with self._lock:
            if reuse and self.store is not None and len(self._idle) < self.POOL:
                self._idle.append(cursor)
                return
        cursor.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for cursor in idle:
            cursor.close()
        if self._owned and self.store is not None:
            self.store.close()
            self.store = None


async def _store(request: Request) -> AsyncIterator[Store]:
    # async, so that leasing and giving back the cursor run on the event loop instead of
    # two trips through the thread pool per request; the statements themselves run in the
    # route's (sync) thread
    holder: StoreHolder = request.app.state.store
    store = holder.lease()
    try:
        yield store
    except BaseException:
        holder.release(store, reuse=False)
        raise
    holder.release(store, reuse=True)


StoreDep = Annotated[Store, Depends(_store)]

_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/login.")


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: ids are BIGINT in the store: a larger number is no id (422, not a database error)
IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
#: pages so far that page x page_size still fits the store's BIGINT offset
PageQuery = Annotated[int, Query(ge=1, le=10_000_000, description="From 1.")]


def same_origin(request: Request) -> bool:
    """Whether the request's ``Origin`` (or else ``Referer``) is this server."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return False
    parts = urlsplit(source)
    return (parts.scheme, parts.netloc) == (request.url.scheme, request.url.netloc)


def _tokens(request: Request) -> TokenCache:
    cache: TokenCache = request.app.state.token_cache
    return cache


async def _user(
    request: Request,
    store: StoreDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    # async: a token read a moment ago is answered from the server's cache on the event
    # loop, and only an unknown one costs a trip through the thread pool to the store
    if credentials is not None and credentials.scheme.lower() == "bearer":
        token = credentials.credentials
    else:
        token = request.cookies.get(SESSION_COOKIE) or ""
        if not token:
            raise HTTPException(
                401,
                "log in first: POST /api/login, then send Authorization: Bearer <token>",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if request.method not in _SAFE_METHODS and not same_origin(request):
            raise HTTPException(
                403, "a change sent with the session cookie must come from this server's pages"
            )
    cache, clock = _tokens(request), now()
    found = cache.user(token, clock)
    if found is not None:
        return found
    return await run_in_threadpool(user_for_token, store, token, now=clock, cache=cache)


_JSON = TypeAdapter(dict[str, Any])


def json_response(content: dict[str, Any]) -> Response:
    """``content`` as FastAPI would send a route's ``dict`` (the same serializer), written
    in the route's own thread: a route that returns a plain dict has it checked and written
    in another trip through the thread pool."""
    return Response(_JSON.dump_json(content), media_type="application/json")


UserDep = Annotated[User, Depends(_user)]


def attempt_login(request: Request, store: Store, username: str, password: str) -> LoginResult:
    """Log in through the failed-login limit (429 with ``Retry-After`` while it holds).

    The API's ``POST /api/login`` and the dashboard's login form both come through here.
    """
    settings: ApiSettings = request.app.state.settings
    limiter: LoginLimiter = request.app.state.login_limiter
    address = request.client.host if request.client else "unknown"
    clock = time.monotonic()
    wait = limiter.wait(username, address, now=clock)
    if wait:
        raise HTTPException(
            429,
            f"too many failed logins; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    try:
        token, expires = login(store, username, password, now=now(), days=settings.token_days)
    except AuthError:
        limiter.failed(username, address, now=clock)
        raise
    limiter.succeeded(username)
    role = store.con.execute("SELECT role FROM users WHERE username = ?", [username]).fetchall()
    return LoginResult(token, expires, str(role[0][0]))


def require(user: User, *roles: str, doing: str) -> None:
    """Refuse (403) a user whose role is not one of ``roles``."""
    if user.role not in roles:
        raise HTTPException(403, f"a {user.role} user cannot {doing} (allowed: {', '.join(roles)})")


def _webhooks_after(settings: ApiSettings) -> Callable[[Store, int], None] | None:
    """What a run started from the API does once recorded: send the webhooks, if any.

    The file is read and its secrets checked when the app is made, so a bad file stops the
    server at start instead of failing every run later; delivery runs in the run's thread.
    """
    if settings.webhooks is None:
        return None
    from riskseg.webhooks import deliver_new_actions, endpoint_secrets, load_webhooks

    hooks = load_webhooks(settings.webhooks)
    endpoint_secrets(hooks)

    def after(store: Store, run_id: int) -> None:
        deliver_new_actions(store, run_id, hooks, now=now())

    return after


def create_app(settings: ApiSettings, *, store: Store | None = None) -> FastAPI:
    """The REST API over the store of ``settings.db`` (or an open ``store``: tests, notebooks).

    Examples
    --------
    >>> from fastapi.testclient import TestClient
    >>> app = create_app(ApiSettings(db=":memory:"))
    >>> TestClient(app).get("/api/health").json()["status"]
    'ok'
    """
    from riskseg import web
    from riskseg.api import (
        routes_actions,
        routes_auth,
        routes_customers,
        routes_data,
        routes_runs,
    )
    from riskseg.api.errors import install_error_handlers
    from riskseg.api.jobs import RunJobs
    from riskseg.portfolio import CustomerIndexes

    holder = StoreHolder(settings, store)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        holder.close()

    # the schema is served by an authenticated route of our own (every route but login and
    # health refuses anonymous requests), so FastAPI's public /docs and /openapi.json are off
    app = FastAPI(
        title="riskseg",
        version=__version__,
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.store = holder
    app.state.settings = settings
    # the latest run's customer list, in memory (riskseg.portfolio.listing)
    app.state.customer_indexes = CustomerIndexes()
    app.state.jobs = RunJobs(holder.cursor, clock=now, after=_webhooks_after(settings))
    app.state.token_cache = TokenCache()
    app.state.login_limiter = LoginLimiter(
        attempts=settings.login_attempts, window_s=settings.login_window_s
    )
    install_error_handlers(app)
    app.include_router(routes_auth.router)
    app.include_router(routes_customers.router)
    app.include_router(routes_actions.router)
    app.include_router(routes_runs.router)
    app.include_router(routes_data.router)
    web.install(app)

    @app.get("/api/openapi.json", tags=["meta"])
    def openapi(user: UserDep) -> dict[str, Any]:
        """The API's OpenAPI schema."""
        return app.openapi()

    return app

"""The REST API application: settings, the store per request, who is calling.

``create_app(ApiSettings(db="riskseg.duckdb"))`` builds the app; nothing is read at import
time. The routes are thin shells over :mod:`riskseg.playbook.actions`, :mod:`riskseg.runs`
and :mod:`riskseg.api.auth` (docs/api.md).

One store connection per app, guarded by a lock: DuckDB lets one process open a file for
writing, and one connection used by one request at a time is the simplest correct way to
share it between the server's threads. Requests are therefore served one at a time against
the store; that is plenty for a department's queue and is the thing to change (a pool of
cursors, or read-only replicas) if it ever is not. While the server runs, other processes
(``riskseg run``, ``riskseg user``) cannot open the file: stop the server first.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from riskseg import __version__
from riskseg.api.auth import User, user_for_token
from riskseg.store.store import Store


class ApiSettings(BaseModel):
    """What the API needs to run; built by the caller (``riskseg serve`` or a test)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    db: str = Field(description="The store file (':memory:' for a throwaway one).")
    token_days: int = Field(30, ge=1, le=365, description="How long a login's token is valid.")


def now() -> datetime:
    """The clock of the API (naive UTC, like every timestamp in the store)."""
    return datetime.now(UTC).replace(tzinfo=None)


class StoreHolder:
    """The app's one store connection, opened on first use, and the lock that guards it."""

    def __init__(self, settings: ApiSettings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store
        self._owned = store is None
        # an asyncio lock, taken in the event loop: waiting requests hold no worker thread,
        # so the request that holds the lock can always finish in the thread pool
        self.lock = asyncio.Lock()

    def get(self) -> Store:
        if self.store is None:
            self.store = Store(self.settings.db)
        return self.store

    def close(self) -> None:
        if self._owned and self.store is not None:
            self.store.close()
            self.store = None


async def _store(request: Request) -> AsyncIterator[Store]:
    holder: StoreHolder = request.app.state.store
    async with holder.lock:
        yield holder.get()


StoreDep = Annotated[Store, Depends(_store)]

_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/login.")


def _user(
    store: StoreDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            401,
            "log in first: POST /api/login, then send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user_for_token(store, credentials.credentials, now=now())


UserDep = Annotated[User, Depends(_user)]


def require(user: User, *roles: str, doing: str) -> None:
    """Refuse (403) a user whose role is not one of ``roles``."""
    if user.role not in roles:
        raise HTTPException(403, f"a {user.role} user cannot {doing} (allowed: {', '.join(roles)})")


def create_app(settings: ApiSettings, *, store: Store | None = None) -> FastAPI:
    """The REST API over the store of ``settings.db`` (or an open ``store``: tests, notebooks).

    Examples
    --------
    >>> from fastapi.testclient import TestClient
    >>> app = create_app(ApiSettings(db=":memory:"))
    >>> TestClient(app).get("/api/health").json()["status"]
    'ok'
    """
    from riskseg.api import routes_actions, routes_auth, routes_customers
    from riskseg.api.errors import install_error_handlers

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
    install_error_handlers(app)
    app.include_router(routes_auth.router)
    app.include_router(routes_customers.router)
    app.include_router(routes_actions.router)

    @app.get("/api/openapi.json", tags=["meta"])
    def openapi(user: UserDep) -> dict[str, Any]:
        """The API's OpenAPI schema."""
        return app.openapi()

    return app

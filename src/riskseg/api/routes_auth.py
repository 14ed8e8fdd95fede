"""``GET /api/health``, ``POST /api/login`` and ``GET /api/me``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from riskseg import __version__
from riskseg.api.app import StoreDep, UserDep, attempt_login
from riskseg.api.auth import ALL_DEPARTMENTS, PERSONAL_DATA_ROLES

router = APIRouter(prefix="/api", tags=["auth"])


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


class TokenOut(BaseModel):
    token: str
    expires_at: str
    role: str


@router.get("/health")
def health() -> dict[str, str]:
    """Whether the server is up (no login needed; reads nothing from the store)."""
    return {"status": "ok", "version": __version__}


@router.post("/login")
def login_route(body: LoginBody, store: StoreDep, request: Request) -> TokenOut:
    """Exchange a username and password for a bearer token (401 when either is wrong)."""
    done = attempt_login(request, store, body.username, body.password)
    return TokenOut(token=done.token, expires_at=done.expires_at.isoformat(), role=done.role)


@router.get("/me")
def me(user: UserDep) -> dict[str, Any]:
    """Who the token belongs to and what that role may do."""
    department = user.role not in (*ALL_DEPARTMENTS, "viewer")
    return {
        "username": user.username,
        "role": user.role,
        "sees_all_departments": not department,
        "may_change_actions": user.role != "viewer",
        "sees_personal_data": user.role in PERSONAL_DATA_ROLES,
    }

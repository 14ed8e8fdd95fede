"""Who is looking at a page, what their role lets them do, and logging in and out.

A page request without a valid session cookie is sent to ``/login?next=<where it was
going>``; ``next`` is followed only when it is a path on this server, so a link cannot
bounce a user who just logged in to another site. Every form post must come from this
server's own pages (:func:`riskseg.api.app.same_origin`), and a role that may not do
something neither sees the button nor gets it done by posting anyway (403).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from riskseg.api.app import (
    SESSION_COOKIE,
    ApiSettings,
    StoreDep,
    attempt_login,
    now,
    same_origin,
)
from riskseg.api.auth import (
    ALL_DEPARTMENTS,
    PERSONAL_DATA_ROLES,
    AuthError,
    User,
    revoke_token,
    user_for_token,
)
from riskseg.web.render import render

#: the most a form may send (a note is at most 2,000 characters)
MAX_FORM_BYTES = 16_384
#: roles that see every department's queue (the viewer sees, but changes nothing)
SEE_ALL: tuple[str, ...] = (*ALL_DEPARTMENTS, "viewer")


class LoginRequired(Exception):
    """No valid session: the page redirects to the login form."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageError(Exception):
    """An error shown as a page (403 not allowed, 404 not found, 400 a wrong value)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this server, else ``/``.

    >>> safe_next("/customers?q=acme"), safe_next("//evil.example/x"), safe_next("https://x.y/")
    ('/customers?q=acme', '/', '/')
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("/login"):
        return "/"
    return target


def _where(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def page_user(request: Request, store: StoreDep) -> User:
    """The logged-in user of a page request (else :class:`LoginRequired`)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired(_where(request))
    try:
        return user_for_token(store, token, now=now(), cache=request.app.state.token_cache)
    except AuthError:
        raise LoginRequired(_where(request)) from None


PageUser = Annotated[User, Depends(page_user)]


def page_user_or_none(request: Request) -> User | None:
    """The logged-in user, or ``None``: for error pages, which show the navigation if they can."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    store = request.app.state.store.cursor()
    try:
        return user_for_token(store, token, now=now(), cache=request.app.state.token_cache)
    except AuthError:
        return None
    finally:
        store.close()


async def form_data(request: Request) -> dict[str, str]:
    """The fields of a posted form (``application/x-www-form-urlencoded``), first values."""
    size = request.headers.get("content-length")
    if size is not None and size.isdigit() and int(size) > MAX_FORM_BYTES:
        raise PageError(413, f"the form is too large (at most {MAX_FORM_BYTES:,} bytes)")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise PageError(413, f"the form is too large (at most {MAX_FORM_BYTES:,} bytes)")
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=20)
    return {k: v[0] for k, v in fields.items()}


Form = Annotated[dict[str, str], Depends(form_data)]


def check_origin(request: Request) -> None:
    """Refuse (403) a form post that does not come from this server's pages."""
    if not same_origin(request):
        raise PageError(
            403,
            "this form was not sent from this server's own pages, so it was refused "
            "(open the page again and send it from there)",
        )


def may_act(user: User, owner: str) -> bool:
    """Whether ``user`` may accept, finish or dismiss an action owned by ``owner``.

    >>> may_act(User("s", "sales"), "finance"), may_act(User("m", "management"), "finance")
    (False, True)
    """
    if user.role == "viewer":
        return False
    return user.role in ALL_DEPARTMENTS or user.role == owner


def sees_personal_data(user: User) -> bool:
    """Whether ``user`` sees contacts' names and e-mail addresses."""
    return user.role in PERSONAL_DATA_ROLES


def queue_owner(user: User, requested: str | None) -> str | None:
    """The department whose queue ``user`` sees: their own, or the one they chose."""
    if user.role in SEE_ALL:
        return requested or None
    if requested and requested != user.role:
        raise PageError(
            403, f"a {user.role} user works the {user.role} queue only, not {requested}'s"
        )
    return user.role


router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    """The login form."""
    return render(request, "login.html", user=None, next=safe_next(next), error=None)


@router.post("/login")
def login_post(request: Request, store: StoreDep, form: Form) -> Response:
    """Check the password; set the session cookie and go where the user was going."""
    check_origin(request)
    target = safe_next(form.get("next"))
    username, password = form.get("username", "").strip(), form.get("password", "")
    error, status = None, 200
    if not username or not password:
        error, status = "enter your username and password", 400
    else:
        try:
            done = attempt_login(request, store, username, password)
        except AuthError:
            error, status = "wrong username or password", 401
        except HTTPException as exc:
            error, status = str(exc.detail), exc.status_code
        else:
            settings: ApiSettings = request.app.state.settings
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(
                SESSION_COOKIE,
                done.token,
                max_age=settings.token_days * 86_400,
                httponly=True,
                samesite="strict",
                secure=settings.secure_cookies,
                path="/",
            )
            return response
    return render(
        request,
        "login.html",
        user=None,
        next=target,
        error=error,
        username=username,
        status_code=status,
    )


@router.post("/logout")
def logout(request: Request, store: StoreDep) -> Response:
    """Forget the session's token (it stops working at once) and show the login form."""
    check_origin(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        revoke_token(store, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response

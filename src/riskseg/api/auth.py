"""Users, passwords and tokens of the REST API, kept in the store (migration 3).

Passwords are hashed with scrypt (RFC 7914; n=2**14, r=8, p=1, a random 16-byte salt) and
stored as ``scrypt$n$r$p$salt_b64$hash_b64``; a token is ``secrets.token_urlsafe(32)`` shown
once, and only its sha256 is stored. No FastAPI here: the CLI (``riskseg user``) and the API
share these functions. Time is an argument (``now``): the edges pass the clock.

Examples
--------
>>> from datetime import datetime
>>> from riskseg import Store
>>> with Store(":memory:") as store:
...     add_user(store, "ana", password="correct horse", role="finance", now=datetime(2026, 1, 1))
...     token, expires = login(store, "ana", "correct horse", now=datetime(2026, 1, 1), days=30)
...     user_for_token(store, token, now=datetime(2026, 1, 2)).role
'finance'
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from riskseg.errors import InputError, RisksegError
from riskseg.store.store import Store, changed, changes

#: every role a user may have; the department roles match the actions' owners
ROLES: tuple[str, ...] = ("admin", "finance", "sales", "service", "management", "viewer")
#: roles that see and act on every department's actions (viewer sees all but changes nothing)
ALL_DEPARTMENTS: tuple[str, ...] = ("admin", "management")
#: roles that see contacts' names and e-mail addresses (personal data)
PERSONAL_DATA_ROLES: tuple[str, ...] = ("admin", "sales", "management")

MIN_PASSWORD_LENGTH = 8
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
# a hash of nothing, checked when the user is unknown so that the answer takes as long
_DUMMY_SALT = b"riskseg-no-user!"


class AuthError(RisksegError):
    """Wrong username or password, or a token that is unknown, expired or revoked."""


@dataclass(frozen=True)
class User:
    username: str
    role: str


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """The password's scrypt hash as ``scrypt$n$r$p$salt_b64$hash_b64``."""
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (a :func:`hash_password` string)."""
    try:
        scheme, n, r, p, salt_b64, hash_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(hash_b64)
        digest = hashlib.scrypt(
            password.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InputError(f"role must be one of {', '.join(ROLES)}, not {role!r}")


def add_user(store: Store, username: str, *, password: str, role: str, now: datetime) -> None:
    """Create a user; refuses an unknown role, a short password or an existing name."""
    _check_role(role)
    if not username or not username.strip() or len(username) > 100:
        raise InputError(f"username must be 1-100 characters, not {username!r}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters "
            f"(got {len(password)})"
        )
    if store.con.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchall():
        raise InputError(f"user {username!r} exists already (riskseg user list shows them)")
    store.con.execute(
        "INSERT INTO users VALUES (?, ?, ?, ?, false)",
        [username, hash_password(password), role, now],
    )


def remove_user(store: Store, username: str) -> int:
    """Remove a user and every token of theirs; returns the number of tokens revoked."""
    if not store.con.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchall():
        raise InputError(f"no user {username!r} (riskseg user list shows them)")
    with store.transaction() as con:
        revoked = con.execute(
            "SELECT count(*) FROM api_tokens WHERE username = ?", [username]
        ).fetchall()[0][0]
        con.execute("DELETE FROM api_tokens WHERE username = ?", [username])
        con.execute("DELETE FROM users WHERE username = ?", [username])
    return int(revoked)


def list_users(store: Store) -> list[dict[str, object]]:
    """Every user with their role and when they last used a token (no hashes)."""
    rows = store.con.execute(
        "SELECT u.username, u.role, u.created_at, u.disabled, max(t.last_used_at) "
        "FROM users u LEFT JOIN api_tokens t USING (username) "
        "GROUP BY ALL ORDER BY u.username"
    ).fetchall()
    keys = ("username", "role", "created_at", "disabled", "last_used_at")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def issue_token(store: Store, username: str, *, now: datetime, days: int) -> tuple[str, datetime]:
    """A new token for ``username``, valid ``days`` days: (token, expires_at)."""
    if not store.con.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchall():
        raise InputError(f"no user {username!r} (riskseg user list shows them)")
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(days=days)
    store.con.execute(
        "INSERT INTO api_tokens VALUES (?, ?, ?, ?, NULL)",
        [_token_hash(token), username, now, expires],
    )
    return token, expires


def login(
    store: Store, username: str, password: str, *, now: datetime, days: int
) -> tuple[str, datetime]:
    """Check the password and issue a token; one message for a wrong name or password."""
    rows = store.con.execute(
        "SELECT password_hash, disabled FROM users WHERE username = ?", [username]
    ).fetchall()
    if not rows:
        # same work as for a real user, so the time taken does not tell which names exist
        verify_password(password, hash_password("", salt=_DUMMY_SALT))
        raise AuthError("wrong username or password")
    stored, disabled = rows[0]
    if not verify_password(password, str(stored)) or disabled:
        raise AuthError("wrong username or password")
    return issue_token(store, username, now=now, days=days)


def revoke_token(store: Store, token: str) -> None:
    """Forget a token (logging out); an unknown token is no error."""
    store.con.execute("DELETE FROM api_tokens WHERE token_hash = ?", [_token_hash(token)])
    changed()


class TokenCache:
    """Who holds a token, remembered by the server for ``ttl_s`` seconds.

    The token check is a statement of its own, about a millisecond of CPU, asked for every
    request; most requests of a dashboard or a script come with a token seen a moment ago.
    Removing a user and revoking a token (logging out) through riskseg clear the cache at
    once, and while the server runs no other process can open its store, so the seconds
    only matter for rows changed by hand, in SQL, on a store the caller shares with the
    app (``create_app(store=...)``): those take effect within ``ttl_s``.

    >>> from datetime import datetime
    >>> from riskseg import Store
    >>> cache = TokenCache(ttl_s=10)
    >>> day = datetime(2026, 1, 1)
    >>> with Store(":memory:") as store:
    ...     add_user(store, "ana", password="correct horse", role="finance", now=day)
    ...     token, _ = issue_token(store, "ana", now=day, days=1)
    ...     print(user_for_token(store, token, now=day, cache=cache).role)
    ...     revoke_token(store, token)
    ...     try:
    ...         user_for_token(store, token, now=day, cache=cache)
    ...     except AuthError as exc:
    ...         print(exc)
    finance
    the token is unknown, expired or revoked: log in again
    """

    def __init__(self, *, ttl_s: float = 10.0, size: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.size = size
        # digest -> (user, expires_at, when it was read (monotonic), changes() before the read)
        self._found: dict[str, tuple[User, datetime, float, int]] = {}
        self._lock = threading.Lock()

    def user(self, token: str, now: datetime) -> User | None:
        """The user of ``token`` if it was read a moment ago (no statement), else ``None``."""
        return self.get(_token_hash(token), now)

    def get(self, digest: str, now: datetime) -> User | None:
        with self._lock:
            found = self._found.get(digest)
        if found is None:
            return None
        user, expires, read, generation = found
        if generation != changes() or time.monotonic() - read > self.ttl_s or now >= expires:
            return None
        return user

    def put(self, digest: str, user: User, expires: datetime, generation: int) -> None:
        with self._lock:
            if len(self._found) >= self.size:
                self._found.clear()
            self._found[digest] = (user, expires, time.monotonic(), generation)


class LoginLimiter:
    """At most ``attempts`` failed logins per username and per client address in a window.

    Held in the server's memory: a restart forgets it, which is fine for its purpose (making
    password guessing slow), and keeps a store copy free of client addresses.

    >>> limiter = LoginLimiter(attempts=2, window_s=60)
    >>> limiter.failed("ana", "10.0.0.1", now=0.0); limiter.failed("ana", "10.0.0.2", now=1.0)
    >>> limiter.wait("ana", "10.0.0.3", now=2.0)
    58
    >>> limiter.wait("ana", "10.0.0.3", now=61.0)
    0
    """

    def __init__(self, *, attempts: int, window_s: int) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> list[float]:
        kept = [t for t in self._failures.get(key, []) if now - t < self.window_s]
        if kept:
            self._failures[key] = kept
        else:
            self._failures.pop(key, None)
        return kept

    def wait(self, username: str, address: str, *, now: float) -> int:
        """Seconds until another try is allowed (0: now)."""
        with self._lock:
            longest = 0.0
            for key in (f"user:{username}", f"addr:{address}"):
                recent = self._recent(key, now)
                if len(recent) >= self.attempts:
                    longest = max(longest, recent[-self.attempts] + self.window_s - now)
            return int(longest + 0.999) if longest > 0 else 0

    def failed(self, username: str, address: str, *, now: float) -> None:
        with self._lock:
            for key in (f"user:{username}", f"addr:{address}"):
                self._failures.setdefault(key, []).append(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(f"user:{username}", None)


def user_for_token(
    store: Store, token: str, *, now: datetime, cache: TokenCache | None = None
) -> User:
    """The user a token belongs to; refuses unknown, expired and removed users' tokens.

    Asked of the store, or of ``cache`` (the server's) when it read the token a moment
    ago; a user removed or a token revoked through riskseg stops working at once either
    way. When the token was last used is written at most once a minute (:func:`_touch`).
    """
    digest = _token_hash(token)
    if cache is not None:
        found = cache.get(digest, now)
        if found is not None:
            return found
    generation = changes()  # read before the store: a change meanwhile voids the entry
    rows = store.con.execute(
        "SELECT u.username, u.role, t.last_used_at, t.expires_at FROM api_tokens t "
        "JOIN users u USING (username) "
        "WHERE t.token_hash = ? AND t.expires_at > ? AND NOT u.disabled",
        [digest, now],
    ).fetchall()
    if not rows:
        raise AuthError("the token is unknown, expired or revoked: log in again")
    username, role, last_used, expires = rows[0]
    if last_used is None or last_used < now - timedelta(minutes=1):
        _touch(store, digest, now)
    user = User(str(username), str(role))
    if cache is not None:
        cache.put(digest, user, expires, generation)
    return user


def _touch(store: Store, digest: str, now: datetime) -> None:
    """Note when a token was last used, at most once a minute and never at any cost.

    Twenty browser tabs with one token would otherwise write the same row twenty times at
    once, and DuckDB refuses all but one of those writes (a transaction conflict); the time
    a token was last used is worth neither the wait nor the failed request. The caller
    writes only when the row it read is a minute old, so most requests write nothing.
    """
    with contextlib.suppress(duckdb.TransactionException):
        store.con.execute(
            "UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ? "
            "AND (last_used_at IS NULL OR last_used_at < ?)",
            [now, digest, now - timedelta(minutes=1)],
        )

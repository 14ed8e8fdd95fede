"""How a webhook is signed, and how a receiver checks it.

riskseg sends ``X-Riskseg-Timestamp: <unix seconds>`` and ``X-Riskseg-Signature:
sha256=<hex>``, the HMAC-SHA256, keyed with the endpoint's secret, of the timestamp, a dot and
the raw body: ``f"{timestamp}.{body}"``. The body proves nothing by itself; the timestamp is
inside the signed text so that a captured request cannot be replayed later: a receiver accepts
it only while the timestamp is within a few minutes of its own clock (Stripe and Slack sign
their webhooks the same way).

:func:`verify_signature` needs only the standard library and nothing else of this module;
receivers may copy it as it is.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

SCHEME = "sha256"


def sign(body: bytes, timestamp: int, secret: bytes) -> str:
    """The ``X-Riskseg-Signature`` value of ``body`` sent at ``timestamp``.

    >>> sign(b'{"event": "ping"}', 1767225600, b"s3cret")
    'sha256=02519db3089a5ad9636dea5b29348e0e937f49e7349f7c686790c1257ad3b337'
    """
    signed = str(timestamp).encode() + b"." + body
    return f"{SCHEME}=" + hmac.new(secret, signed, hashlib.sha256).hexdigest()


def unix_seconds(moment: datetime) -> int:
    """Seconds since 1970 of ``moment``; a naive datetime is UTC (as the store keeps time)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def verify_signature(
    body: bytes | str,
    timestamp: str,
    signature: str,
    secret: bytes | str,
    *,
    now: datetime | float,
    tolerance_s: float = 300,
) -> bool:
    """Whether a request came from riskseg, unchanged and recently.

    Parameters
    ----------
    body
        The raw request body, exactly as received (not parsed and re-serialised).
    timestamp, signature
        The ``X-Riskseg-Timestamp`` and ``X-Riskseg-Signature`` headers.
    secret
        The endpoint's shared secret.
    now
        The receiver's clock: a datetime (naive means UTC) or unix seconds (``time.time()``).
    tolerance_s
        How far the timestamp may be from ``now``, either way; older requests are replays.

    >>> from datetime import datetime
    >>> body, sent = b'{"event": "ping"}', datetime(2026, 1, 1, 0, 0)
    >>> sig = "sha256=02519db3089a5ad9636dea5b29348e0e937f49e7349f7c686790c1257ad3b337"
    >>> verify_signature(body, "1767225600", sig, "s3cret", now=sent)
    True
    >>> verify_signature(body, "1767225600", sig, "s3cret", now=datetime(2026, 1, 1, 0, 10))
    False
    """
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if isinstance(now, datetime):
        clock = (now if now.tzinfo else now.replace(tzinfo=UTC)).timestamp()
    else:
        clock = float(now)
    if abs(clock - sent) > tolerance_s:
        return False
    raw = body.encode() if isinstance(body, str) else body
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    expected = "sha256=" + digest
    # constant time: a byte-by-byte comparison would tell an attacker how much was right;
    # as bytes, because compare_digest refuses a str with non-ASCII characters in it
    return hmac.compare_digest(expected.encode(), signature.encode())

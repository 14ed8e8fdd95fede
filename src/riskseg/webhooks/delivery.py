"""POST new high-priority actions to the configured URLs, signed, retried, and logged.

Each endpoint gets one JSON body with the actions it asked for (priority and departments),
signed as :mod:`riskseg.webhooks.signing` describes. Connection errors, timeouts, 429 and 5xx
are retried after 1, 2, 4, ... seconds; any other answer is final. Endpoints are served in
threads of their own, so a slow or dead one delays no other, and whatever goes wrong with an
endpoint ends as a ``failed`` row of ``webhook_deliveries``, never as an exception.
"""

from __future__ import annotations

import http.client
import json
import math
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from riskseg.errors import InputError
from riskseg.store.store import Store
from riskseg.webhooks.settings import Endpoint, WebhookSettings, endpoint_secrets
from riskseg.webhooks.signing import sign, unix_seconds

Sleep = Callable[[float], None]

#: the event of new actions and of ``riskseg webhooks test``
ACTIONS_CREATED, PING = "actions.created", "ping"

#: the fields of each action in the body, in order
ACTION_FIELDS: tuple[str, ...] = (
    "action_id",
    "customer_id",
    "customer_name",
    "action",
    "owner",
    "priority",
    "reason",
    "due_date",
    "expected_impact",
)

#: the statuses an action is still open in (see riskseg.playbook.actions.TRANSITIONS)
_OPEN = ("proposed", "accepted")


@dataclass(frozen=True)
class Delivery:
    """One POST to one endpoint, however many attempts it took (a ``webhook_deliveries`` row)."""

    delivery_id: str
    run_id: int | None
    url: str
    event: str
    #: the ids of the actions in the body (the body itself is not kept: it names customers)
    actions: tuple[int, ...]
    attempts: int
    status: Literal["delivered", "failed"]
    #: the last answer's HTTP status (None when none came)
    http_status: int | None
    #: why the last attempt failed (None when delivered)
    error: str | None
    first_attempt_at: datetime
    last_attempt_at: datetime

    @property
    def delivered(self) -> bool:
        return self.status == "delivered"


@dataclass(frozen=True)
class _Job:
    endpoint: Endpoint
    secret: bytes
    event: str
    run_id: int | None
    actions: tuple[int, ...]
    body: bytes


def deliver_new_actions(
    store: Store,
    run_id: int,
    settings: WebhookSettings,
    *,
    now: datetime,
    sleep: Sleep = time.sleep,
) -> list[Delivery]:
    """POST run ``run_id``'s new high-priority actions to every endpoint of ``settings``.

    An endpoint receives the run's open (proposed or accepted), non-control actions with a
    priority up to its ``max_priority`` and, when it lists ``owners``, of those departments
    only. An endpoint with no such action gets no POST and no log row; neither does one that
    already received this run (so calling again re-sends only what failed). Every POST is
    logged in ``webhook_deliveries``; an endpoint that fails is logged ``failed`` and never
    raises, nor holds up the others (each has a thread of its own).

    How to call it, after a recorded run (``riskseg run --webhooks FILE``, or the server)::

        from datetime import UTC, datetime
        from riskseg.pipeline import run
        from riskseg.webhooks import deliver_new_actions, endpoint_secrets, load_webhooks

        settings = load_webhooks(path)  # before the run: a bad file fails fast ...
        endpoint_secrets(settings)      # ... and so does an unset secret (InputError)
        result = run(store, as_of=as_of)
        if result.run_id is not None:   # None for a dry run (record=False)
            deliveries = deliver_new_actions(
                store, result.run_id, settings, now=datetime.now(UTC)
            )
            failed = [d for d in deliveries if not d.delivered]  # to report, not to raise

    It waits on the network: about ``(retries + 1) * timeout_s + 2 ** retries - 1``
    seconds for the slowest endpoint (27 s with the defaults). A server should call it off
    the request's thread, with a store connection of that thread's own.

    Parameters
    ----------
    store
        The store the run was recorded in; the deliveries are logged there.
    run_id
        The run (``RunResult.run_id``).
    settings
        From :func:`riskseg.webhooks.load_webhooks`.
    now
        When the delivery starts (naive means UTC). Each attempt's ``X-Riskseg-Timestamp``
        is ``now`` plus the time since, so a late retry still carries a fresh timestamp.
    sleep
        Waits between attempts (tests pass a recorder instead of waiting).

    Raises
    ------
    InputError
        An unknown run, or an endpoint's secret variable unset or empty (nothing is sent).
    """
    secrets = endpoint_secrets(settings)
    run = store.con.execute("SELECT as_of FROM runs WHERE run_id = ?", [run_id]).fetchall()
    if not run:
        raise InputError(f"no run {run_id} in {store.path} (riskseg run records one)")
    as_of: date = run[0][0]
    done = {
        str(r[0])
        for r in store.con.execute(
            "SELECT url FROM webhook_deliveries "
            "WHERE run_id = ? AND event = ? AND status = 'delivered'",
            [run_id, ACTIONS_CREATED],
        ).fetchall()
    }
    actions = _qualifying(store, run_id, max(e.max_priority for e in settings.endpoints))
    sent_at = _iso(now)
    jobs = []
    for endpoint, secret in zip(settings.endpoints, secrets, strict=True):
        mine = [
            a
            for a in actions
            if a["priority"] <= endpoint.max_priority
            and (endpoint.owners is None or a["owner"] in endpoint.owners)
        ]
        if not mine or endpoint.url in done:
            continue
        payload = {
            "event": ACTIONS_CREATED,
            "run_id": run_id,
            "as_of": as_of.isoformat(),
            "sent_at": sent_at,
            "actions": mine,
        }
        ids = tuple(int(a["action_id"]) for a in mine)
        jobs.append(_Job(endpoint, secret, ACTIONS_CREATED, run_id, ids, _json(payload)))
    return _deliver(store, jobs, now=now, sleep=sleep)


def send_ping(
    store: Store, settings: WebhookSettings, *, now: datetime, sleep: Sleep = time.sleep
) -> list[Delivery]:
    """POST a signed ``{"event": "ping", "sent_at": ...}`` to every endpoint, and log it.

    What ``riskseg webhooks test`` sends, so an admin can check the URLs and secrets.
    """
    secrets = endpoint_secrets(settings)
    body = _json({"event": PING, "sent_at": _iso(now)})
    jobs = [
        _Job(e, s, PING, None, (), body) for e, s in zip(settings.endpoints, secrets, strict=True)
    ]
    return _deliver(store, jobs, now=now, sleep=sleep)


def list_deliveries(
    store: Store, *, limit: int | None = 20, run_id: int | None = None
) -> list[Delivery]:
    """The logged deliveries, the latest first."""
    where, params = ("WHERE run_id = ?", [run_id]) if run_id is not None else ("", [])
    sql = (
        "SELECT delivery_id, run_id, url, event, actions, attempts, status, http_status, "
        f"error, first_attempt_at, last_attempt_at FROM webhook_deliveries {where} "
        "ORDER BY last_attempt_at DESC, delivery_id"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    out = []
    for row in store.con.execute(sql, params).fetchall():
        values = list(row)
        values[4] = tuple(json.loads(values[4]))
        out.append(Delivery(*values))
    return out


def _qualifying(store: Store, run_id: int, max_priority: int) -> list[dict[str, Any]]:
    """The run's open, non-control actions up to ``max_priority``, the most urgent first."""
    cur = store.con.execute(
        """
        SELECT a.action_id, a.customer_id, c.name AS customer_name, a.action, a.owner,
               a.priority, a.reason, a.due_date, a.expected_impact
        FROM actions a LEFT JOIN customers c USING (customer_id)
        WHERE a.run_id = ? AND NOT a.control AND a.status IN (?, ?) AND a.priority <= ?
        ORDER BY a.priority, coalesce(a.expected_impact, 0) DESC, a.action_id
        """,
        [run_id, *_OPEN, max_priority],
    )
    rows = [dict(zip(ACTION_FIELDS, r, strict=True)) for r in cur.fetchall()]
    for row in rows:
        row["due_date"] = row["due_date"].isoformat()
        impact = row["expected_impact"]
        if impact is not None and not math.isfinite(impact):
            row["expected_impact"] = None  # JSON has no NaN
    return rows


def _deliver(store: Store, jobs: Sequence[_Job], *, now: datetime, sleep: Sleep) -> list[Delivery]:
    if not jobs:
        return []
    start = time.monotonic()
    begun = _utc_naive(now)

    def clock() -> datetime:
        return begun + timedelta(seconds=time.monotonic() - start)

    with ThreadPoolExecutor(max_workers=min(len(jobs), 32)) as pool:
        deliveries = list(pool.map(lambda job: _attempts(job, clock, sleep), jobs))
    with store.transaction() as con:
        for d in deliveries:
            con.execute(
                "INSERT INTO webhook_deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    d.delivery_id,
                    d.run_id,
                    d.url,
                    d.event,
                    json.dumps(list(d.actions)),
                    d.attempts,
                    d.status,
                    d.http_status,
                    d.error,
                    d.first_attempt_at,
                    d.last_attempt_at,
                ],
            )
    return deliveries


def _attempts(job: _Job, clock: Callable[[], datetime], sleep: Sleep) -> Delivery:
    """POST ``job`` until it is delivered, fails for good or runs out of retries."""
    from riskseg import __version__

    endpoint = job.endpoint
    # one id for every attempt: a receiver that saw an attempt succeed can drop a repeat
    delivery_id = str(uuid.uuid4())
    first = clock()
    attempt, status, error = 0, None, None
    while True:
        attempt += 1
        at = clock()
        stamp = unix_seconds(at)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"riskseg/{__version__}",
            "X-Riskseg-Event": job.event,
            "X-Riskseg-Delivery": delivery_id,
            "X-Riskseg-Timestamp": str(stamp),
            "X-Riskseg-Signature": sign(job.body, stamp, job.secret),
        }
        status, error, retry = _post(endpoint.url, job.body, headers, endpoint.timeout_s)
        if error is None or not retry or attempt > endpoint.retries:
            break
        sleep(2 ** (attempt - 1))
    return Delivery(
        delivery_id,
        job.run_id,
        endpoint.url,
        job.event,
        job.actions,
        attempt,
        "delivered" if error is None else "failed",
        status,
        error,
        first,
        at,
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are answers, not detours: urllib would re-send a POST as a GET without its
    body on 301-303 and report the GET's 200, a delivery that never happened."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _post(
    url: str, body: bytes, headers: dict[str, str], timeout: float
) -> tuple[int | None, str | None, bool]:
    """One POST: (HTTP status, error or None, whether to retry)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        # built per call: the proxy settings (HTTPS_PROXY, NO_PROXY) are read from the
        # environment when the opener is made
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=timeout) as answer:
            answer.read(1 << 16)  # what it says is not used; a huge answer is not waited for
            return int(answer.status), None, False
    except urllib.error.HTTPError as exc:
        exc.close()
        code = int(exc.code)
        if 300 <= code < 400:
            where = exc.headers.get("Location", "elsewhere")
            return code, f"HTTP {code}: redirected to {where} (give the final URL)", False
        return code, f"HTTP {code} {exc.reason}".rstrip(), code == 429 or code >= 500
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            return None, f"no answer within {timeout:g} s", True
        return None, f"cannot connect: {exc.reason}", True
    except TimeoutError:
        return None, f"no answer within {timeout:g} s", True
    except (OSError, http.client.HTTPException) as exc:
        return None, f"connection lost: {type(exc).__name__}: {exc}", True
    except Exception as exc:  # an endpoint must never fail the run, whatever it does
        return None, f"{type(exc).__name__}: {exc}", False


def _utc_naive(moment: datetime) -> datetime:
    """The store keeps UTC without a zone."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _iso(moment: datetime) -> str:
    return _utc_naive(moment).isoformat(timespec="seconds") + "Z"


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()

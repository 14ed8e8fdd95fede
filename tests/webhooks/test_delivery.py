"""Deliveries against a real local HTTP server: what is sent, how it is signed, what is retried
and what is logged. The store is made by hand (two recorded runs), so every answer is known."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import hooktools
import pyarrow as pa
import pytest
from hooktools import SECRET, Receiver, free_port, settings

import riskseg
from conftest import CUSTOMERS_CSV, write
from riskseg.errors import InputError
from riskseg.playbook.actions import record_run, set_status
from riskseg.webhooks import (
    ACTION_FIELDS,
    deliver_new_actions,
    list_deliveries,
    send_ping,
    verify_signature,
)

# the shared fixture (tests/webhooks/hooktools.py): the secret set, no proxy
hook_env = hooktools.hook_env
AS_OF = date(2025, 6, 30)
NOW = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)
pytestmark = pytest.mark.usefixtures("hook_env")

# customer, action, owner, priority, impact, control
RUN_2 = [
    ("C1", "require_prepayment", "finance", 1, 900.0, False),  # sent
    ("C2", "retention_outreach", "sales", 1, 500.0, False),  # sent
    ("C1", "dunning_strict", "finance", 2, 5000.0, False),  # normal priority: not by default
    ("C2", "reduce_credit_limit", "finance", 1, 800.0, True),  # control group: never
    ("C3", "management_review", "management", 1, 700.0, False),  # dismissed below: closed
    ("C3", "executive_follow_up", "management", 1, 100.0, False),  # accepted below: still open
]


def _actions(rows: list[tuple[str, str, str, int, float, bool]]) -> pa.Table:
    return pa.table(
        {
            "customer_id": [r[0] for r in rows],
            "as_of": [AS_OF] * len(rows),
            "action": [r[1] for r in rows],
            "owner": [r[2] for r in rows],
            "priority": pa.array([r[3] for r in rows], pa.int32()),
            "reason": [f"why {r[1]} for {r[0]}" for r in rows],
            "due_date": [date(2025, 7, 7)] * len(rows),
            "status": ["proposed"] * len(rows),
            "rule": ["r"] * len(rows),
            "expected_impact": [r[4] for r in rows],
            "parameters": ["{}"] * len(rows),
            "control": [r[5] for r in rows],
        }
    )


def _record(store: riskseg.Store, rows: list[tuple[str, str, str, int, float, bool]]) -> int:
    return record_run(
        store,
        as_of=AS_OF,
        started_at=datetime(2026, 1, 5),
        fingerprint="f",
        config="c",
        customers=pa.table({"customer_id": ["C1", "C2", "C3"]}),
        actions=_actions(rows),
    )


@pytest.fixture
def run_store(tmp_path: Path) -> Iterator[tuple[riskseg.Store, int]]:
    """A store with customers C1-C3 and two runs; run 2 is the one delivered."""
    with riskseg.Store(":memory:") as store:
        riskseg.import_path(store, write(tmp_path / "customers.csv", CUSTOMERS_CSV))
        _record(store, [("C1", "assign_senior_collector", "finance", 1, 50.0, False)])
        run_id = _record(store, RUN_2)
        ids = dict(
            store.con.execute(
                "SELECT action, action_id FROM actions WHERE run_id = ?", [run_id]
            ).fetchall()
        )
        set_status(store, ids["management_review"], "dismiss", by="ana", note="handled")
        set_status(store, ids["executive_follow_up"], "accept", by="ana")
        yield store, run_id


def _ids(store: riskseg.Store, run_id: int, *actions: str) -> list[int]:
    found = dict(
        store.con.execute(
            "SELECT action, action_id FROM actions WHERE run_id = ?", [run_id]
        ).fetchall()
    )
    return [found[a] for a in actions]


def _logged(store: riskseg.Store) -> list[tuple[object, ...]]:
    return store.con.execute(
        "SELECT * FROM webhook_deliveries ORDER BY first_attempt_at, delivery_id"
    ).fetchall()


def test_the_run_s_open_high_priority_actions_are_posted_signed(
    run_store: tuple[riskseg.Store, int],
) -> None:
    store, run_id = run_store
    sleeps: list[float] = []
    with Receiver() as receiver:
        [d] = deliver_new_actions(
            store, run_id, settings(receiver.url), now=NOW, sleep=sleeps.append
        )
    assert (d.status, d.attempts, d.http_status, d.error, sleeps) == ("delivered", 1, 200, None, [])
    [seen] = receiver.requests
    assert seen.path == "/hooks/riskseg"
    body = json.loads(seen.body)
    assert body["event"] == "actions.created"
    assert (body["run_id"], body["as_of"], body["sent_at"]) == (
        run_id,
        "2025-06-30",
        "2026-01-05T08:30:00Z",
    )
    # the most urgent first, then the most money at stake; closed, control and normal-priority
    # actions and the earlier run's are left out
    expected = _ids(
        store, run_id, "require_prepayment", "retention_outreach", "executive_follow_up"
    )
    assert [a["action_id"] for a in body["actions"]] == expected
    first = body["actions"][0]
    assert tuple(first) == ACTION_FIELDS
    assert first == {
        "action_id": expected[0],
        "customer_id": "C1",
        "customer_name": "Acme BV",
        "action": "require_prepayment",
        "owner": "finance",
        "priority": 1,
        "reason": "why require_prepayment for C1",
        "due_date": "2025-07-07",
        "expected_impact": 900.0,
    }
    headers = seen.headers
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Riskseg-Event"] == "actions.created"
    assert headers["X-Riskseg-Delivery"] == d.delivery_id
    stamp = headers["X-Riskseg-Timestamp"]
    assert abs(int(stamp) - NOW.timestamp()) < 5
    assert headers["X-Riskseg-Signature"].startswith("sha256=")
    assert verify_signature(seen.body, stamp, headers["X-Riskseg-Signature"], SECRET, now=NOW)


def test_the_signature_fails_with_a_wrong_secret_an_altered_body_or_an_old_timestamp(
    run_store: tuple[riskseg.Store, int],
) -> None:
    store, run_id = run_store
    with Receiver() as receiver:
        deliver_new_actions(store, run_id, settings(receiver.url), now=NOW)
    [seen] = receiver.requests
    stamp, sig = seen.headers["X-Riskseg-Timestamp"], seen.headers["X-Riskseg-Signature"]
    assert verify_signature(seen.body, stamp, sig, SECRET, now=NOW)
    assert not verify_signature(seen.body, stamp, sig, SECRET + "x", now=NOW)
    altered = seen.body.replace(b"Acme BV", b"Acme NV")
    assert altered != seen.body
    assert not verify_signature(altered, stamp, sig, SECRET, now=NOW)
    # the same request replayed later (or a timestamp moved to make it look fresh)
    later = NOW.timestamp() + 301
    assert not verify_signature(seen.body, stamp, sig, SECRET, now=later)
    assert not verify_signature(seen.body, str(int(later)), sig, SECRET, now=later)


def test_500_twice_then_200_is_retried_after_1_and_2_seconds(
    run_store: tuple[riskseg.Store, int],
) -> None:
    store, run_id = run_store
    sleeps: list[float] = []
    with Receiver([500, 503]) as receiver:
        [d] = deliver_new_actions(
            store, run_id, settings(receiver.url), now=NOW, sleep=sleeps.append
        )
    assert (d.status, d.attempts, d.http_status, d.error) == ("delivered", 3, 200, None)
    assert sleeps == [1, 2]
    assert len(receiver.requests) == 3
    # one delivery id throughout, so a receiver can drop a repeat; each attempt signed anew
    assert {r.headers["X-Riskseg-Delivery"] for r in receiver.requests} == {d.delivery_id}
    assert {r.body for r in receiver.requests} == {receiver.requests[0].body}
    for r in receiver.requests:
        assert verify_signature(
            r.body,
            r.headers["X-Riskseg-Timestamp"],
            r.headers["X-Riskseg-Signature"],
            SECRET,
            now=NOW,
        )
    [row] = _logged(store)
    assert row[5:9] == (3, "delivered", 200, None)


def test_429_is_retried_and_the_last_failure_is_kept(run_store: tuple[riskseg.Store, int]) -> None:
    store, run_id = run_store
    sleeps: list[float] = []
    with Receiver([429, 500, 502]) as receiver:
        [d] = deliver_new_actions(
            store, run_id, settings(receiver.url, retries=2), now=NOW, sleep=sleeps.append
        )
    assert (d.status, d.attempts, d.http_status) == ("failed", 3, 502)
    assert d.error == "HTTP 502 Bad Gateway"
    assert sleeps == [1, 2] and len(receiver.requests) == 3


def test_a_400_is_not_retried(run_store: tuple[riskseg.Store, int]) -> None:
    store, run_id = run_store
    sleeps: list[float] = []
    with Receiver([400]) as receiver:
        [d] = deliver_new_actions(
            store, run_id, settings(receiver.url), now=NOW, sleep=sleeps.append
        )
    assert (d.status, d.attempts, d.http_status, d.error) == (
        "failed",
        1,
        400,
        "HTTP 400 Bad Request",
    )
    assert sleeps == [] and len(receiver.requests) == 1


def test_a_redirect_is_an_answer_not_a_detour(run_store: tuple[riskseg.Store, int]) -> None:
    store, run_id = run_store
    with Receiver([302]) as receiver:
        [d] = deliver_new_actions(store, run_id, settings(receiver.url), now=NOW)
    # urllib would have re-sent the POST as a GET without its body, and called that delivered
    assert [r.path for r in receiver.requests] == ["/hooks/riskseg"]
    assert (d.status, d.attempts, d.http_status) == ("failed", 1, 302)
    assert d.error is not None and "redirected to" in d.error and "/moved" in d.error


def test_a_timeout_is_retried(run_store: tuple[riskseg.Store, int]) -> None:
    store, run_id = run_store
    sleeps: list[float] = []
    with Receiver([(200, 1.0)]) as receiver:
        [d] = deliver_new_actions(
            store, run_id, settings(receiver.url, timeout_s=0.2), now=NOW, sleep=sleeps.append
        )
    assert (d.status, d.attempts, sleeps) == ("delivered", 2, [1])


def test_an_unreachable_endpoint_fails_without_raising_and_delays_no_other(
    run_store: tuple[riskseg.Store, int],
) -> None:
    store, run_id = run_store
    sleeps: list[float] = []
    dead = f"http://127.0.0.1:{free_port()}/hook"
    with Receiver() as receiver:
        failed, delivered = deliver_new_actions(
            store, run_id, settings(dead, receiver.url), now=NOW, sleep=sleeps.append
        )
    assert (failed.url, failed.status, failed.attempts, failed.http_status) == (
        dead,
        "failed",
        4,
        None,
    )
    assert failed.error is not None and failed.error.startswith("cannot connect")
    assert sleeps == [1, 2, 4]
    assert delivered.delivered and len(receiver.requests) == 1
    assert sorted(r[6] for r in _logged(store)) == ["delivered", "failed"]


def test_deliveries_are_logged_with_action_ids_and_no_names(
    run_store: tuple[riskseg.Store, int],
) -> None:
    store, run_id = run_store
    with Receiver() as receiver:
        [d] = deliver_new_actions(store, run_id, settings(receiver.url), now=NOW)
    [row] = _logged(store)
    assert row == (
        d.delivery_id,
        run_id,
        receiver.url,
        "actions.created",
        json.dumps(list(d.actions)),
        1,
        "delivered",
        200,
        None,
        d.first_attempt_at,
        d.last_attempt_at,
    )
    assert list(d.actions) == [
        a["action_id"] for a in json.loads(receiver.requests[0].body)["actions"]
    ]
    assert NOW.replace(tzinfo=None) <= d.first_attempt_at <= d.last_attempt_at
    assert not any("Acme" in str(v) or SECRET in str(v) for v in row)
    assert list_deliveries(store) == [d]
    assert list_deliveries(store, run_id=run_id + 1) == []


def test_endpoints_choose_departments_and_priority(run_store: tuple[riskseg.Store, int]) -> None:
    store, run_id = run_store
    with Receiver() as finance, Receiver() as management:
        hooks = settings(finance.url, owners=["finance"], max_priority=2)
        hooks = hooks.model_copy(
            update={
                "endpoints": (
                    *hooks.endpoints,
                    *settings(management.url, owners=["management"]).endpoints,
                )
            }
        )
        deliver_new_actions(store, run_id, hooks, now=NOW)
    got = [a["action"] for a in json.loads(finance.requests[0].body)["actions"]]
    assert got == ["require_prepayment", "dunning_strict"]
    got = [a["action"] for a in json.loads(management.requests[0].body)["actions"]]
    assert got == ["executive_follow_up"]


def test_nothing_to_send_means_no_post_and_no_log_row(run_store: tuple[riskseg.Store, int]) -> None:
    store, run_id = run_store
    with Receiver() as receiver:
        assert (
            deliver_new_actions(store, run_id, settings(receiver.url, owners=["hr"]), now=NOW) == []
        )
    assert receiver.requests == [] and _logged(store) == []


def test_a_delivered_run_is_not_sent_again_a_failed_one_is(
    run_store: tuple[riskseg.Store, int],
) -> None:
    store, run_id = run_store
    with Receiver([400]) as receiver:
        hooks = settings(receiver.url)
        assert not deliver_new_actions(store, run_id, hooks, now=NOW)[0].delivered
        assert deliver_new_actions(store, run_id, hooks, now=NOW)[0].delivered
        assert deliver_new_actions(store, run_id, hooks, now=NOW) == []
    assert len(receiver.requests) == 2 and len(_logged(store)) == 2


def test_an_unset_secret_stops_everything_before_a_request(
    run_store: tuple[riskseg.Store, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, run_id = run_store
    with Receiver() as receiver:
        hooks = settings(receiver.url)
        extra = (
            settings(receiver.url)
            .endpoints[0]
            .model_copy(update={"secret_env": "RISKSEG_NO_SUCH_SECRET"})
        )
        hooks = hooks.model_copy(update={"endpoints": (*hooks.endpoints, extra)})
        monkeypatch.setenv("RISKSEG_NO_SUCH_SECRET", "  ")
        for call in (
            lambda: deliver_new_actions(store, run_id, hooks, now=NOW),
            lambda: send_ping(store, hooks, now=NOW),
        ):
            with pytest.raises(InputError, match="RISKSEG_NO_SUCH_SECRET is not set or empty"):
                call()
    assert receiver.requests == [] and _logged(store) == []


def test_an_unknown_run_is_refused(run_store: tuple[riskseg.Store, int]) -> None:
    store, _ = run_store
    with pytest.raises(InputError, match="no run 99"):
        deliver_new_actions(store, 99, settings("http://127.0.0.1:9/x"), now=NOW)


def test_a_ping_is_signed_and_logged(run_store: tuple[riskseg.Store, int]) -> None:
    store, _ = run_store
    with Receiver() as receiver:
        [d] = send_ping(store, settings(receiver.url), now=NOW)
    [seen] = receiver.requests
    assert json.loads(seen.body) == {"event": "ping", "sent_at": "2026-01-05T08:30:00Z"}
    assert seen.headers["X-Riskseg-Event"] == "ping"
    assert verify_signature(
        seen.body,
        seen.headers["X-Riskseg-Timestamp"],
        seen.headers["X-Riskseg-Signature"],
        SECRET,
        now=NOW,
    )
    assert (d.run_id, d.event, d.actions, d.status) == (None, "ping", (), "delivered")
    assert list_deliveries(store) == [d]

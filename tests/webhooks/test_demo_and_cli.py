"""Webhooks after a real run of the demo company, and ``riskseg webhooks test|log``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import hooktools
import pytest
from hooktools import SECRET, SECRET_ENV, Receiver, free_port

import riskseg
from riskseg.demo import generate
from riskseg.pipeline import run
from riskseg.playbook.actions import list_actions, set_status
from riskseg.webhooks import deliver_new_actions, list_deliveries, load_webhooks, verify_signature

pytestmark = pytest.mark.slow
RISKSEG = str(Path(sys.executable).with_name("riskseg"))
NOW = datetime(2026, 1, 2, 6, 0, tzinfo=UTC)
# the shared fixture (tests/webhooks/hooktools.py): the secret set, no proxy
hook_env = hooktools.hook_env


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[riskseg.Store, int]]:
    folder = tmp_path_factory.mktemp("webhooks-demo")
    generate(customers=60, seed=5).write(folder, format="parquet")
    with riskseg.Store(":memory:") as store:
        riskseg.import_path(store, folder)
        result = run(store, as_of=date(2025, 12, 31), models=False, backtest=False)
        assert result.run_id is not None
        yield store, result.run_id


def _hooks(tmp_path: Path, *urls: str, extra: str = "") -> Path:
    lines = ["version: 1", "endpoints:"]
    for url in urls:
        lines += [f"  - url: {url}", f"    secret_env: {SECRET_ENV}"]
        lines += [f"    {e}" for e in extra.splitlines() if e]
    path = tmp_path / "webhooks.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.usefixtures("hook_env")
def test_exactly_the_run_s_open_high_priority_actions_are_sent(
    demo: tuple[riskseg.Store, int], tmp_path: Path
) -> None:
    store, run_id = demo
    queue = list_actions(store, include_control=True).to_pylist()
    urgent = [a for a in queue if a["priority"] == 1 and not a["control"]]
    # people have moved some on: one done (closed, not sent), one accepted (open, sent)
    set_status(store, urgent[0]["action_id"], "done", by="ana", note="called")
    set_status(store, urgent[1]["action_id"], "accept", by="ana")
    queue = list_actions(store, include_control=True).to_pylist()
    expected = sorted(
        (
            a
            for a in queue
            if a["run_id"] == run_id
            and a["priority"] <= 1
            and a["status"] in ("proposed", "accepted")
            and not a["control"]
        ),
        key=lambda a: (a["priority"], -(a["expected_impact"] or 0), a["action_id"]),
    )
    # the run has every kind of action the selection must leave out
    assert len(expected) >= 10
    assert any(a["priority"] == 1 and a["control"] for a in queue)
    assert any(a["priority"] > 1 for a in queue)
    names = dict(store.con.execute("SELECT customer_id, name FROM customers").fetchall())
    with Receiver() as receiver:
        settings = load_webhooks(_hooks(tmp_path, receiver.url))
        [d] = deliver_new_actions(store, run_id, settings, now=NOW)
    [seen] = receiver.requests
    body = json.loads(seen.body)
    assert [a["action_id"] for a in body["actions"]] == [a["action_id"] for a in expected]
    assert list(d.actions) == [a["action_id"] for a in expected]
    for sent, want in zip(body["actions"], expected, strict=True):
        assert sent["customer_name"] == names[want["customer_id"]]
        assert (sent["action"], sent["owner"], sent["reason"], sent["due_date"]) == (
            want["action"],
            want["owner"],
            want["reason"],
            want["due_date"].isoformat(),
        )
    assert (body["run_id"], body["as_of"]) == (run_id, "2025-12-31")
    stamp, signature = seen.headers["X-Riskseg-Timestamp"], seen.headers["X-Riskseg-Signature"]
    assert verify_signature(seen.body, stamp, signature, SECRET, now=NOW)
    assert list_deliveries(store, run_id=run_id) == [d]


def _cli(*args: str, secret: str | None = SECRET) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.pop(SECRET_ENV, None)
    if secret is not None:
        env[SECRET_ENV] = secret
    env["COLUMNS"] = "200"
    return subprocess.run(
        [RISKSEG, *args], capture_output=True, text=True, timeout=120, env=env, check=False
    )


def test_webhooks_test_pings_every_endpoint_and_log_lists_it(tmp_path: Path) -> None:
    db = str(tmp_path / "hooks.duckdb")
    dead = f"http://127.0.0.1:{free_port()}/hook"
    with Receiver() as receiver:
        good = _cli("webhooks", "test", str(_hooks(tmp_path, receiver.url)), "--db", db)
        assert good.returncode == 0, good.stderr
        assert f"delivered  HTTP 200   1 attempt   {receiver.url}" in good.stdout
        [seen] = receiver.requests
        assert json.loads(seen.body)["event"] == "ping"
        stamp, signature = seen.headers["X-Riskseg-Timestamp"], seen.headers["X-Riskseg-Signature"]
        assert verify_signature(seen.body, stamp, signature, SECRET, now=float(stamp))
        # one endpoint down: the other is still pinged, the command says so and exits 1
        both = _hooks(tmp_path, dead, receiver.url, extra="retries: 0")
        mixed = _cli("webhooks", "test", str(both), "--db", db)
    assert mixed.returncode == 1
    assert f"failed     no answer  1 attempt   {dead}  cannot connect" in mixed.stdout
    assert f"delivered  HTTP 200   1 attempt   {receiver.url}" in mixed.stdout
    log = _cli("webhooks", "log", "--db", db)
    assert log.returncode == 0 and log.stdout.count("ping") == 3
    rows = [
        json.loads(line)
        for line in _cli("webhooks", "log", "--db", db, "--json").stdout.splitlines()
    ]
    assert sorted(r["status"] for r in rows) == ["delivered", "delivered", "failed"]
    assert {r["url"] for r in rows} == {receiver.url, dead}


def test_webhooks_test_refuses_an_unset_secret_and_a_bad_file(tmp_path: Path) -> None:
    db = str(tmp_path / "hooks.duckdb")
    with Receiver() as receiver:
        unset = _cli(
            "webhooks", "test", str(_hooks(tmp_path, receiver.url)), "--db", db, secret=None
        )
        assert receiver.requests == []
    assert unset.returncode == 2
    assert f"{SECRET_ENV} is not set or empty" in " ".join(unset.stderr.split())
    bad = _cli("webhooks", "test", str(_hooks(tmp_path, "ftp://x.example.com")), "--db", db)
    assert bad.returncode == 2
    assert "line 3, endpoints.0.url" in " ".join(bad.stderr.split())
    assert _cli("webhooks", "log", "--db", db).stdout.startswith("no webhook deliveries yet")


def test_webhooks_help_explains_both_commands() -> None:
    for args in (
        ["webhooks", "--help"],
        ["webhooks", "test", "--help"],
        ["webhooks", "log", "--help"],
    ):
        result = _cli(*args)
        assert result.returncode == 0 and "Usage" in result.stdout, args

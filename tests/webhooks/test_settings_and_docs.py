"""The webhooks file's errors name the file, the line and the key; secrets stay out of it; the
examples and the verification snippet of docs/webhooks.md work as printed."""

from __future__ import annotations

import doctest
import json
import re
import time
from pathlib import Path

import pytest

from conftest import ROOT
from riskseg.config import SettingsError
from riskseg.errors import InputError
from riskseg.webhooks import (
    ACTION_FIELDS,
    endpoint_secrets,
    load_webhooks,
    sign,
    verify_signature,
)
from riskseg.webhooks import settings as settings_module
from riskseg.webhooks import signing as signing_module

DOCS = (ROOT / "docs" / "webhooks.md").read_text(encoding="utf-8")


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "webhooks.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOCS, flags=re.S)


def test_an_endpoint_needs_only_a_url_and_a_secret_env(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "version: 1\nendpoints:\n  - url: https://hooks.example.com/x\n    secret_env: HOOK\n",
    )
    [endpoint] = load_webhooks(path).endpoints
    # 1 is the playbook's high priority (2 normal, 3 low)
    assert (endpoint.max_priority, endpoint.owners, endpoint.timeout_s, endpoint.retries) == (
        1,
        None,
        5,
        3,
    )


BAD = """\
version: 1
endpoints:
  - url: https://ok.example.com/hook
    secret_env: RISKSEG_WEBHOOK_SECRET
  - url: ftp://files.example.com/drop
    secret_env: OTHER
    max_priority: 5
  - url: https://x.example.com/hook
    secret: abc123
    secret_env: X
  - url: https://user:pw@x.example.com/hook
    secret_env: "hunter2-secret!"
    owners: [finance, legal]
    retry: 3
"""


def test_errors_name_the_file_the_line_and_the_key(tmp_path: Path) -> None:
    path = _file(tmp_path, BAD)
    with pytest.raises(SettingsError) as caught:
        load_webhooks(path)
    problems = str(caught.value).removeprefix(f"{path}: ").split("; ")
    assert problems == [
        "line 5, endpoints.1.url: url must be an http:// or https:// address, not "
        "'ftp://files.example.com/drop'",
        "line 7, endpoints.1.max_priority: Input should be less than or equal to 3",
        "line 8, endpoints.2: secret: a secret does not belong in the file, put it in an "
        "environment variable and give that variable's name as secret_env (such as "
        "secret_env: RISKSEG_WEBHOOK_SECRET)",
        "line 11, endpoints.3.url: url must not hold a user or password (the signature is the "
        "proof)",
        "line 12, endpoints.3.secret_env: secret_env must be the name of an environment "
        "variable (letters, digits and _, such as RISKSEG_WEBHOOK_SECRET), not the secret "
        "itself",
        "line 13, endpoints.3.owners: owners must be among finance, sales, service, "
        "management, hr, not ['legal']",
        "line 14, endpoints.3.retry: unknown key (check the spelling)",
    ]
    # what may be a secret is never repeated
    assert "abc123" not in str(caught.value) and "hunter2" not in str(caught.value)
    assert "pw@" not in str(caught.value)


def test_a_file_without_endpoints_or_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"line 2, endpoints: .*at least 1 item"):
        load_webhooks(_file(tmp_path, "version: 1\nendpoints: []\n"))
    with pytest.raises(SettingsError, match="version: Field required"):
        load_webhooks(_file(tmp_path, "endpoints: []\n"))


def test_secrets_come_from_the_environment_and_an_empty_one_is_named(tmp_path: Path) -> None:
    hooks = load_webhooks(
        _file(
            tmp_path,
            "version: 1\nendpoints:\n"
            "  - {url: 'https://a.example.com', secret_env: HOOK_A}\n"
            "  - {url: 'https://b.example.com', secret_env: HOOK_B}\n",
        )
    )
    assert endpoint_secrets(hooks, {"HOOK_A": "a", "HOOK_B": "b"}) == (b"a", b"b")
    for env in ({"HOOK_A": "a"}, {"HOOK_A": "a", "HOOK_B": ""}):
        with pytest.raises(InputError, match=r"variable HOOK_B is not set or empty.*endpoints.1 "):
            endpoint_secrets(hooks, env)


def test_verify_signature_refuses_a_malformed_or_foreign_header() -> None:
    body, now = b'{"event":"ping"}', 1_767_225_600
    good = sign(body, now, b"k")
    assert verify_signature(body, str(now), good, b"k", now=now)
    assert verify_signature(body.decode(), str(now), good, "k", now=now + 300)
    assert not verify_signature(body, str(now), good, b"k", now=now + 301)
    assert not verify_signature(body, str(now), good, b"k", now=now - 301)  # from the future
    assert not verify_signature(body, "soon", good, b"k", now=now)
    assert not verify_signature(body, str(now), good.replace("sha256=", "sha1="), b"k", now=now)
    assert not verify_signature(body, str(now), good[:-1], b"k", now=now)


def test_the_modules_examples_run() -> None:
    for module in (signing_module, settings_module):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module


def test_the_docs_yaml_loads_and_its_error_message_is_the_real_one(tmp_path: Path) -> None:
    [yaml_text] = _blocks("yaml")
    hooks = load_webhooks(_file(tmp_path, yaml_text))
    assert [e.owners for e in hooks.endpoints] == [None, ("finance",)]
    quoted = re.search(r"`(webhooks\.yaml: line 5, .*?)`", DOCS, flags=re.S)
    assert quoted is not None
    path = _file(tmp_path, BAD)
    with pytest.raises(SettingsError) as caught:
        load_webhooks(path)
    message = str(caught.value).replace(str(path), "webhooks.yaml")
    assert " ".join(quoted.group(1).split()) in message


def test_the_docs_payload_has_the_fields_riskseg_sends() -> None:
    [payload] = [json.loads(b) for b in _blocks("json")]
    assert list(payload) == ["event", "run_id", "as_of", "sent_at", "actions"]
    assert tuple(payload["actions"][0]) == ACTION_FIELDS


def test_the_docs_verification_snippet_accepts_riskseg_s_signature_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    function, handler = _blocks("python")
    space: dict[str, object] = {}
    exec(compile(function, "docs/webhooks.md", "exec"), space)
    verify = space["verify_signature"]
    assert callable(verify)
    body, stamp = b'{"event":"ping","sent_at":"2026-01-01T00:00:00Z"}', int(time.time())
    signature = sign(body, stamp, b"the-secret")
    assert verify(body, str(stamp), signature, "the-secret", now=time.time())
    assert not verify(body, str(stamp), signature, "another", now=time.time())
    assert not verify(body + b" ", str(stamp), signature, "the-secret", now=time.time())
    assert not verify(body, str(stamp), signature, "the-secret", now=time.time() + 600)
    headers = {"X-Riskseg-Timestamp": str(stamp), "X-Riskseg-Signature": signature}
    for secret, status in (("the-secret", None), ("another", 401)):
        monkeypatch.setenv("RISKSEG_WEBHOOK_SECRET", secret)
        run = {**space, "body": body, "headers": headers, "status": None}
        exec(compile(handler, "docs/webhooks.md", "exec"), run)
        assert run["status"] == status


def test_a_forged_header_with_odd_characters_is_refused_not_an_error() -> None:
    body, now = b"{}", 1_767_225_600
    assert not verify_signature(body, str(now), "sha256=é" + "0" * 63, b"k", now=now)

"""The webhooks file: which URLs hear of new high-priority actions, and how they are signed.

```yaml
version: 1
endpoints:
  - url: https://hooks.example.com/riskseg
    secret_env: RISKSEG_WEBHOOK_SECRET   # the NAME of the variable that holds the secret
    max_priority: 1                      # 1 high (the default), 2 normal, 3 low
    owners: [finance, management]        # optional: only these departments' actions
    timeout_s: 5
    retries: 3
```

Secrets never live in the file (it is copied, committed and mailed around): an endpoint names
the environment variable that holds its secret, and :func:`endpoint_secrets` reads them all
before anything is sent.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from riskseg.config import load_settings
from riskseg.errors import InputError
from riskseg.playbook.rules import OWNERS

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Endpoint(BaseModel):
    """One URL that receives new actions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    #: the name of the environment variable holding this endpoint's HMAC secret
    secret_env: str
    #: actions with a priority up to this one are sent; the playbook's 1 is high, 2 normal,
    #: 3 low, so the default sends only the urgent ones
    max_priority: int = Field(default=1, ge=1, le=3)
    #: only these departments' actions (default: every department's)
    owners: tuple[str, ...] | None = Field(default=None, min_length=1)
    timeout_s: float = Field(default=5.0, gt=0, le=60)
    #: attempts after the first, with 1, 2, 4, ... seconds between them
    retries: int = Field(default=3, ge=0, le=8)

    @model_validator(mode="before")
    @classmethod
    def _no_literal_secret(cls, data: Any) -> Any:
        if isinstance(data, dict) and "secret" in data:
            raise ValueError(
                "secret: a secret does not belong in the file, put it in an environment "
                "variable and give that variable's name as secret_env (such as secret_env: "
                "RISKSEG_WEBHOOK_SECRET)"
            )
        return data

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url must be an http:// or https:// address, not {v!r}")
        if parts.username is not None or parts.password is not None:
            # it would be stored in webhook_deliveries; the signature is what authenticates
            raise ValueError("url must not hold a user or password (the signature is the proof)")
        return v

    @field_validator("secret_env")
    @classmethod
    def _env_name(cls, v: str) -> str:
        if not _ENV_NAME.fullmatch(v):
            # the value is not repeated: it may be a secret pasted in by mistake
            raise ValueError(
                "secret_env must be the name of an environment variable (letters, digits and "
                "_, such as RISKSEG_WEBHOOK_SECRET), not the secret itself"
            )
        return v

    @field_validator("owners")
    @classmethod
    def _known_owners(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        unknown = [o for o in v or () if o not in OWNERS]
        if unknown:
            raise ValueError(f"owners must be among {', '.join(OWNERS)}, not {unknown}")
        return v


class WebhookSettings(BaseModel):
    """What a webhooks file holds (see the module docstring for an example)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    endpoints: tuple[Endpoint, ...] = Field(min_length=1)


def load_webhooks(path: str | os.PathLike[str]) -> WebhookSettings:
    """Validate a webhooks file; errors name the file, the line and the key.

    >>> load_webhooks("no-such-webhooks.yaml")
    Traceback (most recent call last):
    ...
    riskseg.config.SettingsError: no-such-webhooks.yaml: no such file
    """
    return load_settings(Path(path), WebhookSettings)


def endpoint_secrets(
    settings: WebhookSettings, environ: Mapping[str, str] | None = None
) -> tuple[bytes, ...]:
    """Each endpoint's secret, read from its ``secret_env`` (default: ``os.environ``).

    Raises
    ------
    InputError
        Naming the first variable that is unset or empty, before anything is sent.
    """
    env = os.environ if environ is None else environ
    secrets = []
    for i, endpoint in enumerate(settings.endpoints):
        value = env.get(endpoint.secret_env, "")
        if not value.strip():
            raise InputError(
                f"environment variable {endpoint.secret_env} is not set or empty: it must hold "
                f"the secret of endpoints.{i} ({endpoint.url}); nothing was sent"
            )
        secrets.append(value.encode())
    return tuple(secrets)

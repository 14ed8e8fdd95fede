"""Webhooks: new high-priority actions POSTed to the URLs of a webhooks file, signed, with
retries, and every delivery logged (docs/webhooks.md).

>>> from riskseg.webhooks import load_webhooks, deliver_new_actions  # doctest: +SKIP
>>> settings = load_webhooks("webhooks.yaml")  # doctest: +SKIP
>>> deliver_new_actions(store, run_id, settings, now=datetime.now(UTC))  # doctest: +SKIP
"""

from riskseg.webhooks.delivery import (
    ACTION_FIELDS,
    ACTIONS_CREATED,
    PING,
    Delivery,
    deliver_new_actions,
    list_deliveries,
    send_ping,
)
from riskseg.webhooks.settings import Endpoint, WebhookSettings, endpoint_secrets, load_webhooks
from riskseg.webhooks.signing import sign, verify_signature

__all__ = [
    "ACTIONS_CREATED",
    "ACTION_FIELDS",
    "PING",
    "Delivery",
    "Endpoint",
    "WebhookSettings",
    "deliver_new_actions",
    "endpoint_secrets",
    "list_deliveries",
    "load_webhooks",
    "send_ping",
    "sign",
    "verify_signature",
]

"""Webhook subscriptions from the sign-up form and the API: what is kept, what is refused."""

from __future__ import annotations

import re

import sqlalchemy as sa

from commsbot.subscriptions.messages import MessageKind
from commsbot.subscriptions.model import SubscriberKind, SubscriberState
from tests.subscriptions.conftest import Site

SAME = {"Sec-Fetch-Site": "same-origin"}
URL = "http://127.0.0.1:9/status-hook"


def _kinds(site: Site) -> list[tuple[str, str, str, str | None]]:
    with site.engine.connect() as conn:
        return [
            (r[0], r[1], r[2], r[3])
            for r in conn.execute(
                sa.text("SELECT kind, address, state, owner_email FROM subscriber ORDER BY kind")
            )
        ]


def test_the_form_offers_a_webhook_url_and_queues_its_confirmation_request(
    hook_site: Site,
) -> None:
    page = hook_site.client.get("/subscriptions")
    assert '<input id="url" name="url" type="url"' in page.text
    # The email is no longer required when a URL may be given instead.
    assert not re.search(r'<input id="email"[^>]* required', page.text)
    token = hook_site.form()
    answer = hook_site.client.post(
        "/subscriptions",
        data={"csrf": token, "url": URL, "email": "ops@example.com", "components": ["API"]},
        headers=SAME,
    )
    assert answer.status_code == 200, answer.text
    assert "Confirmation request on its way" in answer.text
    assert _kinds(hook_site) == [("webhook", URL, "pending", "ops@example.com")]
    with hook_site.deps.read() as uow:
        sub = uow.subscribers.find(SubscriberKind.WEBHOOK, URL)
        assert sub is not None
        assert sub.components == frozenset({"API"})
        assert sub.webhook_secret  # handed to it in the confirmation request
    with hook_site.engine.connect() as conn:
        kinds = [r[0] for r in conn.execute(sa.text("SELECT kind FROM subscriber_message"))]
    assert kinds == [MessageKind.CHALLENGE.value]


def test_a_bad_url_on_the_form_is_shown_next_to_its_field(hook_site: Site) -> None:
    token = hook_site.form()
    answer = hook_site.client.post(
        "/subscriptions",
        data={"csrf": token, "url": "file:///etc/passwd"},
        headers=SAME,
    )
    assert answer.status_code == 400
    assert 'id="url-error"' in answer.text
    assert "must start with https://" in answer.text
    assert _kinds(hook_site) == []


def test_without_webhooks_the_form_has_no_url_field_and_ignores_one(site: Site) -> None:
    page = site.client.get("/subscriptions")
    assert 'name="url"' not in page.text
    token = site.form()
    answer = site.client.post(
        "/subscriptions",
        data={"csrf": token, "url": URL, "email": "ada@example.com"},
        headers=SAME,
    )
    assert answer.status_code == 200
    assert [k[0] for k in _kinds(site)] == ["email"]


def test_the_api_adds_webhooks_and_refuses_what_cannot_work(hook_site: Site) -> None:
    client, admin = hook_site.client, hook_site.auth("admin")
    added = client.post(
        "/api/v1/subscribers",
        json={"url": URL, "owner_email": "ops@example.com", "components": ["API"]},
        headers=admin,
    )
    assert added.status_code == 201, added.text
    body = added.json()
    assert body["result"] == "confirmation_sent"
    assert body["subscriber"]["kind"] == "webhook"
    assert body["subscriber"]["state"] == SubscriberState.PENDING.value
    assert body["subscriber"]["owner_email"] == "ops@example.com"

    both = client.post(
        "/api/v1/subscribers", json={"url": URL, "email": "ada@example.com"}, headers=admin
    )
    assert both.status_code == 400
    assert "either email or url" in both.text
    vouched = client.post(
        "/api/v1/subscribers", json={"url": URL + "2", "confirmed": True}, headers=admin
    )
    assert vouched.status_code == 400
    assert "must echo its confirmation request" in vouched.text
    private = client.post("/api/v1/subscribers", json={"url": "http://10.0.0.1/x"}, headers=admin)
    assert private.status_code == 400
    assert private.json()["error"]["field"] == "url"
    assert len(_kinds(hook_site)) == 1

"""No token, a wrong one, a revoked one or too small a scope: refused, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest

from commsbot.services.tokens import create_token, list_tokens, revoke_token
from tests.http.conftest import Stack
from tests.http.test_api import DECLARE, declare, error

ALERT = {
    "version": "4",
    "groupKey": '{}:{alertname="Down"}',
    "status": "firing",
    "receiver": "commsbot",
    "alerts": [{"status": "firing", "labels": {"alertname": "Down", "service": "API"}}],
}


def requests(stack: Stack) -> list[tuple[str, str, Any, str]]:
    """(method, path, body, scope needed) for every private endpoint."""
    made = declare(stack)
    ref, draft = made["incident"]["ref"], made["draft"]["id"]
    return [
        ("GET", "/api/v1/incidents", None, "read"),
        ("GET", f"/api/v1/incidents/{ref}", None, "read"),
        ("GET", "/api/v1/whoami", None, "read"),
        ("POST", "/api/v1/incidents", DECLARE, "write"),
        ("POST", f"/api/v1/incidents/{ref}/notes", {"text": "n"}, "write"),
        ("POST", f"/api/v1/incidents/{ref}/drafts", {"body": "b"}, "write"),
        ("PATCH", f"/api/v1/drafts/{draft}", {"body": "b"}, "write"),
        ("POST", f"/api/v1/drafts/{draft}/reject", {"reason": "r"}, "write"),
        ("POST", "/api/v1/alertmanager", ALERT, "write"),
        ("POST", f"/api/v1/drafts/{draft}/approve", {}, "approve"),
    ]


SMALLER = {"read": [], "write": ["reader"], "approve": ["reader", "writer"]}


def test_every_private_endpoint_refuses_missing_wrong_and_small_tokens(stack: Stack) -> None:
    revoked = create_token(stack.deps, name="gone", actor="sam", scope=_scope("approve"))[1]
    revoke_token(stack.deps, name_or_id="gone")
    wrong = "cbt_" + "A" * 43
    for method, path, body, needed in requests(stack):
        before = stack.counts()
        attempts: list[tuple[dict[str, str], int, str]] = [
            ({}, 401, "missing_token"),
            ({"Authorization": f"Bearer {wrong}"}, 401, "invalid_token"),
            ({"Authorization": "Bearer not-even-close"}, 401, "invalid_token"),
            ({"Authorization": f"Bearer {revoked}"}, 401, "invalid_token"),
            ({"Authorization": f"Basic {stack.tokens['approver']}"}, 401, "missing_token"),
        ]
        attempts += [(stack.auth(who), 403, "insufficient_scope") for who in SMALLER[needed]]
        for headers, status, code in attempts:
            response = stack.client.request(method, path, json=body, headers=headers)
            error(response, status, code)
            if status == 401:
                assert response.headers["www-authenticate"].startswith("Bearer")
        assert stack.counts() == before, f"{method} {path} changed something"


def test_the_token_acts_as_its_actor_and_says_so(stack: Stack) -> None:
    me = stack.client.get("/api/v1/whoami", headers=stack.auth("approver")).json()["token"]

    assert (me["name"], me["actor"], me["scope"]) == ("approver", "sam", "approve")
    assert "secret" not in me


def test_tokens_are_stored_hashed_and_revocation_is_immediate(stack: Stack) -> None:
    import sqlalchemy as sa

    secret = stack.tokens["reader"]
    with stack.engine.connect() as conn:
        stored = " ".join(
            str(v) for row in conn.execute(sa.text("SELECT * FROM api_token")) for v in row
        )
    assert secret not in stored
    assert secret[:10] in stored  # the listing prefix only

    assert stack.client.get("/api/v1/whoami", headers=stack.auth("reader")).status_code == 200
    revoke_token(stack.deps, name_or_id="reader")
    error(stack.client.get("/api/v1/whoami", headers=stack.auth("reader")), 401, "invalid_token")


def test_a_revoked_name_can_be_used_again_but_not_an_active_one(stack: Stack) -> None:
    from commsbot.domain.errors import InvalidInput

    with pytest.raises(InvalidInput, match="already exists"):
        create_token(stack.deps, name="reader", actor="x", scope=_scope("read"))
    revoke_token(stack.deps, name_or_id="reader")
    token, _ = create_token(stack.deps, name="reader", actor="rita2", scope=_scope("read"))

    names = [(t.name, t.revoked_at is None) for t in list_tokens(stack.deps, include_revoked=True)]
    assert sorted(names) == sorted(
        [("admin", True), ("alertmanager", True), ("approver", True), ("reader", True),
         ("writer", True), ("reader", False)]
    )  # fmt: skip
    assert token.actor == "rita2"


def _scope(name: str) -> Any:
    from commsbot.tokens.model import Scope

    return Scope(name)

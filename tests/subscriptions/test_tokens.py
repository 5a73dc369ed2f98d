"""Signed subscriber links: purpose-bound, expiring, replay-safe, rotatable."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commsbot.subscriptions.model import ConsentSource, SubscriberKind, SubscriberState, sign_up
from commsbot.subscriptions.tokens import (
    SubscriptionKeys,
    TokenExpired,
    TokenForged,
    TokenPurpose,
    TokenSuperseded,
    TokenWrongPurpose,
    ensure_current,
)
from tests.subscriptions.support import KEYS, NOW, SECRET, subscriber

CONFIRM, MANAGE, UNSUBSCRIBE = TokenPurpose.CONFIRM, TokenPurpose.MANAGE, TokenPurpose.UNSUBSCRIBE


def test_a_token_says_who_it_is_for_and_when_it_was_made() -> None:
    token = KEYS.issue(CONFIRM, subscriber_id="s1", generation=3, now=NOW)
    claims = KEYS.verify(token, CONFIRM, now=NOW + timedelta(hours=1))
    assert (claims.purpose, claims.subscriber_id, claims.generation) == (CONFIRM, "s1", 3)
    assert claims.issued_at == NOW
    assert token.isascii()
    assert all(c.isalnum() or c in "-_." for c in token)


@pytest.mark.parametrize(
    ("made_for", "used_for"),
    [(CONFIRM, UNSUBSCRIBE), (UNSUBSCRIBE, CONFIRM), (MANAGE, UNSUBSCRIBE), (CONFIRM, MANAGE)],
)
def test_a_token_works_only_for_its_purpose(made_for: TokenPurpose, used_for: TokenPurpose) -> None:
    token = KEYS.issue(made_for, subscriber_id="s1", generation=1, now=NOW)
    with pytest.raises(TokenWrongPurpose, match=r"this link is a .*, not a "):
        KEYS.verify(token, used_for, now=NOW)


def test_each_purpose_expires_after_its_lifetime_and_says_so() -> None:
    token = KEYS.issue(CONFIRM, subscriber_id="s1", generation=1, now=NOW)
    KEYS.verify(token, CONFIRM, now=NOW + timedelta(hours=24))
    with pytest.raises(TokenExpired, match=r"links like it last 24 hours\); subscribe again"):
        KEYS.verify(token, CONFIRM, now=NOW + timedelta(hours=24, seconds=1))
    unsubscribe = KEYS.issue(UNSUBSCRIBE, subscriber_id="s1", generation=1, now=NOW)
    KEYS.verify(unsubscribe, UNSUBSCRIBE, now=NOW + timedelta(days=365))
    with pytest.raises(TokenExpired, match="365 days"):
        KEYS.verify(unsubscribe, UNSUBSCRIBE, now=NOW + timedelta(days=366))
    short = SubscriptionKeys([SECRET], lifetimes={CONFIRM: timedelta(hours=2)})
    with pytest.raises(TokenExpired, match="2 hours"):
        short.verify(
            short.issue(CONFIRM, subscriber_id="s", generation=1, now=NOW),
            CONFIRM,
            now=NOW + timedelta(hours=3),
        )


def test_tampered_truncated_or_foreign_tokens_are_refused_as_forged() -> None:
    token = KEYS.issue(UNSUBSCRIBE, subscriber_id="s1", generation=1, now=NOW)
    payload, signature = token.rsplit(".", 1)
    other = SubscriptionKeys(["another-secret-that-is-long-enough-000"])
    foreign = other.issue(UNSUBSCRIBE, subscriber_id="s1", generation=1, now=NOW)
    future = KEYS.issue(UNSUBSCRIBE, subscriber_id="s1", generation=1, now=NOW + timedelta(hours=1))
    for bad in (
        token[:-1],
        payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:],
        foreign,
        "",
        "x" * 5000,
        "not-a-token",
    ):
        with pytest.raises(TokenForged, match="not valid"):
            KEYS.verify(bad, UNSUBSCRIBE, now=NOW)
    with pytest.raises(TokenForged):  # "issued" an hour ahead of us: not ours to trust
        KEYS.verify(future, UNSUBSCRIBE, now=NOW)


@given(st.text(max_size=300))
def test_no_string_is_accepted_unless_we_signed_it(text: str) -> None:
    with pytest.raises((TokenForged, TokenWrongPurpose)):
        KEYS.verify(text, UNSUBSCRIBE, now=NOW)


def test_keys_rotate_the_first_secret_signs_every_one_verifies() -> None:
    old = SubscriptionKeys(["old-secret-that-is-long-enough-0000000"])
    rotated = SubscriptionKeys(
        ["new-secret-that-is-long-enough-0000000", "old-secret-that-is-long-enough-0000000"]
    )
    new_only = SubscriptionKeys(["new-secret-that-is-long-enough-0000000"])
    old_token = old.issue(MANAGE, subscriber_id="s1", generation=1, now=NOW)
    assert rotated.verify(old_token, MANAGE, now=NOW).subscriber_id == "s1"
    new_token = rotated.issue(MANAGE, subscriber_id="s1", generation=1, now=NOW)
    assert new_only.verify(new_token, MANAGE, now=NOW).subscriber_id == "s1"
    with pytest.raises(TokenForged):
        new_only.verify(old_token, MANAGE, now=NOW)


def test_short_or_missing_secrets_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one secret"):
        SubscriptionKeys([])
    with pytest.raises(ValueError, match="secret number 2 is shorter than 32"):
        SubscriptionKeys([SECRET, "short"])


def test_an_old_unsubscribe_link_cannot_remove_a_new_subscription() -> None:
    first = subscriber(id="s1")
    old_link = KEYS.issue_for(UNSUBSCRIBE, first, now=NOW)
    claims = KEYS.verify(old_link, UNSUBSCRIBE, now=NOW)
    assert ensure_current(claims, first) is first
    # It bounced, and the person signed up again: a new generation of the same subscriber.
    first.mark_undeliverable(now=NOW, reason="550 5.1.1")
    again = sign_up(
        first,
        new_id="unused",
        kind=SubscriberKind.EMAIL,
        address=first.address,
        components=frozenset(),
        now=NOW + timedelta(days=1),
        source=ConsentSource.STATUS_PAGE,
    ).subscriber
    assert again.state is SubscriberState.PENDING
    assert again.generation == 2
    with pytest.raises(TokenSuperseded, match="earlier subscription of this address"):
        ensure_current(claims, again)
    # Deleted and signed up anew under a new id: the old link matches nothing.
    with pytest.raises(TokenSuperseded, match="no longer exists"):
        ensure_current(claims, None)
    with pytest.raises(TokenSuperseded):
        ensure_current(claims, replace(again, id="s2", generation=1))


def test_confirming_twice_is_harmless() -> None:
    pending = subscriber(confirmed=False)
    claims = KEYS.verify(KEYS.issue_for(CONFIRM, pending, now=NOW), CONFIRM, now=NOW)
    current = ensure_current(claims, pending)
    assert current.confirm(now=NOW, client_hash="h") is True
    assert current.confirm(now=NOW + timedelta(minutes=1)) is False
    assert current.consent.confirmed_at == NOW


def test_client_and_address_hashes_group_what_belongs_together_and_reveal_nothing() -> None:
    assert KEYS.client_hash("2001:db8:1:2::1") == KEYS.client_hash("2001:db8:1:2:ffff::9")
    assert KEYS.client_hash("2001:db8:1:2::1") != KEYS.client_hash("2001:db8:1:3::1")
    assert KEYS.client_hash("::ffff:192.0.2.7") == KEYS.client_hash("192.0.2.7")
    assert KEYS.client_hash("192.0.2.7") != KEYS.client_hash("192.0.2.8")
    assert KEYS.address_hash("Ada@Example.com") == KEYS.address_hash("ada@example.com")
    digest = KEYS.client_hash("192.0.2.7")
    assert "192" not in digest
    assert len(digest) == 32
    other = SubscriptionKeys(["another-secret-that-is-long-enough-000"])
    assert other.client_hash("192.0.2.7") != digest

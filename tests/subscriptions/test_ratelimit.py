"""Sign-up limits per client network and per address, on an injected clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from commsbot.subscriptions.ports import Limit
from commsbot.subscriptions.ratelimit import MemoryWindowStore, RateLimited, SignupLimiter
from tests.subscriptions.support import KEYS, NOW

PER_CLIENT = Limit(5, timedelta(hours=1))
PER_ADDRESS = Limit(3, timedelta(days=1))


def limiter(store: MemoryWindowStore | None = None) -> SignupLimiter:
    return SignupLimiter(
        store or MemoryWindowStore(), per_client=PER_CLIENT, per_address=PER_ADDRESS
    )


def test_a_network_gets_five_sign_ups_an_hour_then_is_told_when_to_come_back() -> None:
    limits = limiter()
    client = KEYS.client_hash("192.0.2.7")
    for n in range(5):
        limits.check(client_key=client, address_key=f"a{n}", now=NOW + timedelta(minutes=n))
    with pytest.raises(RateLimited, match="from your network; try again in 56 minutes") as caught:
        limits.check(client_key=client, address_key="a9", now=NOW + timedelta(minutes=4))
    assert caught.value.field == "client"
    assert caught.value.retry_after_seconds == 56 * 60
    # Sliding: the first sign-up leaves the window an hour after it was made.
    limits.check(client_key=client, address_key="a9", now=NOW + timedelta(hours=1))
    # Another network is not affected.
    limits.check(client_key=KEYS.client_hash("192.0.2.8"), address_key="b", now=NOW)


def test_an_address_gets_three_confirmation_emails_a_day_whoever_asks() -> None:
    limits = limiter()
    address = KEYS.address_hash("ada@example.com")
    for n in range(3):
        limits.check(client_key=f"net{n}", address_key=address, now=NOW)
    with pytest.raises(RateLimited, match="for this email address") as caught:
        limits.check(client_key="net9", address_key=KEYS.address_hash("ADA@example.com"), now=NOW)
    assert caught.value.field == "email"
    assert caught.value.retry_after == timedelta(days=1)
    assert "24 hours" in str(caught.value)


def test_a_refused_network_does_not_use_up_the_addresses_allowance() -> None:
    limits = limiter()
    for n in range(5):
        limits.check(client_key="flood", address_key=f"x{n}", now=NOW)
    for _ in range(10):
        with pytest.raises(RateLimited):
            limits.check(client_key="flood", address_key="victim", now=NOW)
    for n in range(3):  # the owner can still sign up from elsewhere
        limits.check(client_key=f"home{n}", address_key="victim", now=NOW)


def test_refused_attempts_do_not_extend_the_lockout() -> None:
    limits = limiter()
    for n in range(5):
        limits.check(client_key="c", address_key=f"a{n}", now=NOW)
    for minute in range(1, 60):
        with pytest.raises(RateLimited):
            limits.check(client_key="c", address_key="z", now=NOW + timedelta(minutes=minute))
    limits.check(client_key="c", address_key="z", now=NOW + timedelta(hours=1))


def test_without_a_client_only_the_address_is_limited() -> None:
    limits = limiter()
    for _ in range(3):
        limits.check(client_key=None, address_key="a", now=NOW)
    with pytest.raises(RateLimited):
        limits.check(client_key=None, address_key="a", now=NOW)


def test_the_memory_store_forgets_keys_whose_window_has_passed() -> None:
    store = MemoryWindowStore(sweep_every=100)
    for n in range(1000):
        store.take(f"k{n}", limit=PER_CLIENT, now=NOW + timedelta(hours=2 * (n // 100)))
    assert len(store) <= 200


def test_limits_must_make_sense() -> None:
    with pytest.raises(ValueError, match="count ≥ 1"):
        Limit(0, timedelta(hours=1))

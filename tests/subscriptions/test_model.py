"""Who gets which notice, sign-up outcomes, confirmation, pruning, component choices."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from commsbot.subscriptions.addresses import InvalidSubscription
from commsbot.subscriptions.model import (
    PRUNE_UNCONFIRMED_AFTER,
    ConsentSource,
    NoticeKind,
    NoticeScope,
    SignUpOutcome,
    SubscriberKind,
    SubscriberState,
    check_components,
    confirmation_deadline,
    export,
    is_prunable,
    new_subscriber,
    receives,
    sign_up,
)
from tests.subscriptions.support import NOW, subscriber

UPDATE, CORRECTION, MAINTENANCE = NoticeKind.UPDATE, NoticeKind.CORRECTION, NoticeKind.MAINTENANCE
CATALOGUE = ["ChatGPT", "API", "Sora"]


def scope(kind: NoticeKind, *components: str) -> NoticeScope:
    return NoticeScope.of(kind, components)


@pytest.mark.parametrize(
    ("wanted", "affected", "expected"),
    [
        ((), ("API",), True),  # no filter: everything
        (("API",), ("API", "Sora"), True),
        (("api",), ("API",), True),  # names match case-insensitively
        (("Sora",), ("API",), False),
        (("Sora",), (), True),  # an incident that names no component concerns everyone
    ],
)
def test_updates_and_maintenance_go_to_those_whose_components_they_touch(
    wanted: tuple[str, ...], affected: tuple[str, ...], expected: bool
) -> None:
    sub = subscriber(components=frozenset(wanted))
    assert receives(sub, scope(UPDATE, *affected)) is expected
    assert receives(sub, scope(MAINTENANCE, *affected)) is expected


def test_only_confirmed_subscribers_get_anything() -> None:
    pending = subscriber(confirmed=False)
    assert not receives(pending, scope(UPDATE))
    for leave in ("mark_undeliverable", "disable"):
        sub = subscriber()
        getattr(sub, leave)(now=NOW, reason="550 5.1.1 user unknown")
        assert not receives(sub, scope(UPDATE))
        assert sub.state_reason == "550 5.1.1 user unknown"


def test_a_correction_goes_exactly_to_those_who_got_the_original() -> None:
    narrowed = subscriber(components=frozenset({"Sora"}))  # changed filter since
    assert receives(narrowed, scope(CORRECTION, "API"), got_original=True)
    assert not receives(subscriber(), scope(CORRECTION, "API"), got_original=False)


def new(**overrides: object) -> dict[str, Any]:
    arguments: dict[str, object] = {
        "new_id": "s-new",
        "kind": SubscriberKind.EMAIL,
        "address": "ada@example.com",
        "components": frozenset({"API"}),
        "now": NOW,
        "source": ConsentSource.STATUS_PAGE,
        "client_hash": "h1",
    }
    arguments.update(overrides)
    return arguments


def test_signing_up_an_unknown_address_makes_a_pending_subscriber_to_confirm() -> None:
    result = sign_up(None, **new())
    sub = result.subscriber
    assert result.outcome is SignUpOutcome.CONFIRMATION_NEEDED
    assert result.changed
    assert (sub.id, sub.state, sub.generation) == ("s-new", SubscriberState.PENDING, 1)
    assert sub.consent.requested_from == "h1"
    assert sub.consent.confirmed_at is None
    assert confirmation_deadline(sub, window=timedelta(hours=24)) == NOW + timedelta(hours=24)


def test_signing_up_a_confirmed_address_changes_nothing_and_sends_a_note_instead() -> None:
    confirmed = subscriber(components=frozenset({"Sora"}))
    result = sign_up(confirmed, **new(components=frozenset({"API"})))
    assert result.outcome is SignUpOutcome.ALREADY_CONFIRMED
    assert not result.changed
    assert result.subscriber.components == frozenset({"Sora"})  # a stranger cannot change it


def test_signing_up_again_while_pending_keeps_earlier_links_valid() -> None:
    pending = subscriber(confirmed=False)
    later = NOW + timedelta(hours=3)
    result = sign_up(pending, **new(now=later))
    assert result.subscriber.generation == pending.generation
    assert result.subscriber.consent.requested_at == later
    assert result.subscriber.components == frozenset({"API"})


def test_signing_up_after_a_bounce_starts_over_under_a_new_generation() -> None:
    bounced = subscriber()
    bounced.mark_undeliverable(now=NOW, reason="550")
    result = sign_up(bounced, **new(now=NOW + timedelta(days=2)))
    sub = result.subscriber
    assert (sub.id, sub.state, sub.generation) == (bounced.id, SubscriberState.PENDING, 2)
    assert sub.state_reason is None
    assert sub.consent.confirmed_at is None
    with pytest.raises(InvalidSubscription, match="undeliverable and cannot be confirmed"):
        bounced.confirm(now=NOW)


def test_a_status_page_sign_up_cannot_skip_confirmation() -> None:
    with pytest.raises(ValueError, match="confirmed only by its link"):
        new_subscriber(
            id="x",
            kind=SubscriberKind.EMAIL,
            address="ada@example.com",
            components=frozenset(),
            now=NOW,
            source=ConsentSource.STATUS_PAGE,
            confirmed=True,
        )
    imported = subscriber(confirmed=True)
    assert imported.state is SubscriberState.CONFIRMED
    assert imported.confirmed_at == NOW


def test_unconfirmed_sign_ups_are_pruned_after_seven_days_and_confirmed_ones_never() -> None:
    pending = subscriber(confirmed=False)
    after = PRUNE_UNCONFIRMED_AFTER
    assert not is_prunable(pending, now=NOW + after - timedelta(seconds=1), after=after)
    assert is_prunable(pending, now=NOW + after, after=after)
    assert not is_prunable(subscriber(), now=NOW + timedelta(days=365), after=after)


def test_component_choices_use_configured_names_and_refuse_unknown_ones() -> None:
    assert check_components(["api", " Sora ", ""], known=CATALOGUE) == {"API", "Sora"}
    assert check_components([], known=CATALOGUE) == frozenset()
    with pytest.raises(InvalidSubscription, match=r"unknown component.*'Billing'.*API, ChatGPT"):
        check_components(["Billing"], known=CATALOGUE)
    sub = subscriber()
    sub.choose_components(["chatgpt"], known=CATALOGUE)
    assert sub.components == {"ChatGPT"}


def test_export_holds_everything_we_keep_and_no_raw_client_address() -> None:
    sub = sign_up(None, **new()).subscriber
    sub.confirm(now=NOW + timedelta(minutes=5), client_hash="h2")
    data = export(sub)
    assert data["address"] == "ada@example.com"
    assert data["consent"] == {
        "source": "status_page",
        "requested_at": NOW.isoformat(),
        "requested_from_hash": "h1",
        "confirmed_at": (NOW + timedelta(minutes=5)).isoformat(),
        "confirmed_from_hash": "h2",
    }

"""Use cases of the people who subscribe: sign up, confirm, manage, unsubscribe.

Each is one transaction. What they send (the confirmation email, a webhook's confirmation
request, an "already subscribed" note) is queued as a
:class:`~commsbot.subscriptions.messages.SubscriberMessage` in that transaction and sent by the
sender engine, so a mail server that is down delays a confirmation but never loses it, and a
page never waits on SMTP.

A sign-up answers the same whether the address was new, pending or already confirmed: only the
mailbox (or endpoint) learns which, from what it receives.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from commsbot.domain.errors import InvalidInput
from commsbot.services.deps import Deps
from commsbot.services.ports import UnitOfWork
from commsbot.services.results import subscriber_dict
from commsbot.subscriptions.addresses import (
    InvalidSubscription,
    is_public_ip,
    validate_email_address,
    validate_webhook_url,
)
from commsbot.subscriptions.messages import MessageKind, SubscriberMessage
from commsbot.subscriptions.model import (
    ConsentSource,
    SignUpOutcome,
    Subscriber,
    SubscriberKind,
    check_components,
    confirmation_deadline,
    sign_up,
)
from commsbot.subscriptions.ports import Limit, Verdict
from commsbot.subscriptions.ratelimit import SignupLimiter
from commsbot.subscriptions.tokens import SubscriptionKeys, TokenPurpose, ensure_current

#: An "already subscribed" note is sent for a day at most.
ALREADY_DEADLINE = timedelta(days=1)


def keys_of(deps: Deps) -> SubscriptionKeys:
    """The link keys; refuses when subscriptions are off."""
    if not deps.settings.subscriptions.enabled or deps.subscription_keys is None:
        raise InvalidInput(
            "subscriptions are not enabled here; set [subscriptions] enabled = true (with "
            "[subscriptions.smtp]) in commsbot.toml",
            field="subscriptions",
        )
    return deps.subscription_keys


class _WindowTransactions:
    """A WindowStore that counts each hit in a transaction of its own (committed at once), so
    that a refused sign-up still counts against the client that made it."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    def take(self, key: str, *, limit: Limit, now: datetime) -> Verdict:
        with self._deps.uow() as uow:
            verdict = uow.signup_windows.take(key, limit=limit, now=now)
            uow.commit()
        return verdict


def limiter(deps: Deps) -> SignupLimiter:
    config = deps.settings.subscriptions
    return SignupLimiter(
        _WindowTransactions(deps),
        per_client=config.per_client_limit,
        per_address=config.per_address_limit,
    )


def known_components(deps: Deps, uow: UnitOfWork) -> list[str]:
    """The component names a subscriber may choose: the configured ones, else those known."""
    configured = [c.name for c in deps.settings.components]
    return configured or [c.name for c in uow.components.all()]


def choosable_components(deps: Deps) -> list[str]:
    """The components the sign-up and manage forms offer."""
    with deps.read() as uow:
        return known_components(deps, uow)


def check_address(deps: Deps, kind: SubscriberKind, raw: str) -> str:
    """The normalised address, or a refusal naming the field (``email`` or ``url``)."""
    config = deps.settings.subscriptions
    if kind is SubscriberKind.EMAIL:
        return validate_email_address(raw, check_deliverability=config.check_deliverability)
    if not config.webhooks.enabled:
        raise InvalidSubscription(
            "webhook subscriptions are not enabled here; subscribe with an email address",
            field="url",
        )
    allow_private = config.webhooks.allow_private_addresses
    url = validate_webhook_url(raw, allow_private=allow_private)
    if not allow_private:
        check_resolved(url)
    return url


def check_resolved(url: str) -> None:
    """Refuse a webhook URL whose host name resolves to an address that is not public (any of
    them: a name with one public and one internal address would reach inside). The sender
    checks again before each request and connects to the address it checked (DNS can change).

    Raises:
        InvalidSubscription: the name does not resolve, or one of its addresses is not public.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    try:
        ipaddress.ip_address(host)
        return  # a literal address: validate_webhook_url judged it
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise InvalidSubscription(
            f"the webhook URL's host {host} cannot be resolved ({exc}); check its spelling, "
            "or use a host name the internet can resolve",
            field="url",
        ) from None
    for info in infos:
        text = str(info[4][0]).split("%")[0]
        if not is_public_ip(ipaddress.ip_address(text)):
            raise InvalidSubscription(
                f"the webhook URL's host {host} resolves to {text}, which is not a public "
                "address; use a URL that the internet can reach",
                field="url",
            )


@dataclass(frozen=True)
class SignUpResult:
    """What a sign-up did. Surfaces facing the public show the same answer for every outcome."""

    subscriber: Subscriber
    outcome: SignUpOutcome

    def as_dict(self) -> dict[str, object]:
        return {"subscriber": subscriber_dict(self.subscriber), "outcome": self.outcome.value}


def request_subscription(
    deps: Deps,
    *,
    kind: SubscriberKind,
    address: str,
    components: Iterable[str] = (),
    client: str | None = None,
    source: ConsentSource = ConsentSource.STATUS_PAGE,
    owner_email: str | None = None,
) -> SignUpResult:
    """Someone asks for updates at ``address``: double opt-in.

    A new (or pending, or once-bounced) subscription is pending until its confirmation link
    is opened (a webhook: until it echoes the confirmation request); a confirmed one is left
    as it is and its owner gets a note with the manage link. Rate-limited per client network
    (``client``: the requester's IP address, None from the CLI or API) and per address.

    Raises:
        InvalidSubscription: the address, URL, owner or components are not usable (``field``).
        RateLimited: too many requests from this network or for this address.
        InvalidInput: subscriptions are off.
    """
    keys = keys_of(deps)
    checked = check_address(deps, kind, address)
    owner = None
    if owner_email is not None and owner_email.strip():
        if kind is not SubscriberKind.WEBHOOK:
            raise InvalidSubscription(
                "an owner email is only for webhook subscriptions", field="owner_email"
            )
        try:
            owner = validate_email_address(owner_email)
        except InvalidSubscription as exc:
            raise InvalidSubscription(str(exc), field="owner_email") from None
    with deps.read() as uow:
        chosen = check_components(components, known=known_components(deps, uow))
    now = deps.clock.now()
    limiter(deps).check(
        client_key=keys.client_hash(client) if client else None,
        address_key=keys.address_hash(checked),
        now=now,
    )
    client_hash = keys.client_hash(client) if client else None
    config = deps.settings.subscriptions
    with deps.uow() as uow:
        existing = uow.subscribers.find(kind, checked)
        decided = sign_up(
            existing,
            new_id=deps.ids(),
            kind=kind,
            address=checked,
            components=chosen,
            now=now,
            source=source,
            client_hash=client_hash,
            owner_email=owner,
        )
        sub = decided.subscriber
        if decided.outcome is SignUpOutcome.CONFIRMATION_NEEDED:
            if kind is SubscriberKind.WEBHOOK:
                # A new secret for each confirmation request: it travels in that request.
                sub.webhook_secret = secrets.token_urlsafe(32)
            message_kind = (
                MessageKind.CHALLENGE if kind is SubscriberKind.WEBHOOK else MessageKind.CONFIRM
            )
            deadline = confirmation_deadline(sub, window=config.confirmation_window)
        else:
            message_kind = MessageKind.ALREADY
            deadline = now + ALREADY_DEADLINE
        if existing is None:
            uow.subscribers.add(sub)
        elif decided.changed:
            uow.subscribers.save(sub)
        if not (message_kind is MessageKind.ALREADY and kind is SubscriberKind.WEBHOOK):
            queue_message(
                deps,
                uow,
                kind=message_kind,
                subscriber=sub,
                deadline_at=deadline,
                payload={"generation": sub.generation},
            )
        uow.commit()
    deps.waker.wake()
    return SignUpResult(subscriber=sub, outcome=decided.outcome)


def queue_message(
    deps: Deps,
    uow: UnitOfWork,
    *,
    kind: MessageKind,
    subscriber: Subscriber,
    deadline_at: datetime,
    payload: dict[str, object] | None = None,
) -> None:
    """Queue a one-off message about ``subscriber`` (the engine sends it)."""
    now = deps.clock.now()
    uow.subscriber_messages.add(
        SubscriberMessage(
            id=deps.ids(),
            kind=kind,
            subscriber_id=subscriber.id,
            created_at=now,
            deadline_at=max(deadline_at, now),
            payload=dict(payload or {}),
        )
    )


@dataclass(frozen=True)
class SubscriptionView:
    """A subscription as its owner sees it on the confirm / manage / unsubscribe pages."""

    subscriber: Subscriber
    #: Every component that can be chosen, for the manage form.
    components: Sequence[str]
    #: What happened: ``confirmed``, ``already_confirmed``, ``updated``, ``unchanged``,
    #: ``unsubscribed``, ``shown``.
    result: str = "shown"


def _current(deps: Deps, uow: UnitOfWork, token: str, purpose: TokenPurpose) -> Subscriber:
    keys = keys_of(deps)
    claims = keys.verify(token, purpose, now=deps.clock.now())
    return ensure_current(claims, uow.subscribers.get(claims.subscriber_id))


def confirm_subscription(deps: Deps, *, token: str, client: str | None = None) -> SubscriptionView:
    """Open a confirmation link: the subscription starts (opening it twice is harmless).

    Raises:
        TokenError: forged, expired, for another purpose, or for an older subscription.
        InvalidSubscription: the subscription is undeliverable or disabled.
    """
    keys = keys_of(deps)
    now = deps.clock.now()
    with deps.uow() as uow:
        sub = _current(deps, uow, token, TokenPurpose.CONFIRM)
        changed = sub.confirm(now=now, client_hash=keys.client_hash(client) if client else None)
        if changed:
            uow.subscribers.save(sub)
        view = SubscriptionView(
            subscriber=sub,
            components=known_components(deps, uow),
            result="confirmed" if changed else "already_confirmed",
        )
        uow.commit()
    return view


def show_subscription(deps: Deps, *, token: str, purpose: TokenPurpose) -> SubscriptionView:
    """What a manage or unsubscribe link is about (it changes nothing)."""
    with deps.read() as uow:
        sub = _current(deps, uow, token, purpose)
        return SubscriptionView(subscriber=sub, components=known_components(deps, uow))


def change_components(deps: Deps, *, token: str, components: Iterable[str]) -> SubscriptionView:
    """The manage page's form: choose the components (none: all).

    Raises:
        TokenError: the manage link is not usable.
        InvalidSubscription: an unknown component (``field="components"``).
    """
    with deps.uow() as uow:
        sub = _current(deps, uow, token, TokenPurpose.MANAGE)
        known = known_components(deps, uow)
        before = sub.components
        sub.choose_components(components, known=known)
        changed = sub.components != before
        if changed:
            uow.subscribers.save(sub)
        view = SubscriptionView(
            subscriber=sub, components=known, result="updated" if changed else "unchanged"
        )
        uow.commit()
    return view


def unsubscribe(deps: Deps, *, token: str) -> bool:
    """Unsubscribe through a link (the footer's, the manage page's, or RFC 8058's one-click
    POST from a mail client): the subscriber and everything kept about it are deleted.

    Returns False when it was already gone (the link is ours, so saying so reveals nothing
    to anyone but its holder).

    Raises:
        TokenError: forged, expired, or for an older subscription of the address (an old
            link never removes a newer subscription).
    """
    keys = keys_of(deps)
    claims = keys.verify(token, TokenPurpose.UNSUBSCRIBE, now=deps.clock.now())
    with deps.uow() as uow:
        found = uow.subscribers.get(claims.subscriber_id)
        if found is None:
            return False
        ensure_current(claims, found)
        removed = uow.subscribers.delete(found.id)
        uow.commit()
    return removed


def manage_link_for(deps: Deps, subscriber: Subscriber) -> str:
    """A fresh manage link (for the pages that follow a confirmation)."""
    from commsbot.subscriptions.render import subscriber_link

    return subscriber_link(
        TokenPurpose.MANAGE,
        subscriber,
        keys=keys_of(deps),
        base_url=deps.settings.page.url,
        now=deps.clock.now(),
    )


def unsubscribe_link_for(deps: Deps, subscriber: Subscriber) -> str:
    from commsbot.subscriptions.render import subscriber_link

    return subscriber_link(
        TokenPurpose.UNSUBSCRIBE,
        subscriber,
        keys=keys_of(deps),
        base_url=deps.settings.page.url,
        now=deps.clock.now(),
    )

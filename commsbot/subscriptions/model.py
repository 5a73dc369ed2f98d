"""Subscribers and the rules about them: who gets which notice, confirmation, expiry, pruning.

A subscriber is an email address or a webhook URL that asked for updates, optionally for some
components only. It goes ``pending`` → ``confirmed`` (double opt-in: nothing but the
confirmation is sent before) → ``undeliverable`` (a hard bounce) or ``disabled`` (a webhook that
failed for its whole give-up window, or an administrator's decision). Unsubscribing deletes the
subscriber: there is no "unsubscribed" state holding an address nobody wants us to keep.

What is kept about consent is the least that still proves it (GDPR art. 7(1): the controller
must be able to show that the person consented): when the request came, through which surface,
when it was confirmed, and *keyed hashes* of the client networks that asked and confirmed
(:meth:`commsbot.subscriptions.tokens.SubscriptionKeys.client_hash`), never the addresses
themselves. A hash can show that a flood of sign-ups came from one network, or that asking and
confirming came from the same one; it cannot be turned back into an address without the secret.

Plain dataclasses, as in :mod:`commsbot.domain.model`: the store maps them, the use cases call
the methods here. Times are passed in and UTC-aware.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from commsbot.subscriptions.addresses import InvalidSubscription

#: Confirm within this long (a config key, ``confirmation_hours``, overrides it).
CONFIRMATION_WINDOW = timedelta(hours=24)
#: Pending subscribers older than this are deleted (``prune_unconfirmed_days``).
PRUNE_UNCONFIRMED_AFTER = timedelta(days=7)
MAX_COMPONENTS = 100
MAX_REASON = 500


class SubscriberKind(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class SubscriberState(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    UNDELIVERABLE = "undeliverable"
    DISABLED = "disabled"


class ConsentSource(StrEnum):
    """Where a subscription was asked for."""

    STATUS_PAGE = "status_page"
    API = "api"
    CLI = "cli"
    IMPORT = "import"


class NoticeKind(StrEnum):
    """What a subscriber can be sent about an incident or maintenance."""

    UPDATE = "update"
    CORRECTION = "correction"
    MAINTENANCE = "maintenance"


class SignUpOutcome(StrEnum):
    """What to send after :func:`sign_up` (the page answers the same in every case, so it
    never reveals whether an address was already subscribed)."""

    #: New, or pending again: send a confirmation email (or webhook challenge).
    CONFIRMATION_NEEDED = "confirmation_needed"
    #: Already confirmed and unchanged: send a note with the manage link, nothing else.
    ALREADY_CONFIRMED = "already_confirmed"


@dataclass(frozen=True)
class Consent:
    """The record of one sign-up request and its confirmation.

    Attributes:
        source: the surface the request came through.
        requested_at: when it was asked for.
        requested_from: keyed hash of the asking client's network, or None (CLI, import).
        confirmed_at: when the confirmation link was opened (or an administrator vouched).
        confirmed_from: keyed hash of the confirming client's network, or None.
    """

    source: ConsentSource
    requested_at: datetime
    requested_from: str | None = None
    confirmed_at: datetime | None = None
    confirmed_from: str | None = None


@dataclass
class Subscriber:
    """Someone, or some endpoint, that asked for updates.

    Attributes:
        id: random and opaque (it appears in signed links and Message-IDs).
        kind: email or webhook.
        address: the normalised email address, or the webhook URL.
        components: the components it wants, by their configured names; empty means all
            (including updates of incidents that name no component).
        state: see the module docstring.
        created_at: when this subscriber was first asked for.
        consent: the current sign-up request and its confirmation.
        generation: bumped each time the subscription starts over (a new sign-up after it was
            undeliverable or disabled): links signed for an older generation no longer act.
        owner_email: for a webhook, who to tell when it is disabled (optional).
        state_changed_at / state_reason: when and why it last left ``confirmed`` (``550 5.1.1
            user unknown``, ``failed for 24 hours``), for the ledger and ``subscribers list``.
        failing_since: for a webhook, when it started failing (the first failed delivery
            since the last one that worked), None while it works: failing for the whole
            give-up window disables it.
        webhook_secret: for a webhook, the secret its payloads are signed with (sent to it
            once, in the confirmation request).
        version: optimistic-lock version, owned by the store.
    """

    id: str
    kind: SubscriberKind
    address: str
    components: frozenset[str]
    state: SubscriberState
    created_at: datetime
    consent: Consent
    generation: int = 1
    owner_email: str | None = None
    state_changed_at: datetime | None = None
    state_reason: str | None = None
    failing_since: datetime | None = None
    webhook_secret: str | None = None
    version: int = 0

    @property
    def confirmed_at(self) -> datetime | None:
        return self.consent.confirmed_at

    def confirm(self, *, now: datetime, client_hash: str | None = None) -> bool:
        """Confirm a pending subscription; True if it changed, False if already confirmed
        (opening a confirmation link twice is harmless).

        The link's own expiry is checked by the token; the caller has also checked that the
        link's generation is this subscriber's
        (:func:`commsbot.subscriptions.tokens.ensure_current`).

        Raises:
            InvalidSubscription: it is undeliverable or disabled (subscribe again instead).
        """
        if self.state is SubscriberState.CONFIRMED:
            return False
        if self.state is not SubscriberState.PENDING:
            raise InvalidSubscription(
                f"this subscription is {self.state.value} and cannot be confirmed; subscribe "
                "again to start over",
                field="token",
            )
        self.state = SubscriberState.CONFIRMED
        self.consent = replace(self.consent, confirmed_at=now, confirmed_from=client_hash)
        self.state_changed_at = now
        self.state_reason = None
        return True

    def mark_undeliverable(self, *, now: datetime, reason: str) -> None:
        """A hard bounce (5xx for this address): stop sending until it signs up again."""
        self._leave(SubscriberState.UNDELIVERABLE, now=now, reason=reason)

    def disable(self, *, now: datetime, reason: str) -> None:
        """Stop sending (a webhook that failed for its whole give-up window, or an
        administrator's decision) until it signs up again."""
        self._leave(SubscriberState.DISABLED, now=now, reason=reason)

    def _leave(self, state: SubscriberState, *, now: datetime, reason: str) -> None:
        self.state = state
        self.state_changed_at = now
        self.state_reason = " ".join(reason.split())[:MAX_REASON] or state.value

    def choose_components(self, components: Iterable[str], *, known: Iterable[str]) -> None:
        """Replace the component filter (from the manage page); empty means all."""
        self.components = check_components(components, known=known)


def new_subscriber(
    *,
    id: str,
    kind: SubscriberKind,
    address: str,
    components: frozenset[str],
    now: datetime,
    source: ConsentSource,
    client_hash: str | None = None,
    owner_email: str | None = None,
    confirmed: bool = False,
) -> Subscriber:
    """A new subscriber, pending unless an administrator vouches for its consent.

    ``confirmed`` is for ``subscribers add``/``import`` by an administrator who holds consent
    gathered elsewhere (a list moved from another provider); it is refused for sign-ups from the
    status page, which always need the confirmation link. ``address`` and ``components`` must
    already be checked (:mod:`~commsbot.subscriptions.addresses`, :func:`check_components`).
    """
    if confirmed and source is ConsentSource.STATUS_PAGE:
        raise ValueError("a sign-up from the status page is confirmed only by its link")
    consent = Consent(source=source, requested_at=now, requested_from=client_hash)
    if confirmed:
        consent = replace(consent, confirmed_at=now)
    return Subscriber(
        id=id,
        kind=kind,
        address=address,
        components=components,
        state=SubscriberState.CONFIRMED if confirmed else SubscriberState.PENDING,
        created_at=now,
        consent=consent,
        owner_email=owner_email,
        state_changed_at=now if confirmed else None,
    )


@dataclass(frozen=True)
class SignUp:
    """What :func:`sign_up` decided: the subscriber to save, and what to send it."""

    subscriber: Subscriber
    outcome: SignUpOutcome
    #: False when the existing subscriber was left exactly as it was (nothing to save).
    changed: bool


def sign_up(
    existing: Subscriber | None,
    *,
    new_id: str,
    kind: SubscriberKind,
    address: str,
    components: frozenset[str],
    now: datetime,
    source: ConsentSource,
    client_hash: str | None = None,
    owner_email: str | None = None,
) -> SignUp:
    """A sign-up request for ``address``, given the subscriber already holding it (if any).

    - none: a new pending subscriber (``new_id``);
    - pending: the same subscriber with the new component choice and a fresh request time
      (earlier confirmation links stay valid until they expire);
    - undeliverable or disabled: pending again under a new generation (its old links die),
      with the new choice, so the confirmation proves the address works again;
    - confirmed: unchanged. Its components are not replaced: anyone can type an address into
      the form, so changes go through the manage link mailed to the owner.
    """
    if existing is None:
        subscriber = new_subscriber(
            id=new_id,
            kind=kind,
            address=address,
            components=components,
            now=now,
            source=source,
            client_hash=client_hash,
            owner_email=owner_email,
        )
        return SignUp(subscriber, SignUpOutcome.CONFIRMATION_NEEDED, changed=True)
    if existing.state is SubscriberState.CONFIRMED:
        return SignUp(existing, SignUpOutcome.ALREADY_CONFIRMED, changed=False)
    again = existing.state is not SubscriberState.PENDING
    subscriber = replace(
        existing,
        components=components,
        state=SubscriberState.PENDING,
        consent=Consent(source=source, requested_at=now, requested_from=client_hash),
        generation=existing.generation + 1 if again else existing.generation,
        owner_email=owner_email if owner_email is not None else existing.owner_email,
        state_changed_at=now if again else existing.state_changed_at,
        state_reason=None,
        failing_since=None if again else existing.failing_since,
    )
    return SignUp(subscriber, SignUpOutcome.CONFIRMATION_NEEDED, changed=True)


def check_components(chosen: Iterable[str], *, known: Iterable[str]) -> frozenset[str]:
    """``chosen`` as configured component names (matched case-insensitively), or a refusal.

    An empty choice means every component. Raises InvalidSubscription (``field="components"``)
    naming the unknown ones and listing the valid names.
    """
    catalogue = {name.casefold(): name for name in known}
    picked: set[str] = set()
    unknown: list[str] = []
    for raw in chosen:
        name = raw.strip()
        if not name:
            continue
        match = catalogue.get(name.casefold())
        if match is None:
            unknown.append(name)
        else:
            picked.add(match)
    if unknown:
        valid = ", ".join(sorted(catalogue.values(), key=str.casefold)) or "(none configured)"
        shown = ", ".join(repr(n[:100]) for n in unknown[:5])
        raise InvalidSubscription(
            f"unknown component(s) {shown}; choose among: {valid} (or none for all)",
            field="components",
        )
    if len(picked) > MAX_COMPONENTS:
        raise InvalidSubscription(
            f"{len(picked)} components chosen; at most {MAX_COMPONENTS} (or none for all)",
            field="components",
        )
    return frozenset(picked)


@dataclass(frozen=True)
class NoticeScope:
    """What a notice is about, for deciding who gets it.

    Attributes:
        kind: update, correction or maintenance notice.
        components: the components the incident (or maintenance) affects, as of the notice;
            empty when it names none (then it concerns everyone).
    """

    kind: NoticeKind
    components: frozenset[str]

    @classmethod
    def of(cls, kind: NoticeKind, components: Iterable[str]) -> NoticeScope:
        return cls(kind=kind, components=frozenset(components))


def wants(subscriber_components: frozenset[str], notice_components: frozenset[str]) -> bool:
    """Whether a filter matches a notice's components: an empty filter takes everything, a
    notice that names no component goes to everyone, else they must share one (case-
    insensitively, as destinations' ``components`` do)."""
    if not subscriber_components or not notice_components:
        return True
    mine = {c.casefold() for c in subscriber_components}
    return any(c.casefold() in mine for c in notice_components)


def receives(subscriber: Subscriber, scope: NoticeScope, *, got_original: bool = False) -> bool:
    """Whether ``subscriber`` is sent a notice of ``scope``.

    Only confirmed subscribers get anything. An update or maintenance notice goes to those whose
    filter matches its components (:func:`wants`). A correction goes to exactly those the
    corrected update was sent to (``got_original``), whatever their filter says now: it fixes
    what they read, and means nothing to anyone who never read it.
    """
    if subscriber.state is not SubscriberState.CONFIRMED:
        return False
    if scope.kind is NoticeKind.CORRECTION:
        return got_original
    return wants(subscriber.components, scope.components)


def confirmation_deadline(subscriber: Subscriber, *, window: timedelta) -> datetime:
    """When the current sign-up request stops being confirmable (shown in the email)."""
    return subscriber.consent.requested_at + window


def is_prunable(subscriber: Subscriber, *, now: datetime, after: timedelta) -> bool:
    """Whether a subscriber is an unconfirmed request older than ``after`` (to be deleted)."""
    return (
        subscriber.state is SubscriberState.PENDING
        and subscriber.consent.requested_at <= now - after
    )


def prune_cutoff(now: datetime, *, after: timedelta) -> datetime:
    """Pending subscribers requested at or before this are prunable (for a SQL ``WHERE``)."""
    return now - after


def export(subscriber: Subscriber) -> Mapping[str, object]:
    """Everything kept about a subscriber, for a person's data request (``subscribers export``).

    Times are ISO 8601 strings; the hashes are shown as they are (they are all we hold).
    """
    c = subscriber.consent

    def iso(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()

    return {
        "id": subscriber.id,
        "kind": subscriber.kind.value,
        "address": subscriber.address,
        "components": sorted(subscriber.components, key=str.casefold),
        "state": subscriber.state.value,
        "created_at": iso(subscriber.created_at),
        "owner_email": subscriber.owner_email,
        "state_changed_at": iso(subscriber.state_changed_at),
        "state_reason": subscriber.state_reason,
        "failing_since": iso(subscriber.failing_since),
        # The secret itself signs their payloads; the endpoint already has it.
        "webhook_secret_held": subscriber.webhook_secret is not None,
        "consent": {
            "source": c.source.value,
            "requested_at": iso(c.requested_at),
            "requested_from_hash": c.requested_from,
            "confirmed_at": iso(c.confirmed_at),
            "confirmed_from_hash": c.confirmed_from,
        },
    }

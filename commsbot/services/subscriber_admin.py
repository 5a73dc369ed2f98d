"""Use cases of the team that runs the page: list, count, add, remove, export, import, prune.

Behind ``commsbot subscribers …`` and ``/api/v1/subscribers`` (admin scope). ``remove``
deletes a subscriber and everything kept about it (what was sent to it included): a person's
request to be forgotten. ``export`` gives a person's data. ``import`` adds a list (CSV) all at
once or not at all; imported addresses get a confirmation email unless the importer vouches
for consent gathered elsewhere (``confirmed=True``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from commsbot.domain.errors import InvalidInput, NotFound
from commsbot.domain.policy import Actor
from commsbot.services.deps import Deps
from commsbot.services.results import subscriber_dict
from commsbot.services.subscriptions import (
    check_address,
    keys_of,
    known_components,
    queue_message,
    request_subscription,
)
from commsbot.subscriptions.addresses import InvalidSubscription, validate_email_address
from commsbot.subscriptions.messages import MessageKind
from commsbot.subscriptions.model import (
    ConsentSource,
    Subscriber,
    SubscriberKind,
    SubscriberState,
    check_components,
    confirmation_deadline,
    export,
    new_subscriber,
    prune_cutoff,
)

#: An import larger than this is refused (split it): it is written in one transaction.
MAX_IMPORT = 100_000


@dataclass(frozen=True)
class SubscriberList:
    subscribers: Sequence[Subscriber]
    counts: Mapping[SubscriberState, int]
    #: Pass as ``after`` to get the next page (None: this was the last).
    next_after: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "subscribers": [subscriber_dict(s) for s in self.subscribers],
            "counts": {s.value: self.counts.get(s, 0) for s in SubscriberState},
            "next_after": self.next_after,
        }


def list_subscribers(
    deps: Deps,
    *,
    state: SubscriberState | None = None,
    after: str | None = None,
    limit: int = 100,
) -> SubscriberList:
    """Subscribers by id (a page of ``limit`` after ``after``), and how many in each state."""
    keys_of(deps)
    with deps.read() as uow:
        page = list(uow.subscribers.page(after=after, limit=limit + 1, state=state))
        more = len(page) > limit
        page = page[:limit]
        return SubscriberList(
            subscribers=page,
            counts=uow.subscribers.count_by_state(),
            next_after=page[-1].id if more and page else None,
        )


def _find(deps: Deps, uow: Any, ref: str) -> Subscriber:
    """By id, email address or webhook URL."""
    text = ref.strip()
    found = uow.subscribers.get(text)
    if found is None and "@" in text and "://" not in text:
        try:
            found = uow.subscribers.find(SubscriberKind.EMAIL, validate_email_address(text))
        except InvalidSubscription:
            found = None
    if found is None and "://" in text:
        found = uow.subscribers.find(SubscriberKind.WEBHOOK, text)
    if found is None:
        raise NotFound(
            f"no subscriber {text[:200]!r}; name one by its id, email address or webhook URL "
            "(`commsbot subscribers list` shows them)"
        )
    assert isinstance(found, Subscriber)
    return found


@dataclass(frozen=True)
class Added:
    subscriber: Subscriber
    #: ``added`` (confirmed at once), ``confirmation_sent``, ``already_subscribed``.
    result: str

    def as_dict(self) -> dict[str, Any]:
        return {"subscriber": subscriber_dict(self.subscriber), "result": self.result}


def add_subscriber(
    deps: Deps,
    *,
    kind: SubscriberKind,
    address: str,
    actor: Actor,
    components: Iterable[str] = (),
    confirmed: bool = False,
    owner_email: str | None = None,
    source: ConsentSource = ConsentSource.CLI,
) -> Added:
    """Add a subscriber for someone.

    Without ``confirmed`` it is a sign-up like the page's (a confirmation is sent; a
    confirmed address is left as it is). ``confirmed`` is for an address whose owner already
    consented elsewhere: it is confirmed at once, and the consent record says who vouched.
    """
    deps.settings.policy().check_respond(actor, "add a subscriber")
    if confirmed and kind is SubscriberKind.WEBHOOK:
        # Vouching skips the echo, and the echo is what hands the endpoint its secret.
        raise InvalidSubscription(
            "a webhook cannot be added as confirmed: it must echo its confirmation request "
            "first (add it without --confirmed)",
            field="confirmed",
        )
    if not confirmed:
        result = request_subscription(
            deps,
            kind=kind,
            address=address,
            components=components,
            source=source,
            owner_email=owner_email,
        )
        text = (
            "confirmation_sent"
            if result.outcome.value == "confirmation_needed"
            else ("already_subscribed")
        )
        return Added(result.subscriber, text)
    report = import_subscribers(
        deps,
        rows=[
            {
                "kind": kind.value,
                "address": address,
                "components": " ".join(components),
                "owner_email": owner_email or "",
            }
        ],
        actor=actor,
        confirmed=True,
        source=source,
    )
    with deps.read() as uow:
        sub = uow.subscribers.find(kind, check_address(deps, kind, address))
    assert sub is not None
    return Added(sub, "added" if report.added else "already_subscribed")


@dataclass(frozen=True)
class Removed:
    subscriber: Subscriber

    def as_dict(self) -> dict[str, Any]:
        return {"removed": subscriber_dict(self.subscriber)}


def remove_subscriber(deps: Deps, *, ref: str, actor: Actor) -> Removed:
    """Delete a subscriber and its history (what was sent to it, its messages, its consent
    record): a person's request to be forgotten. Nothing of it is left in the database."""
    deps.settings.policy().check_respond(actor, "remove a subscriber")
    keys_of(deps)
    with deps.uow() as uow:
        sub = _find(deps, uow, ref)
        uow.subscribers.delete(sub.id)
        uow.commit()
    return Removed(sub)


@dataclass(frozen=True)
class Exported:
    data: Mapping[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.data)


def export_subscriber(deps: Deps, *, ref: str) -> Exported:
    """Everything kept about one subscriber (a person's data request)."""
    keys_of(deps)
    with deps.read() as uow:
        sub = _find(deps, uow, ref)
        return Exported({"subscriber": dict(export(sub))})


@dataclass(frozen=True)
class ImportReport:
    added: int
    already: int
    confirmed: bool
    problems: Sequence[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "already_subscribed": self.already,
            "confirmed": self.confirmed,
            "confirmation_sent": 0 if self.confirmed else self.added,
        }


def import_subscribers(
    deps: Deps,
    *,
    rows: Iterable[Mapping[str, str]],
    actor: Actor,
    confirmed: bool = False,
    source: ConsentSource = ConsentSource.IMPORT,
) -> ImportReport:
    """Add many subscribers (rows of ``kind``, ``address``, ``components``, ``owner_email``;
    ``kind`` defaults to email, ``components`` are separated by ``;`` or spaces) in one
    transaction, or none: every row is checked first, and any bad row refuses the whole import
    with each problem and its row number (the first row after the header is row 2).

    Imported addresses get a confirmation email, like a sign-up, unless ``confirmed``: the
    importer vouches that they consented elsewhere (a list moved from another provider).
    Addresses already subscribed are left as they are.
    """
    deps.settings.policy().check_respond(actor, "import subscribers")
    keys_of(deps)
    config = deps.settings.subscriptions
    with deps.read() as uow:
        known = known_components(deps, uow)
    checked: list[tuple[SubscriberKind, str, frozenset[str], str | None]] = []
    problems: list[str] = []
    seen: set[tuple[SubscriberKind, str]] = set()
    for number, row in enumerate(rows, start=2):
        if len(checked) + len(problems) >= MAX_IMPORT:
            raise InvalidInput(f"more than {MAX_IMPORT:,} rows; split the file", field="file")
        try:
            kind = SubscriberKind((row.get("kind") or "email").strip().lower())
        except ValueError:
            problems.append(f"row {number}: kind must be email or webhook")
            continue
        if confirmed and kind is SubscriberKind.WEBHOOK:
            problems.append(
                f"row {number}: a webhook cannot be imported as confirmed: it must echo its "
                "confirmation request first (import it without --confirmed)"
            )
            continue
        try:
            address = check_address(deps, kind, row.get("address") or "")
            comps = check_components(
                (row.get("components") or "").replace(";", " ").split(), known=known
            )
            owner = (row.get("owner_email") or "").strip() or None
            if owner is not None:
                owner = validate_email_address(owner)
        except InvalidSubscription as exc:
            problems.append(f"row {number}: {exc.field}: {exc}")
            continue
        key = (kind, address.casefold())
        if key in seen:
            continue
        seen.add(key)
        checked.append((kind, address, comps, owner))
    if problems:
        shown = "; ".join(problems[:20]) + (
            f"; and {len(problems) - 20} more" if len(problems) > 20 else ""
        )
        raise InvalidInput(
            f"nothing was imported: {len(problems)} bad row(s): {shown}", field="file"
        )
    now = deps.clock.now()
    added = already = 0
    with deps.uow() as uow:
        for kind, address, comps, owner in checked:
            if uow.subscribers.find(kind, address) is not None:
                already += 1
                continue
            sub = new_subscriber(
                id=deps.ids(),
                kind=kind,
                address=address,
                components=comps,
                now=now,
                source=source,
                owner_email=owner,
                confirmed=confirmed,
            )
            if kind is SubscriberKind.WEBHOOK and not confirmed:
                import secrets

                sub.webhook_secret = secrets.token_urlsafe(32)
            uow.subscribers.add(sub)
            if not confirmed:
                queue_message(
                    deps,
                    uow,
                    kind=MessageKind.CHALLENGE
                    if kind is SubscriberKind.WEBHOOK
                    else MessageKind.CONFIRM,
                    subscriber=sub,
                    deadline_at=confirmation_deadline(sub, window=config.confirmation_window),
                    payload={"generation": sub.generation},
                )
            added += 1
        uow.commit()
    deps.waker.wake()
    return ImportReport(added=added, already=already, confirmed=confirmed)


@dataclass(frozen=True)
class Pruned:
    subscribers: int
    windows: int

    def as_dict(self) -> dict[str, Any]:
        return {"pruned_subscribers": self.subscribers, "pruned_windows": self.windows}


def prune(deps: Deps) -> Pruned:
    """Delete unconfirmed sign-ups older than ``prune_unconfirmed_days`` and forget sign-up
    counts older than a day (the engine runs it hourly)."""
    from datetime import timedelta

    now = deps.clock.now()
    with deps.uow() as uow:
        gone = uow.subscribers.prune_pending(
            requested_before=prune_cutoff(now, after=deps.settings.subscriptions.prune_after)
        )
        windows = uow.signup_windows.sweep(before=now - timedelta(days=1))
        uow.commit()
    return Pruned(subscribers=gone, windows=windows)

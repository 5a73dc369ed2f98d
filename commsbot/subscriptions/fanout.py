"""The subscriber fan-out: one outbox row per published notice, worked through in batches.

Approving an update (a correction, a maintenance notice) writes one :class:`Fanout` in the
approving transaction, holding what is sent, frozen (:class:`FanoutContent`), and who it is
for (:class:`~commsbot.subscriptions.model.NoticeScope`, and for a correction the notice it
corrects). The sender engine then works it in batches of subscribers, in id order, behind a
persistent cursor; each subscriber reached gets one small :class:`SendState` row. So the
approval writes one row however many subscribers there are, memory stays bounded by the batch,
and a crash loses nothing: rows still ``sending`` when a process died are sent again once their
lease runs out (marked ``maybe_sent``; the Message-ID is the same, so receivers can dedupe).

Pure: states, the frozen content as JSON, the idempotency key, the refusal streak.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from commsbot.subscriptions.model import NoticeKind, NoticeScope
from commsbot.subscriptions.render import NoticeContent

#: The ledger's name for subscribers, beside the destinations' names.
TARGET = "subscribers"


class FanoutState(StrEnum):
    """Where a fan-out stands.

    ``pending`` → (``paused`` → ``pending``)* → ``finishing`` → ``done``.
    """

    #: Subscribers are still being reached (the cursor has not passed the last one).
    PENDING = "pending"
    #: The mail server refuses *us* (login, relay, sender address): nothing is sent until
    #: ``paused_until``; the team was told.
    PAUSED = "paused"
    #: Every subscriber was reached; some are still being retried.
    FINISHING = "finishing"
    #: Every subscriber's outcome is final.
    DONE = "done"

    @property
    def open(self) -> bool:
        return self is not FanoutState.DONE


class SendState(StrEnum):
    """One subscriber's copy of one notice."""

    SENDING = "sending"
    SENT = "sent"
    #: Waiting for its next attempt (a 4xx, a timeout, an earlier notice of the same incident
    #: not yet through to this subscriber, a paused fan-out).
    RETRYING = "retrying"
    #: Given up (its give-up window ended, or the message itself was refused).
    FAILED = "failed"
    #: The address was refused (a hard bounce): the subscriber is marked undeliverable.
    UNDELIVERABLE = "undeliverable"

    @property
    def open(self) -> bool:
        return self in (SendState.SENDING, SendState.RETRYING)


@dataclass(frozen=True)
class FanoutContent:
    """What every subscriber is sent, frozen when the notice was approved.

    Attributes:
        notice: the email's content (and a webhook's, for a maintenance notice).
        delivery: the frozen delivery snapshot (:func:`commsbot.delivery.snapshot.freeze` for
            updates and corrections, ``freeze_maintenance`` for maintenance notices): webhook
            subscriptions get the payload webhook destinations get, built from it. None: the
            notice is emailed only (webhook subscribers' copies fail, saying so).
    """

    notice: NoticeContent
    delivery: Mapping[str, Any] | None = None


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def content_json(content: FanoutContent) -> dict[str, Any]:
    """``content`` as JSON, for the fan-out row."""
    n = content.notice
    return {
        "notice": {
            "notice_id": n.notice_id,
            "kind": n.kind.value,
            "incident_id": n.incident_id,
            "incident_ref": n.incident_ref,
            "title": n.title,
            "status_label": n.status_label,
            "body": n.body,
            "published_at": _iso(n.published_at),
            "link": n.link,
            "seq": n.seq,
            "next_update_by": _iso(n.next_update_by),
            "components": [list(pair) for pair in n.components],
        },
        "delivery": None if content.delivery is None else dict(content.delivery),
    }


def content_from_json(data: Mapping[str, Any]) -> FanoutContent:
    """The content of a fan-out row, back as objects."""
    n = data["notice"]
    published = _time(n["published_at"])
    assert published is not None
    notice = NoticeContent(
        notice_id=str(n["notice_id"]),
        kind=NoticeKind(n["kind"]),
        incident_id=str(n["incident_id"]),
        incident_ref=str(n["incident_ref"]),
        title=str(n["title"]),
        status_label=str(n["status_label"]),
        body=str(n["body"]),
        published_at=published,
        link=str(n["link"]),
        seq=n.get("seq"),
        next_update_by=_time(n.get("next_update_by")),
        components=tuple((str(a), str(b)) for a, b in n.get("components", ())),
    )
    delivery = data.get("delivery")
    return FanoutContent(notice=notice, delivery=None if delivery is None else dict(delivery))


@dataclass(frozen=True)
class FanoutCounts:
    """Where a fan-out's subscribers stand (the ledger's line).

    ``pending`` counts those not reached yet and those being sent or retried.
    """

    sent: int = 0
    pending: int = 0
    failed: int = 0
    undeliverable: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.pending + self.failed + self.undeliverable

    def as_dict(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "pending": self.pending,
            "failed": self.failed,
            "undeliverable": self.undeliverable,
            "total": self.total,
        }


@dataclass(frozen=True)
class Fanout:
    """One notice on its way to every subscriber it concerns.

    Attributes:
        id: the row's id (shown by ``commsbot delivery list``).
        notice_id: the notice: the update's id, a correction's draft id, a maintenance
            notice's id; with a subscriber id it makes the Message-ID.
        subject_id: the incident (or maintenance) it belongs to; notices of one subject reach
            each subscriber in order.
        subject_ref: ``INC-42`` (for the ledger).
        position: order among the subject's fan-outs (1, 2, …).
        scope: who it concerns (kind and components).
        corrects: for a correction, the notice it corrects (it goes to those that got it).
        as_of: subscribers confirmed after this (the approval) are not sent it.
        state / cursor: progress; the cursor is the last subscriber id reached.
        planned: how many subscribers it concerned when it was approved; ``reached`` how many
            have a row so far.
        deadline_at: retries stop then.
        paused_until / last_error: when paused, until when and why.
        alerted: the team was told about the current pause.
        update_id: the update it carries (for updates and corrections), for the ledger.
    """

    id: str
    notice_id: str
    kind: NoticeKind
    subject_id: str
    subject_ref: str
    position: int
    scope: NoticeScope
    created_at: datetime
    deadline_at: datetime
    as_of: datetime
    corrects: str | None = None
    update_id: str | None = None
    state: FanoutState = FanoutState.PENDING
    cursor: str | None = None
    planned: int = 0
    reached: int = 0
    paused_until: datetime | None = None
    last_error: str | None = None
    alerted: bool = False
    finished_at: datetime | None = None
    counts: FanoutCounts = field(default_factory=FanoutCounts)


def send_key(notice_id: str, subscriber_id: str) -> str:
    """The idempotency key of one subscriber's copy (≤ 25 characters; a webhook's
    ``Idempotency-Key``): the same on every attempt."""
    digest = hashlib.sha256(f"{notice_id}\x00{subscriber_id}".encode()).hexdigest()[:24]
    return f"s{digest}"


T = TypeVar("T")


class RefusalStreak(Generic[T]):
    """Holds back "address refused" verdicts until the server has shown it works.

    A relay that is misconfigured (or that blocks us) may answer every RCPT with 550: marking
    every subscriber undeliverable then would wipe the list. So a refused address is only
    *suspected* until a later message goes through (then every suspect is confirmed bad), and
    ``limit`` refusals in a row mean the server, not the addresses, is at fault: the suspects
    are released (not marked), and the caller pauses the fan-out and alerts the team.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._suspects: list[T] = []

    def __len__(self) -> int:
        return len(self._suspects)

    def refused(self, item: T) -> bool:
        """Record a refusal; True when the streak reached ``limit`` (pause, release all)."""
        self._suspects.append(item)
        return len(self._suspects) >= self.limit

    def succeeded(self) -> list[T]:
        """A message went through: the suspects were bad addresses after all."""
        confirmed, self._suspects = self._suspects, []
        return confirmed

    def release(self) -> list[T]:
        """Give the suspects back unjudged (the streak says the server is at fault)."""
        released, self._suspects = self._suspects, []
        return released

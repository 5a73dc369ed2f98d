"""One-off messages to one subscriber: queued in the use case's transaction, sent by the engine.

A confirmation email (or a webhook's confirmation request) is not sent from inside the request
that asked for it: the sign-up commits a :class:`SubscriberMessage`, and the sender engine
sends it, retrying a mail server that is down, so that no confirmation is lost and the page
answers at once. Pure: kinds, states, the record.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class MessageKind(StrEnum):
    #: The double opt-in email: its link confirms the subscription.
    CONFIRM = "confirm"
    #: A confirmed address signed up again: a note with its manage link, nothing else.
    ALREADY = "already"
    #: A webhook's confirmation request: it must echo the challenge.
    CHALLENGE = "challenge"
    #: A webhook's owner is told it was disabled (``payload``: ``owner``, ``url``,
    #: ``failing_since``, ``last_error``).
    DISABLED = "disabled"


class MessageState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    #: Given up, or no longer needed (the subscriber confirmed meanwhile, or is gone).
    FAILED = "failed"
    #: Nothing to send any more (confirmed meanwhile, or the subscription changed).
    SKIPPED = "skipped"


@dataclass(frozen=True)
class SubscriberMessage:
    """One queued message.

    Attributes:
        id: also its Message-ID's key (the same on every attempt).
        subscriber_id: whom it is about (None when the subscriber was deleted meanwhile).
        payload: what it needs beyond the subscriber as it is when sent.
        deadline_at: retried until then (a confirmation: until its link expires).
    """

    id: str
    kind: MessageKind
    subscriber_id: str | None
    created_at: datetime
    deadline_at: datetime
    payload: Mapping[str, Any] = field(default_factory=dict)
    state: MessageState = MessageState.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = None


def challenge_echoed(body: str, challenge: str) -> bool:
    """Whether a webhook's answer to its confirmation request echoes the challenge: the body
    is the challenge itself, or JSON ``{"challenge": "…"}``."""
    text = body.strip()
    if text == challenge:
        return True
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("challenge") == challenge

"""The delivery ledger: where each delivery stands, and re-driving dead ones.

Use cases behind ``commsbot delivery list`` and ``commsbot delivery retry``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from commsbot.delivery.config import destinations_of, notifiers_of
from commsbot.delivery.model import DeliveryKind, DeliveryRecord, DeliveryState
from commsbot.domain.errors import AlreadyDecided, InvalidInput
from commsbot.domain.model import TimelineEntry
from commsbot.domain.policy import Actor
from commsbot.services.deps import Deps
from commsbot.services.dispatch import describe
from commsbot.services.results import delivery_dict, fanout_dict
from commsbot.subscriptions.fanout import Fanout
from commsbot.templates import format_moment as when


@dataclass(frozen=True)
class Deliveries:
    """A page of the ledger."""

    deliveries: Sequence[DeliveryRecord]
    #: Subscriber fan-outs (one row per published notice), newest first.
    subscribers: Sequence[Fanout] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "deliveries": [delivery_dict(r) for r in self.deliveries],
            "subscriber_fanouts": [fanout_dict(f) for f in self.subscribers],
        }


@dataclass(frozen=True)
class Redriven:
    delivery: DeliveryRecord

    def as_dict(self) -> dict[str, Any]:
        return {"delivery": delivery_dict(self.delivery)}


def list_deliveries(
    deps: Deps,
    *,
    state: DeliveryState | None = None,
    incident_ref: str | None = None,
    limit: int = 100,
) -> Deliveries:
    """Deliveries (updates, corrections, maintenance notices and internal notices), newest
    first; ``incident_ref`` may name a maintenance too (``MNT-3``)."""
    with deps.read() as uow:
        incident_id = None
        if incident_ref and incident_ref.strip().upper().startswith("MNT"):
            incident_id = uow.maintenances.get(incident_ref).id
        elif incident_ref:
            incident_id = uow.incidents.get(incident_ref).id
        fanouts = uow.fanouts.list(subject_id=incident_id, limit=limit) if state is None else ()
        return Deliveries(
            list(uow.ledger.list(state=state, incident_id=incident_id, limit=limit)),
            subscribers=list(fanouts),
        )


def retry_delivery(deps: Deps, *, delivery_id: str, actor: Actor) -> Redriven:
    """Send a dead delivery again, with a fresh deadline; refuse any other state.

    Raises:
        NotFound: no such delivery.
        AlreadyDecided: it is not dead (sent, or still being tried).
        InvalidInput: its destination (or notifier) is no longer configured.
        NotAllowed: ``actor`` is not a responder.
    """
    deps.settings.policy().check_respond(actor, "re-drive a delivery")
    now = deps.clock.now()
    with deps.uow() as uow:
        record = uow.ledger.get(delivery_id)
        zone = deps.settings.zone
        if record.state is not DeliveryState.DEAD:
            raise AlreadyDecided(
                f"delivery {record.id} to {record.target!r} is {_state_text(record, zone)}; "
                "only dead deliveries can be re-driven"
            )
        notice = record.kind is DeliveryKind.NOTICE
        configured = {
            c.name: c
            for c in (
                notifiers_of(deps.settings.notifiers)
                if notice
                else destinations_of(deps.settings.destinations)
            )
        }
        config = configured.get(record.target)
        if config is None:
            role = "notifier" if notice else "destination"
            raise InvalidInput(
                f"delivery {record.id} goes to {role} {record.target!r}, which is not configured "
                f"any more; add it back to commsbot.toml first (configured: "
                f"{', '.join(sorted(configured)) or 'none'})"
            )
        if not uow.ledger.redrive(record.id, now=now, deadline_at=now + config.give_up_after):
            raise AlreadyDecided(f"delivery {record.id} was re-driven by someone else just now")
        timeline = (
            uow.maintenance_timeline
            if uow.maintenances.find(record.incident_id) is not None
            else uow.timeline
        )
        timeline.append(
            TimelineEntry(
                incident_id=record.incident_id,
                at=now,
                actor=actor.id,
                action="redriven",
                detail=(
                    f"{describe(uow, record)} to {record.target!r} (delivery {record.id}) is "
                    f"being sent again after {record.attempts} "
                    f"attempt{'' if record.attempts == 1 else 's'}; last error: "
                    f"{record.last_error}"
                ),
            )
        )
        result = Redriven(uow.ledger.get(record.id))
        uow.commit()
    return result


def _state_text(record: DeliveryRecord, zone: ZoneInfo) -> str:
    state = record.state
    if state is DeliveryState.SENT:
        return f"sent (at {when(record.sent_at, zone)})"
    if state is DeliveryState.RETRYING:
        return (
            f"retrying (attempt {record.attempts}, next try at "
            f"{when(record.next_attempt_at, zone)})"
        )
    if state is DeliveryState.SENDING:
        return f"being sent right now (attempt {record.attempts})"
    if state is DeliveryState.DEAD:
        return f"dead since {when(record.dead_at, zone)}"
    return "pending (not tried yet)"

"""The maintenance lifecycle: Statuspage's five statuses and the one table of moves between them.

A scheduled maintenance is ``scheduled`` until its window starts, ``in_progress`` while the work
runs, ``verifying`` while the team checks the result, then ``completed``; a scheduled one may be
``cancelled`` instead. Every change of status goes through :func:`transition`, as incidents go
through :func:`commsbot.domain.lifecycle.transition`: nothing else decides whether a move exists.

Also here: what a component shows while a maintenance covers it (:func:`shown_status`), since
incidents and maintenances may overlap and the public must see the worse of the two.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from commsbot.domain.errors import InvalidTransition
from commsbot.domain.model import ComponentStatus


class MaintenanceStatus(StrEnum):
    """Where a maintenance stands (Statuspage's names, plus ``cancelled``)."""

    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    VERIFYING = "verifying"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def active(self) -> bool:
        """The work is under way: its components are under maintenance."""
        return self in (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING)

    @property
    def finished(self) -> bool:
        """Nothing more will happen to it."""
        return self in (MaintenanceStatus.COMPLETED, MaintenanceStatus.CANCELLED)

    @property
    def statuspage(self) -> str:
        """The Statuspage v2 status: its API knows no ``cancelled`` (strict readers accept only
        scheduled, in_progress, verifying and completed), so a cancelled one is ``completed``
        there and its last update says it was cancelled."""
        return "completed" if self is MaintenanceStatus.CANCELLED else self.value

    @property
    def label(self) -> str:
        """``In progress``, ``Scheduled``, …: how the page and the chat surfaces name it."""
        return self.value.replace("_", " ").capitalize()


class MaintenanceTrigger(StrEnum):
    """A kind of move, named for what the team (or the bot, on time) does."""

    ANNOUNCE = "announce"  # the first public word: the window, its components, start/end texts
    PROGRESS = "progress"  # a note, same status
    EXTEND = "extend"  # a new window: a later end, or before the start a new start too
    START = "start"  # the window opened (or the team started early): components under maintenance
    VERIFY = "verify"  # the work is done and being checked
    RESUME = "resume"  # verification found more to do: back to in progress
    COMPLETE = "complete"  # done: components return to what incidents say they are
    CANCEL = "cancel"  # it will not happen


M, T = MaintenanceStatus, MaintenanceTrigger

#: The one transition table: (current status, trigger) -> next status. A missing pair is a move
#: that does not exist. Completed and cancelled maintenances take no moves at all.
TRANSITIONS: Mapping[tuple[MaintenanceStatus, MaintenanceTrigger], MaintenanceStatus] = {
    (M.SCHEDULED, T.ANNOUNCE): M.SCHEDULED,
    (M.SCHEDULED, T.PROGRESS): M.SCHEDULED,
    (M.SCHEDULED, T.EXTEND): M.SCHEDULED,
    (M.SCHEDULED, T.START): M.IN_PROGRESS,
    (M.SCHEDULED, T.CANCEL): M.CANCELLED,
    (M.IN_PROGRESS, T.PROGRESS): M.IN_PROGRESS,
    (M.IN_PROGRESS, T.EXTEND): M.IN_PROGRESS,
    (M.IN_PROGRESS, T.VERIFY): M.VERIFYING,
    (M.IN_PROGRESS, T.COMPLETE): M.COMPLETED,
    (M.VERIFYING, T.PROGRESS): M.VERIFYING,
    (M.VERIFYING, T.EXTEND): M.VERIFYING,
    (M.VERIFYING, T.RESUME): M.IN_PROGRESS,
    (M.VERIFYING, T.COMPLETE): M.COMPLETED,
}

_WHY_NOT: Mapping[tuple[MaintenanceStatus, MaintenanceTrigger], str] = {
    (M.SCHEDULED, T.COMPLETE): "start it first (its window has not begun), or cancel it",
    (M.SCHEDULED, T.VERIFY): "start it first",
    (M.IN_PROGRESS, T.CANCEL): (
        "the work has begun: complete it (its end notice says the window is over) instead"
    ),
    (M.VERIFYING, T.CANCEL): "the work has begun: complete it instead",
    (M.IN_PROGRESS, T.START): "it is already in progress",
    (M.IN_PROGRESS, T.ANNOUNCE): "it was announced before it started",
    (M.VERIFYING, T.ANNOUNCE): "it was announced before it started",
}


def allowed_triggers(current: MaintenanceStatus) -> list[MaintenanceTrigger]:
    """The moves that exist from ``current``, in the table's order."""
    return [trigger for (status, trigger) in TRANSITIONS if status is current]


def transition(current: MaintenanceStatus, trigger: MaintenanceTrigger) -> MaintenanceStatus:
    """Apply ``trigger`` to ``current`` and return the new status, or refuse.

    Raises:
        InvalidTransition: the move does not exist from ``current``. The message names the
            move, the status and what is allowed from there (or that nothing is).
    """
    nxt = TRANSITIONS.get((current, trigger))
    if nxt is not None:
        return nxt
    if current.finished:
        raise InvalidTransition(
            f"cannot {trigger.value} a maintenance that is {current.value}: a {current.value} "
            "maintenance takes no further moves; schedule a new one instead"
        )
    allowed = ", ".join(
        f"{t.value} (→ {TRANSITIONS[(current, t)].value})" for t in allowed_triggers(current)
    )
    why = _WHY_NOT.get((current, trigger))
    raise InvalidTransition(
        f"cannot {trigger.value} a maintenance that is {current.value}"
        + (f" ({why})" if why else "")
        + f"; from {current.value} the allowed moves are: {allowed}"
    )


#: Least to worst. Planned work ranks above operational and below any real trouble: a
#: component that an incident holds down during a maintenance shows the incident's status.
COMPONENT_ORDER = (
    ComponentStatus.OPERATIONAL,
    ComponentStatus.UNDER_MAINTENANCE,
    ComponentStatus.DEGRADED_PERFORMANCE,
    ComponentStatus.PARTIAL_OUTAGE,
    ComponentStatus.MAJOR_OUTAGE,
)


def shown_status(status: ComponentStatus, *, under_maintenance: bool) -> ComponentStatus:
    """What a component shows: the worse of its incidents' status and an active maintenance.

    ``status`` is the component's status as published incident updates left it; a maintenance
    in progress on it lifts ``operational`` to ``under_maintenance`` and leaves anything worse
    as it is. So completing a maintenance never shows operational a component an open incident
    holds down, and an incident's recovery never hides a maintenance still under way.
    """
    if under_maintenance and COMPONENT_ORDER.index(status) < COMPONENT_ORDER.index(
        ComponentStatus.UNDER_MAINTENANCE
    ):
        return ComponentStatus.UNDER_MAINTENANCE
    return status

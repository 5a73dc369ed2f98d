"""The incident lifecycle: four statuses and the one table of moves between them.

Every status change in commsbot goes through :func:`transition`; nothing else decides whether a
move is allowed. A published update names the status it wants; :func:`trigger_for` names the move
that takes the incident there, and the table says whether that move exists from where it stands.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from commsbot.domain.errors import InvalidTransition


class Status(StrEnum):
    """Where an incident stands. Ordered: each is further along than the one before."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    FIXING = "fixing"
    RECOVERED = "recovered"

    @property
    def rank(self) -> int:
        return _ORDER.index(self)

    @property
    def statuspage(self) -> str:
        """The Statuspage v2 name of this status."""
        return _STATUSPAGE[self]

    @property
    def label(self) -> str:
        return self.value.capitalize()


_ORDER = (Status.INVESTIGATING, Status.IDENTIFIED, Status.FIXING, Status.RECOVERED)
_STATUSPAGE = {
    Status.INVESTIGATING: "investigating",
    Status.IDENTIFIED: "identified",
    Status.FIXING: "monitoring",
    Status.RECOVERED: "resolved",
}


class Trigger(StrEnum):
    """A kind of move. Named for what the team says when it makes the move."""

    PROGRESS = "progress"  # news, same status
    INVESTIGATE = "investigate"  # back to investigating: the cause was wrong or a fix failed
    IDENTIFY = "identify"  # we know the cause
    FIX = "fix"  # a fix is rolling out
    RECOVER = "recover"  # service restored
    REOPEN = "reopen"  # recovered, then it broke again; needs a reason
    POSTMORTEM = "postmortem"  # the promised root-cause analysis, after recovery


S, T = Status, Trigger

#: The one transition table: (current status, trigger) -> next status. A pair that is missing is
#: a move that does not exist.
TRANSITIONS: Mapping[tuple[Status, Trigger], Status] = {
    (S.INVESTIGATING, T.PROGRESS): S.INVESTIGATING,
    (S.INVESTIGATING, T.IDENTIFY): S.IDENTIFIED,
    (S.INVESTIGATING, T.FIX): S.FIXING,
    (S.INVESTIGATING, T.RECOVER): S.RECOVERED,
    (S.IDENTIFIED, T.PROGRESS): S.IDENTIFIED,
    (S.IDENTIFIED, T.INVESTIGATE): S.INVESTIGATING,
    (S.IDENTIFIED, T.FIX): S.FIXING,
    (S.IDENTIFIED, T.RECOVER): S.RECOVERED,
    (S.FIXING, T.PROGRESS): S.FIXING,
    (S.FIXING, T.INVESTIGATE): S.INVESTIGATING,
    (S.FIXING, T.IDENTIFY): S.IDENTIFIED,
    (S.FIXING, T.RECOVER): S.RECOVERED,
    (S.RECOVERED, T.REOPEN): S.INVESTIGATING,
    (S.RECOVERED, T.POSTMORTEM): S.RECOVERED,
}

#: Moves that must say why.
NEEDS_REASON = frozenset({T.REOPEN})

_TRIGGER_TO = {
    S.INVESTIGATING: T.INVESTIGATE,
    S.IDENTIFIED: T.IDENTIFY,
    S.FIXING: T.FIX,
    S.RECOVERED: T.RECOVER,
}


def allowed_triggers(current: Status) -> list[Trigger]:
    """The moves that exist from ``current``, in the table's order."""
    return [trigger for (status, trigger) in TRANSITIONS if status is current]


def allowed_targets(current: Status) -> list[Status]:
    """The statuses an update may ask for from ``current`` (each at most once, in order)."""
    targets = {TRANSITIONS[(current, t)] for t in allowed_triggers(current)}
    return [s for s in _ORDER if s in targets]


def update_status(current: Status, requested: Status | None, *, postmortem: bool = False) -> Status:
    """The status an update sets: ``requested``, or by default the current one (a progress
    update), or ``recovered`` for the postmortem (the root-cause analysis of a recovery)."""
    if requested is not None:
        return requested
    return S.RECOVERED if postmortem else current


def trigger_for(current: Status, target: Status, *, postmortem: bool = False) -> Trigger:
    """The move that takes an incident from ``current`` to ``target``.

    Staying put is a progress update (or the postmortem, when the update is the root-cause
    analysis); going from recovered to investigating is a reopen; anything else is named for where
    it goes. Whether the move exists is :func:`transition`'s question.
    """
    if postmortem:
        return T.POSTMORTEM
    if current is target:
        return T.PROGRESS
    if current is S.RECOVERED and target is S.INVESTIGATING:
        return T.REOPEN
    return _TRIGGER_TO[target]


def transition(current: Status, trigger: Trigger, *, reason: str | None = None) -> Status:
    """Apply ``trigger`` to ``current`` and return the new status, or refuse.

    Raises:
        InvalidTransition: the move does not exist from ``current``, or it needs a reason and
            none was given. The message names the move, the current status and what is allowed.
    """
    nxt = TRANSITIONS.get((current, trigger))
    if nxt is None:
        allowed = ", ".join(
            f"{t.value} (→ {TRANSITIONS[(current, t)].value})" for t in allowed_triggers(current)
        )
        raise InvalidTransition(
            f"cannot {trigger.value} an incident that is {current.value}; "
            f"from {current.value} the allowed moves are: {allowed}"
        )
    if trigger in NEEDS_REASON and not (reason and reason.strip()):
        raise InvalidTransition(
            f"cannot {trigger.value} an incident that is {current.value} without a reason; "
            f"say why it is being reopened (--reason TEXT)"
        )
    return nxt


def move_to(
    current: Status, target: Status, *, reason: str | None = None, postmortem: bool = False
) -> Trigger:
    """Check that an update may take the incident from ``current`` to ``target``.

    Returns the trigger of that move. Raises :class:`InvalidTransition` saying what is allowed
    from ``current`` when it may not.
    """
    trigger = trigger_for(current, target, postmortem=postmortem)
    nxt = TRANSITIONS.get((current, trigger))
    if nxt is not None and nxt is not target:
        raise InvalidTransition(
            f"a {trigger.value} update leaves the incident {nxt.value}, not {target.value}"
        )
    if nxt is None and not postmortem:
        if current is S.RECOVERED:
            raise InvalidTransition(
                f"cannot move an incident from recovered to {target.value}; a recovered incident "
                "takes only its postmortem (the root-cause analysis) or a reopen "
                "(status investigating, with a reason)"
            )
        targets = ", ".join(s.value for s in allowed_targets(current))
        raise InvalidTransition(
            f"cannot move an incident from {current.value} to {target.value}; "
            f"from {current.value} an update may set: {targets}"
        )
    transition(current, trigger, reason=reason)
    return trigger

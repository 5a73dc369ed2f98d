"""A draft's promised "next update by": its default, what people type, and the text stating it."""

from __future__ import annotations

from datetime import datetime

from commsbot.domain.errors import InvalidInput
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import Severity
from commsbot.domain.promise import mark_promise
from commsbot.domain.when import parse_next_update
from commsbot.services.deps import Deps


def default_promise(
    deps: Deps, severity: Severity, status: Status, *, now: datetime
) -> datetime | None:
    """``now`` + the severity's cadence; None for a recovery (or postmortem) or no cadence."""
    cadence = deps.settings.cadence(severity)
    if cadence is None or status is Status.RECOVERED:
        return None
    return now + cadence


def typed_promise(
    deps: Deps, typed: str | None, *, status: Status, now: datetime
) -> datetime | None:
    """The promise someone typed (``45m``, ``16:30``, ISO), or None when they typed none.

    Raises:
        InvalidInput: not a time, in the past, or given for a recovery or postmortem.
    """
    if typed is None or not typed.strip():
        return None
    if status is Status.RECOVERED:
        raise InvalidInput(
            "a recovery (or postmortem) promises no next update; drop the next update time",
            field="next_update_by",
        )
    try:
        return parse_next_update(typed, now=now, zone=deps.settings.zone)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="next_update_by") from None


def promise_for(
    deps: Deps, typed: str | None, *, severity: Severity, status: Status, now: datetime
) -> datetime | None:
    """What a new draft promises: what was typed, else the severity's default."""
    given = typed_promise(deps, typed, status=status, now=now)
    return given if given is not None else default_promise(deps, severity, status, now=now)


def source_of(deps: Deps, typed_body: str, promise: datetime | None, *, now: datetime) -> str:
    """Typed text as a draft keeps it: the promised time, written as shown at ``now``, becomes
    the placeholder, so the text follows the promise if it is edited later."""
    return mark_promise(typed_body, [promise], show_time=deps.renderer.promise_format(now))

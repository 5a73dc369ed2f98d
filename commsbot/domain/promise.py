"""The promised "next update by" inside a draft's text, kept equal to the draft's field.

A draft's text is written with the placeholder :data:`NEXT_UPDATE` where the promised time
goes (the built-in templates write it; people may type it). The time is filled in from the
draft's ``next_update_by`` whenever the text or the time changes, and once more at approval,
so the published text states exactly the time the reminder is planned for.

A time typed as the bot shows it ("3:46 PM PST") is read as the placeholder when it is the
draft's promise (before or after the edit): text copied from an approval request and sent back
with a new time does not keep stating the old one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from commsbot.domain.errors import InvalidInput

#: Where a draft's text states its promised time.
NEXT_UPDATE = "{next_update_by}"

#: Formats a time as the public reads it ("3:46 PM PST"); the services pass the team's.
TimeFormat = Callable[[datetime], str]


def state_promise(
    source: str,
    next_update_by: datetime | None,
    *,
    show_time: TimeFormat,
    what: str,
    never_promises: str | None = None,
) -> str:
    """``source`` with :data:`NEXT_UPDATE` replaced by ``next_update_by`` as shown.

    Args:
        never_promises: why this draft can promise nothing ("a recovery never promises a next
            update"), so the refusal does not suggest giving it a time; None when it could.

    Raises:
        InvalidInput: the text states a next update time but the draft promises none.
    """
    if NEXT_UPDATE not in source:
        return source
    if next_update_by is None and never_promises is not None:
        raise InvalidInput(
            f"the {what} says {NEXT_UPDATE} but {never_promises}; write the text without "
            f"{NEXT_UPDATE}",
            field="body",
        )
    if next_update_by is None:
        raise InvalidInput(
            f"the {what} says {NEXT_UPDATE} but this draft promises no next update (a recovery "
            "or a postmortem never does); give a time (e.g. --next-update 30m) or write the "
            f"text without {NEXT_UPDATE}",
            field="body",
        )
    return source.replace(NEXT_UPDATE, show_time(next_update_by))


def mark_promise(text: str, promises: Iterable[datetime | None], *, show_time: TimeFormat) -> str:
    """``text`` with each of ``promises``, as shown, turned back into :data:`NEXT_UPDATE`."""
    for promise in promises:
        if promise is not None:
            shown = show_time(promise)
            if shown:
                text = text.replace(shown, NEXT_UPDATE)
    return text

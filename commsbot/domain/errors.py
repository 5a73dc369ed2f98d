"""Refusals. Every one says what was attempted, where things stand and what would be allowed.

Adapters show ``str(error)`` to the person who asked, as it is: write messages for them.
"""

from __future__ import annotations


class CommsbotError(Exception):
    """Base of every refusal commsbot makes on purpose. ``code`` is stable, for machines.

    Args:
        message: for the person who asked, complete on its own.
        field: the name of the input the refusal is about (``title``, ``version``, …), when
            it is about one; surfaces place the message next to that input from this, never by
            reading the message.
    """

    code = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class InvalidInput(CommsbotError):
    """The request itself is malformed: an unknown name, an empty body, a bad value."""

    code = "invalid_input"


class NotFound(CommsbotError):
    """The incident, draft or update named does not exist."""

    code = "not_found"


class InvalidTransition(CommsbotError):
    """The lifecycle table has no such move from the incident's current status."""

    code = "invalid_transition"


class NotAllowed(CommsbotError):
    """The policy refuses this actor this action (four eyes on the text, approver lists, …)."""

    code = "not_allowed"


class GuardFailed(CommsbotError):
    """The move exists but the incident is not in a state to make it (e.g. recovered while down)."""

    code = "guard_failed"


class StaleDraft(CommsbotError):
    """The draft changed, or the incident moved, since the version being acted on."""

    code = "stale_draft"


class AlreadyDecided(CommsbotError):
    """The draft was already published or rejected."""

    code = "already_decided"


class ConcurrentChange(CommsbotError):
    """Someone else changed the same record at the same moment; nothing was written."""

    code = "concurrent_change"

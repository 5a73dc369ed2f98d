"""What ``/incident`` text parses into: one frozen value per subcommand (see ``parse.py``).

Pure data, no Slack.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from commsbot.domain.lifecycle import Status
from commsbot.domain.model import ComponentStatus, Severity


@dataclass(frozen=True)
class Help:
    topic: str | None = None


@dataclass(frozen=True)
class Declare:
    """``title`` None: open the modal (prefilled with ``severity`` when given)."""

    title: str | None = None
    severity: Severity | None = None
    components: dict[str, ComponentStatus | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Update:
    """``status`` None and not ``keep_status``/``postmortem``: open the modal."""

    incident: str | None = None
    status: Status | None = None
    keep_status: bool = False
    postmortem: bool = False
    body: str | None = None
    reason: str | None = None
    components: dict[str, ComponentStatus] = field(default_factory=dict)

    @property
    def wants_modal(self) -> bool:
        return self.status is None and not self.keep_status and not self.postmortem


@dataclass(frozen=True)
class ShowStatus:
    incident: str | None = None


@dataclass(frozen=True)
class ListIncidents:
    open_only: bool = False


@dataclass(frozen=True)
class Approve:
    draft_id: str
    version: int | None = None


@dataclass(frozen=True)
class Reject:
    draft_id: str
    reason: str


@dataclass(frozen=True)
class Timeline:
    incident: str


@dataclass(frozen=True)
class Note:
    incident: str
    text: str


@dataclass(frozen=True)
class EditIncident:
    """A new severity and/or title; ``commander`` for a handoff (``ME``: whoever typed it)."""

    incident: str
    severity: Severity | None = None
    title: str | None = None
    commander: str | None = None


#: ``handoff INC-1 me``: the person typing takes over.
ME = "me"

Command = (
    Help
    | Declare
    | Update
    | ShowStatus
    | ListIncidents
    | Approve
    | Reject
    | Timeline
    | Note
    | EditIncident
)

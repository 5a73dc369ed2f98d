"""What happened, in the past tense. Every event becomes one line of the incident's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from commsbot.domain.model import Draft, Update


@dataclass(frozen=True)
class Event:
    incident_id: str
    actor: str
    at: datetime

    action: ClassVar[str] = "event"

    @property
    def detail(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class IncidentDeclared(Event):
    title: str
    severity: str
    components: tuple[str, ...]

    action: ClassVar[str] = "declared"

    @property
    def detail(self) -> str:
        comps = f" affecting {', '.join(self.components)}" if self.components else ""
        return f"{self.severity} {self.title!r}{comps}"


@dataclass(frozen=True)
class DraftProposed(Event):
    draft: Draft

    action: ClassVar[str] = "drafted"

    @property
    def detail(self) -> str:
        kind = "postmortem" if self.draft.postmortem else self.draft.status.value
        return f"draft {self.draft.id} v{self.draft.version} ({kind}): {self.draft.body}"


@dataclass(frozen=True)
class DraftEdited(Event):
    draft: Draft

    action: ClassVar[str] = "edited"

    @property
    def detail(self) -> str:
        return f"draft {self.draft.id} now v{self.draft.version}: {self.draft.body}"


@dataclass(frozen=True)
class DraftRejected(Event):
    draft: Draft
    reason: str

    action: ClassVar[str] = "rejected"

    @property
    def detail(self) -> str:
        return f"draft {self.draft.id} v{self.draft.version}: {self.reason}"


@dataclass(frozen=True)
class UpdatePublished(Event):
    update: Update
    old_status: str

    action: ClassVar[str] = "published"

    @property
    def detail(self) -> str:
        u = self.update
        moves = "".join(f"; {c.name} {c.old.value} → {c.new.value}" for c in u.changes)
        status = (
            f"{self.old_status} → {u.status.value}"
            if self.old_status != u.status.value
            else u.statuspage_status
        )
        return (
            f"update #{u.seq} ({status}) written by {', '.join(u.authors)}, approved by "
            f"{u.approver}{moves}: {u.body}"
        )


@dataclass(frozen=True)
class UpdateCorrected(Event):
    update: Update
    draft: Draft

    action: ClassVar[str] = "corrected"

    @property
    def detail(self) -> str:
        u = self.update
        return (
            f"update #{u.seq} corrected by draft {self.draft.id} v{self.draft.version}, "
            f"written by {', '.join(self.draft.authors)}, approved by {self.draft.decided_by}: "
            f"{u.body}"
        )


@dataclass(frozen=True)
class NoteAdded(Event):
    text: str

    action: ClassVar[str] = "note"

    @property
    def detail(self) -> str:
        return self.text


@dataclass(frozen=True)
class IncidentRetitled(Event):
    old: str
    new: str
    #: What the status page shows until the next published update (None: nothing public yet).
    public: str | None

    action: ClassVar[str] = "retitled"

    @property
    def detail(self) -> str:
        shown = (
            f"; the status page shows {self.public!r} until the next update is published"
            if self.public is not None and self.public != self.new
            else ""
        )
        return f"{self.old!r} → {self.new!r}{shown}"


@dataclass(frozen=True)
class SeverityChanged(Event):
    old: str
    new: str

    action: ClassVar[str] = "severity"

    @property
    def detail(self) -> str:
        return f"{self.old} → {self.new}"


@dataclass(frozen=True)
class CommanderChanged(Event):
    old: str
    new: str

    action: ClassVar[str] = "handoff"

    @property
    def detail(self) -> str:
        return f"commander {self.old} → {self.new}"

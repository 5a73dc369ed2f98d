"""Incidents, components, drafts and published updates.

Plain dataclasses: the store maps them to tables, the services load them, call the methods here
and save them. Times are passed in (the domain has no clock) and are always UTC-aware.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from commsbot.domain.errors import AlreadyDecided, GuardFailed, InvalidInput, StaleDraft
from commsbot.domain.lifecycle import Status, Trigger, move_to, transition
from commsbot.domain.promise import TimeFormat, mark_promise, state_promise
from commsbot.domain.text import clean_text as clean_text  # the use cases import it from here
from commsbot.domain.when import iso

_E = TypeVar("_E", bound=StrEnum)

MAX_TITLE = 200
MAX_BODY = 10_000
MAX_REASON = 1_000
#: The longest public document (Markdown) a postmortem update may publish.
MAX_DOCUMENT = 200_000


class Severity(StrEnum):
    SEV1 = "sev1"
    SEV2 = "sev2"
    SEV3 = "sev3"
    SEV4 = "sev4"


class ComponentStatus(StrEnum):
    """The five Statuspage component statuses."""

    OPERATIONAL = "operational"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"
    UNDER_MAINTENANCE = "under_maintenance"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def impact(self) -> Impact:
        return _COMPONENT_IMPACT[self]


class Impact(StrEnum):
    """Statuspage impact / indicator, least to worst."""

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Impact).index(self)


_COMPONENT_IMPACT = {
    ComponentStatus.OPERATIONAL: Impact.NONE,
    ComponentStatus.UNDER_MAINTENANCE: Impact.NONE,
    ComponentStatus.DEGRADED_PERFORMANCE: Impact.MINOR,
    ComponentStatus.PARTIAL_OUTAGE: Impact.MAJOR,
    ComponentStatus.MAJOR_OUTAGE: Impact.CRITICAL,
}
_SEVERITY_IMPACT = {
    Severity.SEV1: Impact.CRITICAL,
    Severity.SEV2: Impact.MAJOR,
    Severity.SEV3: Impact.MINOR,
    Severity.SEV4: Impact.MINOR,
}


class DraftState(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"


@dataclass
class Component:
    """A part of the service the public sees on the status page, with its current status."""

    name: str
    status: ComponentStatus = ComponentStatus.OPERATIONAL
    description: str = ""
    group: str | None = None
    position: int = 0
    updated_at: datetime | None = None
    #: When it was first stored: the status page has no data for it before (None: unknown).
    created_at: datetime | None = None


@dataclass(frozen=True)
class ComponentChange:
    """One component's move within a published update."""

    name: str
    old: ComponentStatus
    new: ComponentStatus


@dataclass
class Incident:
    id: str
    number: int
    title: str
    severity: Severity
    status: Status
    components: list[str]
    commander: str
    declared_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    #: How many updates have been published; the next one gets ``published_count + 1``.
    published_count: int = 0
    #: Optimistic-lock version, owned by the store.
    version: int = 0
    #: The title and severity as of the last published update: what the public sees. Editing
    #: the incident changes ``title``/``severity`` at once; these follow at the next publish,
    #: so every public word stays approved. None until the first update is published.
    public_title: str | None = None
    public_severity: Severity | None = None

    @property
    def ref(self) -> str:
        return f"INC-{self.number}"

    def as_published(self) -> Incident:
        """This incident as its last published update left it (title, severity) for the public."""
        return replace(
            self,
            title=self.public_title or self.title,
            severity=self.public_severity or self.severity,
        )

    def impact(self, components: Mapping[str, Component]) -> Impact:
        """Statuspage impact: the worst of its components, or its severity when it names none."""
        if self.status is Status.RECOVERED:
            return Impact.NONE
        ranks = [components[n].status.impact for n in self.components if n in components]
        if not ranks:
            return _SEVERITY_IMPACT[self.severity]
        return max(ranks, key=lambda i: i.rank)


@dataclass
class Draft:
    """A proposed public update, waiting for a second person."""

    id: str
    incident_id: str
    author: str
    body: str
    status: Status
    base_status: Status
    created_at: datetime
    updated_at: datetime
    component_changes: dict[str, ComponentStatus] = field(default_factory=dict)
    postmortem: bool = False
    reason: str | None = None
    #: The id of the published update this draft corrects (a correction changes only its
    #: body: no status, no components); None for an ordinary update.
    corrects: str | None = None
    version: int = 1
    state: DraftState = DraftState.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
    #: The text as written, with :data:`~commsbot.domain.promise.NEXT_UPDATE` where the promised
    #: time goes; ``body`` is it with the time filled in. Empty: the same as ``body``.
    body_source: str = ""
    #: When the update promises the next one; the published text states exactly this time.
    next_update_by: datetime | None = None
    #: Who last changed what the update says (text, status, components, promised time): they
    #: may not approve this version. Empty: the author.
    last_editor: str = ""
    #: Everyone who changed what the update says, in order, the author first. Empty: the author.
    authors: tuple[str, ...] = ()
    #: The public part of the postmortem (Markdown) a postmortem draft publishes with it: part
    #: of what the approver approves. None: no document.
    document: str | None = None

    def __post_init__(self) -> None:
        # A new draft is all its author's: constructors name only ``author`` and ``body``.
        self.body_source = self.body_source or self.body
        self.last_editor = self.last_editor or self.author
        self.authors = tuple(dict.fromkeys((self.author, *self.authors)))

    def write(self, show_time: TimeFormat) -> None:
        """Fill the promised time into ``body`` from ``body_source`` (as it stands now).

        Raises:
            InvalidInput: the text states a next update time and the draft promises none, or
                filling it in makes the text too long.
        """
        self.body = self._stated(self.body_source, self.next_update_by, show_time)

    def _stated(
        self,
        source: str,
        promise: datetime | None,
        show_time: TimeFormat,
        *,
        status: Status | None = None,
    ) -> str:
        what = "corrected body" if self.corrects is not None else "update body"
        never: str | None = None
        if self.corrects is not None:
            never = "a correction keeps the original update's promise, and it made none"
        elif self.postmortem:
            never = "a postmortem never promises a next update"
        elif (status or self.status) is Status.RECOVERED:
            never = "a recovery never promises a next update"
        body = state_promise(source, promise, show_time=show_time, what=what, never_promises=never)
        if len(body) > MAX_BODY:
            raise InvalidInput(
                f"the {what} is {len(body)} characters long with its next update time "
                f"filled in; the most allowed is {MAX_BODY}"
            )
        return body

    def ensure_pending(self, attempted: str) -> None:
        if self.state is not DraftState.PENDING:
            who = f" by {self.decided_by}" if self.decided_by else ""
            raise AlreadyDecided(
                f"cannot {attempted} draft {self.id}: it was already {self.state.value}{who}; "
                "only pending drafts can be changed — propose a new update instead"
            )

    def edit(
        self,
        *,
        now: datetime,
        editor: str,
        incident_status: Status,
        show_time: TimeFormat,
        body: str | None = None,
        status: Status | None = None,
        component_changes: Mapping[str, ComponentStatus] | None = None,
        reason: str | None = None,
        next_update_by: datetime | None = None,
        default_next_update_by: datetime | None = None,
        expected_version: int | None = None,
        document: str | None = None,
    ) -> None:
        """Change the draft. Any earlier approval request is now for a stale version.

        Args:
            editor: who edits; if what the update says changes, they become its last editor
                (and may not approve this version) and join its authors.
            next_update_by: a new promise (None: keep it, or see ``default_next_update_by``).
            default_next_update_by: the promise when an edit moves the draft into or out of
                ``recovered`` without naming one (a recovery promises nothing).
            document: a new public document (a postmortem draft only; None: keep it).

        Raises:
            StaleDraft, AlreadyDecided, InvalidInput: nothing was changed.
            GuardFailed: a document for a draft that is not the postmortem.
        """
        self.ensure_pending("edit")
        if expected_version is not None and expected_version != self.version:
            raise StaleDraft(
                f"cannot edit draft {self.id} at version {expected_version}: it is now at "
                f"version {self.version}; reload it and edit the current text"
            )
        if document is not None and not self.postmortem:
            raise GuardFailed(
                f"draft {self.id} is not the postmortem update: only the root-cause analysis "
                "(update propose --postmortem) publishes a document",
                field="document",
            )
        new_document = self.document if document is None else clean_document(document)
        target = status or self.status
        promise = self.next_update_by
        if next_update_by is not None:
            if target is Status.RECOVERED:
                raise InvalidInput(
                    f"draft {self.id} recovers the incident: a recovery (or postmortem) "
                    "promises no next update; drop the next update time"
                )
            promise = next_update_by
        elif (target is Status.RECOVERED) != (self.status is Status.RECOVERED):
            promise = None if target is Status.RECOVERED else default_next_update_by
        source = self.body_source
        if body is not None:
            cleaned = clean_text(body, what="update body", limit=MAX_BODY, field="body")
            source = mark_promise(cleaned, [self.next_update_by, promise], show_time=show_time)
        text = self._stated(source, promise, show_time, status=target)
        cleaned_reason = (
            clean_text(reason, what="reason", limit=MAX_REASON, field="reason")
            if reason is not None
            else None
        )
        said = (self.body, self.status, self.component_changes, self.next_update_by, self.document)
        self.document = new_document
        self.body_source = source
        self.next_update_by = promise
        self.status = target
        if component_changes is not None:
            self.component_changes = dict(component_changes)
        if cleaned_reason is not None:
            self.reason = cleaned_reason
        self.body = text
        now_says = (text, self.status, self.component_changes, self.next_update_by, self.document)
        if now_says != said:
            self.last_editor = editor
            self.authors = tuple(dict.fromkeys((*self.authors, editor)))
        self.base_status = incident_status
        self.version += 1
        self.updated_at = now

    def reject(self, *, actor: str, reason: str, now: datetime) -> None:
        self.ensure_pending("reject")
        self.state = DraftState.REJECTED
        self.decided_by = actor
        self.decided_at = now
        self.decision_note = clean_text(
            reason, what="rejection reason", limit=MAX_REASON, field="reason"
        )
        self.updated_at = now


@dataclass(frozen=True)
class Update:
    """A published update: what the public was told, and the status it set."""

    id: str
    incident_id: str
    seq: int
    status: Status
    trigger: Trigger
    body: str
    changes: tuple[ComponentChange, ...]
    author: str
    approver: str
    draft_id: str
    published_at: datetime
    next_update_by: datetime | None = None
    #: When its body was last corrected (``body`` is then the corrected text); else None.
    corrected_at: datetime | None = None
    #: Everyone who wrote what it says (corrections included), ``author`` first. Empty: the
    #: author alone.
    authors: tuple[str, ...] = ()
    #: The public postmortem document (Markdown) approved with it; None: none.
    document: str | None = None
    #: False when it was approved without notifying subscribers (``--quiet``); Statuspage's
    #: ``deliver_notifications``.
    deliver_notifications: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "authors", tuple(dict.fromkeys((self.author, *self.authors))))

    @property
    def statuspage_status(self) -> str:
        return "postmortem" if self.trigger is Trigger.POSTMORTEM else self.status.statuspage


def check_version(version: int | None) -> None:
    """Refuse a draft version below 1 (versions count from 1), whatever the draft says.

    Raises:
        InvalidInput: about the version itself (field ``version``), before any draft is read.
    """
    if version is not None and version < 1:
        raise InvalidInput(
            f"version must be 1 or more (a draft's versions count from 1); {version} was given",
            field="version",
        )


def check_draft_ready(
    draft: Draft,
    incident: Incident,
    *,
    version: int | None,
    now: datetime,
    show_time: TimeFormat,
) -> Trigger:
    """Refuse to publish a draft that is decided, stale, no longer a valid move, or whose
    promised next update time has already passed."""
    draft.ensure_pending("approve")
    if version is not None and version != draft.version:
        raise StaleDraft(
            f"cannot approve version {version} of draft {draft.id}: it was edited and is now at "
            f"version {draft.version}; read the current text and approve that version"
        )
    if draft.base_status is not incident.status:
        raise StaleDraft(
            f"cannot approve draft {draft.id}: it was written when {incident.ref} was "
            f"{draft.base_status.value}, and it is now {incident.status.value}; "
            "edit the draft to confirm it still holds, then approve the new version"
        )
    if draft.next_update_by is not None and draft.next_update_by <= now:
        raise GuardFailed(
            f"cannot approve draft {draft.id}: it promises the next update by "
            f"{show_time(draft.next_update_by)}, which has already passed; edit the draft with "
            f"a new time (commsbot update edit {draft.id} --next-update 30m, or the Next "
            "update field in chat), then have someone other than the editor approve it"
        )
    return move_to(incident.status, draft.status, reason=draft.reason, postmortem=draft.postmortem)


def check_recovery(incident: Incident, draft: Draft, components: Mapping[str, Component]) -> None:
    """Refuse a recovery that leaves an affected component non-operational.

    ``components`` holds the current status of the incident's components; the draft's own
    changes count, so an update that restores them and recovers at once is fine.
    """
    if draft.status is not Status.RECOVERED or draft.postmortem:
        return
    after = {name: c.status for name, c in components.items()} | draft.component_changes
    # The draft's own components count too: publishing adds them to the incident.
    affected = dict.fromkeys([*incident.components, *draft.component_changes])
    still_down = [
        n
        for n in affected
        if after.get(n, ComponentStatus.OPERATIONAL) is not ComponentStatus.OPERATIONAL
    ]
    if still_down:
        listing = ", ".join(f"{n} ({after[n].value})" for n in still_down)
        verb = "is" if len(still_down) == 1 else "are"
        fix = ", ".join(f"{n}=operational" for n in still_down)
        raise GuardFailed(
            f"cannot mark {incident.ref} recovered while {listing} {verb} not operational; "
            f"set {fix} in the same update"
        )


def publish(
    *,
    incident: Incident,
    draft: Draft,
    components: Mapping[str, Component],
    approver: str,
    update_id: str,
    now: datetime,
    show_time: TimeFormat,
    version: int | None = None,
) -> Update:
    """Publish ``draft``: move the incident and its components together, or change nothing.

    The caller has already checked the approval policy. ``components`` must hold every
    component the draft changes and every component the incident affects; they are updated in
    place, as are the incident and the draft. The text is written once more here from the
    draft's promised time (``show_time`` formats it), so what is published states exactly the
    ``next_update_by`` the update records. A component already at the status the draft gives it
    is not a change: the update lists only real moves (the incident still affects it).

    Raises:
        StaleDraft, AlreadyDecided, InvalidTransition, GuardFailed: nothing was changed.
        InvalidInput: the text cannot state the promise (see :meth:`Draft.write`).
    """
    trigger = check_draft_ready(draft, incident, version=version, now=now, show_time=show_time)
    new_status = transition(incident.status, trigger, reason=draft.reason)
    check_recovery(incident, draft, components)
    draft.write(show_time)
    changes = tuple(
        ComponentChange(name=name, old=components[name].status, new=new)
        for name, new in draft.component_changes.items()
        if components[name].status is not new
    )
    for change in changes:
        comp = components[change.name]
        comp.status = change.new
        comp.updated_at = now
    for name in draft.component_changes:
        if name not in incident.components:
            incident.components.append(name)
    incident.status = new_status
    incident.updated_at = now
    incident.published_count += 1
    incident.public_title = incident.title
    incident.public_severity = incident.severity
    if trigger is Trigger.RECOVER:
        incident.resolved_at = now
    elif trigger is Trigger.REOPEN:
        incident.resolved_at = None
    draft.state = DraftState.PUBLISHED
    draft.decided_by = approver
    draft.decided_at = now
    draft.updated_at = now
    return Update(
        id=update_id,
        incident_id=incident.id,
        seq=incident.published_count,
        status=new_status,
        trigger=trigger,
        body=draft.body,
        changes=changes,
        author=draft.author,
        authors=draft.authors,
        approver=approver,
        draft_id=draft.id,
        published_at=now,
        next_update_by=None if new_status is Status.RECOVERED else draft.next_update_by,
        document=draft.document,
    )


def clean_document(text: str) -> str:
    """A postmortem's public document, normalised like any published text.

    Raises:
        InvalidInput: control characters, empty, or over :data:`MAX_DOCUMENT` characters
            (field ``document``).
    """
    try:
        return clean_text(text, what="published document", limit=MAX_DOCUMENT)
    except InvalidInput as exc:
        raise InvalidInput(str(exc), field="document") from None


def correct(
    *,
    update: Update,
    draft: Draft,
    approver: str,
    now: datetime,
    show_time: TimeFormat,
    version: int | None = None,
) -> Update:
    """Approve ``draft``, a correction of ``update``: the update's body becomes the draft's.

    Nothing else changes: a correction moves no status and no component (status changes go
    through the transition table, in :func:`publish`). The caller has checked the approval
    policy; ``draft`` is updated in place.

    Raises:
        StaleDraft, AlreadyDecided: nothing was changed.
    """
    draft.ensure_pending("approve")
    if draft.corrects != update.id:
        raise ValueError(f"draft {draft.id} does not correct update {update.id}")
    if version is not None and version != draft.version:
        raise StaleDraft(
            f"cannot approve version {version} of draft {draft.id}: it was edited and is now at "
            f"version {draft.version}; read the current text and approve that version"
        )
    draft.write(show_time)
    draft.state = DraftState.PUBLISHED
    draft.decided_by = approver
    draft.decided_at = now
    draft.updated_at = now
    authors = (*update.authors, *draft.authors)
    return replace(update, body=draft.body, corrected_at=now, authors=authors)


def parse_component_changes(
    pairs: Iterable[str], *, default: ComponentStatus | None = None
) -> dict[str, ComponentStatus]:
    """Parse ``NAME=STATUS`` (or bare ``NAME`` when ``default`` is given) into a mapping.

    Raises:
        InvalidInput: a pair is malformed or names an unknown status.
    """
    valid = ", ".join(s.value for s in ComponentStatus)
    result: dict[str, ComponentStatus] = {}
    for raw in pairs:
        name, sep, value = raw.partition("=")
        name = name.strip()
        if not name:
            raise InvalidInput(f"component {raw!r} has no name; write NAME=STATUS")
        if not sep:
            if default is None:
                raise InvalidInput(
                    f"component {raw!r} has no status; write {name}=STATUS with STATUS one of "
                    f"{valid}"
                )
            result[name] = default
            continue
        try:
            result[name] = ComponentStatus(value.strip().lower().replace(" ", "_"))
        except ValueError:
            raise InvalidInput(
                f"component {name!r} has unknown status {value.strip()!r}; valid: {valid}"
            ) from None
    return result


@dataclass(frozen=True)
class TimelineEntry:
    """One line of an incident's append-only timeline."""

    incident_id: str
    at: datetime
    actor: str
    action: str
    detail: str
    id: int | None = None


def parse_choice(cls: type[_E], value: str, *, what: str) -> _E:
    """``cls(value)``, forgiving case and spaces; else InvalidInput listing the choices."""
    cleaned = value.strip().lower().replace(" ", "_").replace("-", "_")
    for member in cls:
        if member.value == cleaned:
            return member
    choices = ", ".join(m.value for m in cls)
    raise InvalidInput(f"unknown {what} {value!r}; choose one of: {choices}")


@dataclass(frozen=True)
class IncidentSnapshot:
    """An incident and the current status of each component it affects."""

    incident: Incident
    components: Mapping[str, ComponentStatus]

    def as_dict(self) -> dict[str, Any]:
        i = self.incident
        return {
            "id": i.id,
            "number": i.number,
            "ref": i.ref,
            "title": i.title,
            "severity": i.severity.value,
            "status": i.status.value,
            "commander": i.commander,
            "public_title": i.public_title,
            "components": {name: status.value for name, status in self.components.items()},
            "declared_at": iso(i.declared_at),
            "updated_at": iso(i.updated_at),
            "resolved_at": iso(i.resolved_at),
        }

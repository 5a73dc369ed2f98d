"""Scheduled maintenances, their drafts and their published notices.

Plain dataclasses, as in :mod:`commsbot.domain.model`: the store maps them, the use cases call
the functions here. Times are passed in (no clock) and UTC-aware.

Every public word about a maintenance is a :class:`MaintenanceDraft` that a second person
approves under the same four-eyes rule as incident updates
(:meth:`commsbot.domain.policy.ApprovalPolicy.check_approve_maintenance`). The announcement
draft carries the start and end notices too, so the bot can publish them on time, by itself,
without ever publishing a word nobody approved. A draft's kind is the move it makes
(:class:`~commsbot.domain.maintenance.MaintenanceTrigger`); its text may say ``{start}`` and
``{end}``, filled in from the window as it stands when the text is published.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from commsbot.domain.errors import AlreadyDecided, GuardFailed, InvalidInput, StaleDraft
from commsbot.domain.maintenance import (
    MaintenanceStatus,
    MaintenanceTrigger,
    shown_status,
    transition,
)
from commsbot.domain.model import (
    MAX_BODY,
    MAX_REASON,
    MAX_TITLE,
    ComponentChange,
    ComponentStatus,
    DraftState,
    clean_text,
)

T = MaintenanceTrigger
#: Where a text states the window's start and end, filled in when it is published.
START, END = "{start}", "{end}"
#: Formats a moment as the public reads it, with its date ("Wed Dec 11, 10:00 PM PST").
MomentFormat = Callable[[datetime], str]
#: Who the bot acts as when it starts or completes a maintenance on time.
BOT_ACTOR = "commsbot"


@dataclass
class Maintenance:
    """A planned window of work on some components.

    Until its announcement is approved (``announced_at`` None) it is a proposal: the public sees
    nothing, the bot starts nothing, and title, window, components and texts follow the
    announcement draft as it is edited. After that, they change only through approved drafts.

    Attributes:
        owner: who scheduled it; reminded when it overruns.
        start_source / end_source: the start and end notices approved with the announcement
            (with ``{start}``/``{end}`` still in them); the bot publishes exactly these on time.
        announcement_authors / announced_by: who wrote and who approved those texts (named as
            author and approver of the notices the bot publishes from them).
        sequence: the iCalendar ``SEQUENCE``: 0 when announced, one more for each notice
            published after it, so calendar apps replace what they hold.
        published_count: notices published; the next one is number ``published_count + 1``.
        version: optimistic-lock version, owned by the store.
    """

    id: str
    number: int
    title: str
    scheduled_for: datetime
    scheduled_until: datetime
    components: tuple[str, ...]
    owner: str
    created_at: datetime
    updated_at: datetime
    status: MaintenanceStatus = MaintenanceStatus.SCHEDULED
    auto_start: bool = True
    auto_complete: bool = True
    announced_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    start_source: str = ""
    end_source: str = ""
    announcement_authors: tuple[str, ...] = ()
    announced_by: str | None = None
    sequence: int = 0
    published_count: int = 0
    version: int = 0

    @property
    def ref(self) -> str:
        return f"MNT-{self.number}"

    @property
    def announced(self) -> bool:
        return self.announced_at is not None

    @property
    def ended_at(self) -> datetime | None:
        """When it stopped being upcoming or active: completed or cancelled."""
        return self.completed_at or self.cancelled_at

    def covers(self, moment: datetime) -> bool:
        """Whether ``moment`` is inside the planned window."""
        return self.scheduled_for <= moment < self.scheduled_until


@dataclass
class MaintenanceDraft:
    """A proposed public notice about a maintenance, waiting for a second person.

    ``kind`` is the move publishing it makes. What a draft proposes besides its text depends on
    the kind: an announcement names the title, window, components and the start and end texts;
    an extension names the new window; the others only their text. ``body`` keeps ``{start}``
    and ``{end}`` as written; the published notice has them filled in.
    """

    id: str
    maintenance_id: str
    kind: MaintenanceTrigger
    author: str
    body: str
    base_status: MaintenanceStatus
    created_at: datetime
    updated_at: datetime
    title: str | None = None
    scheduled_for: datetime | None = None
    scheduled_until: datetime | None = None
    components: tuple[str, ...] | None = None
    start_text: str | None = None
    end_text: str | None = None
    version: int = 1
    state: DraftState = DraftState.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
    #: Who last changed what the notice says: they may not approve this version.
    last_editor: str = ""
    #: Everyone who changed what it says, in order, the author first.
    authors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.last_editor = self.last_editor or self.author
        self.authors = tuple(dict.fromkeys((self.author, *self.authors)))

    def said(self) -> tuple[object, ...]:
        """Everything a reader approves: an edit that changes any of it needs new eyes."""
        return (
            self.body,
            self.title,
            self.scheduled_for,
            self.scheduled_until,
            self.components,
            self.start_text,
            self.end_text,
        )

    def ensure_pending(self, attempted: str) -> None:
        if self.state is not DraftState.PENDING:
            who = f" by {self.decided_by}" if self.decided_by else ""
            raise AlreadyDecided(
                f"cannot {attempted} draft {self.id}: it was already {self.state.value}{who}; "
                "only pending drafts can be changed — propose a new one instead"
            )

    def ensure_version(self, version: int | None, attempted: str) -> None:
        if version is not None and version != self.version:
            raise StaleDraft(
                f"cannot {attempted} version {version} of draft {self.id}: it was edited and is "
                f"now at version {self.version}; read the current text and {attempted} that "
                "version",
                field="version",
            )

    def edit(
        self,
        *,
        now: datetime,
        editor: str,
        maintenance_status: MaintenanceStatus,
        body: str | None = None,
        title: str | None = None,
        scheduled_for: datetime | None = None,
        scheduled_until: datetime | None = None,
        components: tuple[str, ...] | None = None,
        start_text: str | None = None,
        end_text: str | None = None,
        expected_version: int | None = None,
    ) -> None:
        """Change the draft (checked values only); its version goes up, so an approval of the
        old version is refused as stale. Whoever changes what it says becomes its last editor.

        Raises:
            AlreadyDecided, StaleDraft, InvalidInput: nothing was changed.
        """
        self.ensure_pending("edit")
        self.ensure_version(expected_version, "edit")
        announce = self.kind is T.ANNOUNCE
        window = self.kind in (T.ANNOUNCE, T.EXTEND)
        offered = {
            "title": (title, announce),
            "components": (components, announce),
            "start_text": (start_text, announce),
            "end_text": (end_text, announce),
            "scheduled_for": (scheduled_for, window),
            "scheduled_until": (scheduled_until, window),
        }
        for name, (value, fits) in offered.items():
            if value is not None and not fits:
                raise InvalidInput(
                    f"a {self.kind.value} draft has no {name}; only its text can change "
                    "(an announcement carries the title, window, components and start and "
                    "end texts; an extension the window)",
                    field=name,
                )
        before = self.said()
        self.body = body if body is not None else self.body
        self.title = title if title is not None else self.title
        self.scheduled_for = scheduled_for or self.scheduled_for
        self.scheduled_until = scheduled_until or self.scheduled_until
        self.components = components if components is not None else self.components
        self.start_text = start_text if start_text is not None else self.start_text
        self.end_text = end_text if end_text is not None else self.end_text
        if self.said() != before:
            self.last_editor = editor
            self.authors = tuple(dict.fromkeys((*self.authors, editor)))
        self.base_status = maintenance_status
        self.version += 1
        self.updated_at = now

    def reject(self, *, actor: str, reason: str, now: datetime) -> None:
        self.ensure_pending("reject")
        self.state = DraftState.REJECTED
        self.decided_by = actor
        self.decided_at = now
        self.decision_note = clean_text(reason, what="rejection reason", limit=MAX_REASON)
        self.updated_at = now


@dataclass(frozen=True)
class MaintenanceNotice:
    """A published notice: what the public was told about a maintenance, and when.

    ``body`` is final (``{start}``/``{end}`` filled in); ``scheduled_for``/``scheduled_until``
    are the window as this notice left it; ``changes`` are the components' shown statuses it
    moved (a start and a completion move them). ``automatic``: the bot published it on time,
    from the texts approved with the announcement (``draft_id`` is then that announcement's).
    """

    id: str
    maintenance_id: str
    seq: int
    kind: MaintenanceTrigger
    status: MaintenanceStatus
    body: str
    scheduled_for: datetime
    scheduled_until: datetime
    author: str
    approver: str
    draft_id: str | None
    published_at: datetime
    changes: tuple[ComponentChange, ...] = ()
    authors: tuple[str, ...] = ()
    automatic: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "authors", tuple(dict.fromkeys((self.author, *self.authors))))


@dataclass(frozen=True)
class Components:
    """The components a start or a completion moves, as the incidents left them.

    Attributes:
        statuses: each named component's status as published incident updates set it.
        elsewhere: components another active maintenance also covers (they stay under
            maintenance when this one completes).
    """

    statuses: Mapping[str, ComponentStatus]
    elsewhere: frozenset[str] = frozenset()

    def moves(
        self, names: Iterable[str], *, active_before: bool, active_after: bool
    ) -> tuple[ComponentChange, ...]:
        """What the public sees change when this maintenance goes from active (or not) to
        active (or not): only real moves, in the order of ``names``."""
        changes = []
        for name in names:
            status = self.statuses.get(name, ComponentStatus.OPERATIONAL)
            other = name in self.elsewhere
            old = shown_status(status, under_maintenance=other or active_before)
            new = shown_status(status, under_maintenance=other or active_after)
            if old is not new:
                changes.append(ComponentChange(name=name, old=old, new=new))
        return tuple(changes)


def fill_window(source: str, *, start: datetime, end: datetime, show: MomentFormat) -> str:
    """``source`` with ``{start}`` and ``{end}`` replaced by the window as the public reads it.

    Raises:
        InvalidInput: the text, filled in, is longer than a notice may be.
    """
    text = source.replace(START, show(start)).replace(END, show(end))
    if len(text) > MAX_BODY:
        raise InvalidInput(
            f"the notice is {len(text)} characters long with its times filled in; the most "
            f"allowed is {MAX_BODY}",
            field="body",
        )
    return text


def check_title(title: str) -> str:
    return clean_text(title, what="title", limit=MAX_TITLE)


def check_text(text: str, *, what: str) -> str:
    return clean_text(text, what=what, limit=MAX_BODY)


@dataclass(frozen=True)
class Approval:
    """Who approved a draft, and with what: everything :func:`publish` needs besides the draft."""

    approver: str
    notice_id: str
    now: datetime
    show: MomentFormat
    version: int | None = None


def check_ready(
    maintenance: Maintenance,
    draft: MaintenanceDraft,
    *,
    version: int | None,
    now: datetime,
    show: MomentFormat,
) -> MaintenanceStatus:
    """Refuse to publish a draft that is decided, stale, or no longer a move that exists.

    Returns the status publishing it leads to.

    Raises:
        AlreadyDecided, StaleDraft, InvalidTransition, GuardFailed.
    """
    draft.ensure_pending("approve")
    draft.ensure_version(version, "approve")
    if draft.base_status is not maintenance.status:
        raise StaleDraft(
            f"cannot approve draft {draft.id}: it was written when {maintenance.ref} was "
            f"{draft.base_status.value}, and it is now {maintenance.status.value}; edit the "
            "draft to confirm it still holds, then approve the new version"
        )
    nxt = transition(maintenance.status, draft.kind)
    if draft.kind is T.ANNOUNCE and maintenance.announced:
        raise GuardFailed(f"{maintenance.ref} was already announced; propose a change instead")
    if draft.kind is not T.ANNOUNCE and not maintenance.announced:
        raise GuardFailed(
            f"{maintenance.ref} has not been announced yet: approve its announcement first, "
            "so the public hears of it before anything else"
        )
    end = draft.scheduled_until or maintenance.scheduled_until
    if draft.kind in (T.ANNOUNCE, T.EXTEND) and end <= now:
        raise GuardFailed(
            f"cannot approve draft {draft.id}: the window it announces ends {show(end)}, "
            "which has already passed; edit the draft with a later end (commsbot maintenance "
            f"edit {draft.id} --end …), then have someone other than the editor approve it",
            field="scheduled_until",
        )
    return nxt


def publish(
    maintenance: Maintenance,
    draft: MaintenanceDraft,
    *,
    approval: Approval,
    components: Components,
) -> MaintenanceNotice:
    """Publish ``draft``: apply what it proposes and make the move, or change nothing.

    The caller has checked the approval policy. ``maintenance`` and ``draft`` are updated in
    place.

    Raises:
        AlreadyDecided, StaleDraft, InvalidTransition, GuardFailed, InvalidInput.
    """
    now = approval.now
    nxt = check_ready(maintenance, draft, version=approval.version, now=now, show=approval.show)
    if draft.kind in (T.ANNOUNCE, T.EXTEND):
        start = draft.scheduled_for or maintenance.scheduled_for
        end = draft.scheduled_until or maintenance.scheduled_until
    else:
        start, end = maintenance.scheduled_for, maintenance.scheduled_until
    body = fill_window(draft.body, start=start, end=end, show=approval.show)
    if draft.kind is T.ANNOUNCE:
        maintenance.title = draft.title or maintenance.title
        maintenance.components = draft.components or maintenance.components
        maintenance.start_source = draft.start_text or maintenance.start_source
        maintenance.end_source = draft.end_text or maintenance.end_source
        maintenance.announced_at = now
        maintenance.announced_by = approval.approver
        maintenance.announcement_authors = draft.authors
    draft.state = DraftState.PUBLISHED
    draft.decided_by = approval.approver
    draft.decided_at = now
    draft.updated_at = now
    return _move(
        maintenance,
        kind=draft.kind,
        status=nxt,
        body=body,
        window=(start, end),
        author=draft.author,
        authors=draft.authors,
        approver=approval.approver,
        draft_id=draft.id,
        notice_id=approval.notice_id,
        now=now,
        components=components,
    )


def publish_approved(
    maintenance: Maintenance,
    kind: MaintenanceTrigger,
    *,
    notice_id: str,
    now: datetime,
    show: MomentFormat,
    components: Components,
) -> MaintenanceNotice:
    """Start or complete ``maintenance`` with the text approved with its announcement.

    For the bot on time, and for a person who starts or completes it without writing a new
    text: either way only approved words are published.

    Raises:
        InvalidTransition: it cannot make that move from where it stands.
        GuardFailed: it was never announced (so no start or end text was approved).
    """
    if kind not in (T.START, T.COMPLETE):
        raise ValueError(f"only start and complete have approved texts, not {kind.value}")
    nxt = transition(maintenance.status, kind)
    if not maintenance.announced or maintenance.announced_by is None:
        raise GuardFailed(
            f"{maintenance.ref} was never announced, so no {kind.value} notice was approved; "
            "approve its announcement first"
        )
    source = maintenance.start_source if kind is T.START else maintenance.end_source
    body = fill_window(
        source, start=maintenance.scheduled_for, end=maintenance.scheduled_until, show=show
    )
    authors = maintenance.announcement_authors or (maintenance.owner,)
    return _move(
        maintenance,
        kind=kind,
        status=nxt,
        body=body,
        window=(maintenance.scheduled_for, maintenance.scheduled_until),
        author=authors[0],
        authors=authors,
        approver=maintenance.announced_by,
        draft_id=None,
        notice_id=notice_id,
        now=now,
        components=components,
        automatic=True,
    )


def _move(
    maintenance: Maintenance,
    *,
    kind: MaintenanceTrigger,
    status: MaintenanceStatus,
    body: str,
    window: tuple[datetime, datetime],
    author: str,
    authors: tuple[str, ...],
    approver: str,
    draft_id: str | None,
    notice_id: str,
    now: datetime,
    components: Components,
    automatic: bool = False,
) -> MaintenanceNotice:
    was_active = maintenance.status.active
    changes = components.moves(
        maintenance.components, active_before=was_active, active_after=status.active
    )
    maintenance.scheduled_for, maintenance.scheduled_until = window
    if kind is T.START:
        maintenance.started_at = now
    elif kind is T.COMPLETE:
        maintenance.completed_at = now
    elif kind is T.CANCEL:
        maintenance.cancelled_at = now
    if kind is not T.ANNOUNCE:
        maintenance.sequence += 1
    maintenance.status = status
    maintenance.published_count += 1
    maintenance.updated_at = now
    return MaintenanceNotice(
        id=notice_id,
        maintenance_id=maintenance.id,
        seq=maintenance.published_count,
        kind=kind,
        status=status,
        body=body,
        scheduled_for=maintenance.scheduled_for,
        scheduled_until=maintenance.scheduled_until,
        author=author,
        authors=authors,
        approver=approver,
        draft_id=draft_id,
        published_at=now,
        changes=changes,
        automatic=automatic,
    )


def cancel_unannounced(maintenance: Maintenance, *, now: datetime) -> None:
    """Drop a maintenance the public never heard of: nothing is published.

    Raises:
        GuardFailed: it was announced (cancelling it is a notice, approved like any other).
        InvalidTransition: it cannot be cancelled from where it stands.
    """
    if maintenance.announced:
        raise GuardFailed(
            f"{maintenance.ref} was announced: its cancellation is a public notice, drafted and "
            "approved like the announcement"
        )
    maintenance.status = transition(maintenance.status, T.CANCEL)
    maintenance.cancelled_at = now
    maintenance.updated_at = now


def overlapping(
    maintenance: Maintenance, others: Iterable[Maintenance]
) -> list[tuple[Maintenance, tuple[str, ...]]]:
    """The other maintenances whose window overlaps this one's on a shared component.

    Overlap is allowed (two teams may work on one component at once); the caller says so.
    """
    mine = set(maintenance.components)
    found = []
    for other in others:
        if other.id == maintenance.id or other.status.finished:
            continue
        shared = tuple(c for c in other.components if c in mine)
        if (
            shared
            and other.scheduled_for < maintenance.scheduled_until
            and maintenance.scheduled_for < other.scheduled_until
        ):
            found.append((other, shared))
    return found

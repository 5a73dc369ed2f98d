"""Use cases on scheduled maintenance: schedule, edit a draft, start, verify, complete, extend,
cancel, post a note, reject a draft, list and show. Approving (which publishes) is in
:mod:`commsbot.services.maintenance_publish`, reached through the one approval path for every
draft (:func:`commsbot.services.drafts.approve_draft`).

Times are typed in the page's ``timezone`` (or with an offset or zone name) and stored in UTC;
each refusal names the field it is about.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from commsbot.domain.errors import ConcurrentChange, GuardFailed, InvalidInput
from commsbot.domain.maintenance import MaintenanceStatus, MaintenanceTrigger, transition
from commsbot.domain.model import MAX_REASON, check_version, clean_text
from commsbot.domain.policy import Actor
from commsbot.maintenance.model import (
    Maintenance,
    MaintenanceDraft,
    cancel_unannounced,
    check_text,
    check_title,
    overlapping,
)
from commsbot.maintenance.render import format_moment, format_window
from commsbot.maintenance.views import (
    MaintenanceChanged,
    MaintenanceDetail,
    MaintenanceDraftResult,
    MaintenancePublished,
    Scheduled,
)
from commsbot.maintenance.window import (
    END_FIELD,
    START_FIELD,
    Window,
    check_window,
    parse_moment,
    parse_window,
    zone_named,
)
from commsbot.services import components as catalogue
from commsbot.services import maintenance_publish as publishing
from commsbot.services import maintenance_timers as timers
from commsbot.services.deps import Deps
from commsbot.services.ports import UnitOfWork

T, M = MaintenanceTrigger, MaintenanceStatus
_SCHEDULE_ATTEMPTS = 3


@dataclass(frozen=True)
class Texts:
    """The public texts of an announcement, as typed (None: the template's)."""

    body: str | None = None
    start_text: str | None = None
    end_text: str | None = None

    def cleaned(self) -> Texts:
        return Texts(*(_clean(v, f) for v, f in self._fields()))

    def _fields(self) -> list[tuple[str | None, str]]:
        return [(self.body, "body"), (self.start_text, "start_text"), (self.end_text, "end_text")]


def _clean(text: str | None, field: str) -> str | None:
    if text is None:
        return None
    try:
        return check_text(text, what=field.replace("_", " "))
    except InvalidInput as refused:
        raise InvalidInput(refused.message, field=field) from None


def _zone(deps: Deps, timezone: str | None) -> ZoneInfo:
    return zone_named(timezone) if timezone and timezone.strip() else deps.settings.zone


def _title(title: str) -> str:
    try:
        return check_title(title)
    except InvalidInput as refused:
        raise InvalidInput(refused.message, field="title") from None


def _names(uow: UnitOfWork, deps: Deps, typed: Sequence[str], *, now: datetime) -> tuple[str, ...]:
    resolved = catalogue.resolve(uow, deps.settings, typed, now=now)
    return tuple(dict.fromkeys(resolved[t].name for t in typed))


def _overlaps(deps: Deps, uow: UnitOfWork, m: Maintenance) -> tuple[str, ...]:
    zone = deps.settings.zone

    def say(other: Maintenance, shared: tuple[str, ...]) -> str:
        window = format_window(other.scheduled_for, other.scheduled_until, zone)
        state = other.status.value + ("" if other.announced else ", not announced yet")
        verb = "is" if len(shared) == 1 else "are"
        return (
            f"{', '.join(shared)} {verb} also under maintenance {other.ref} “{other.title}” "
            f"({window}, {state}); both are allowed, and the status page shows both"
        )

    return tuple(
        say(other, shared)
        for other, shared in overlapping(m, uow.maintenances.list(open_only=True))
    )


def schedule(
    deps: Deps,
    *,
    title: str,
    start: str,
    end: str,
    components: Sequence[str],
    actor: Actor,
    timezone: str | None = None,
    texts: Texts = Texts(),
    auto_start: bool | None = None,
    auto_complete: bool | None = None,
) -> Scheduled:
    """Plan a maintenance window and draft its announcement (with its start and end texts).

    Nothing is public until a second person approves the announcement; then the bot publishes
    the start and end texts on time (``auto_start``/``auto_complete``, default from
    ``[maintenance]``).

    Args:
        start: when the window opens, as typed (``2024-12-11 22:00``, ``…-08:00``, ``tomorrow
            22:00``, ``2h``); in ``timezone`` (default: the page's) unless it says otherwise.
        end: when it closes, as typed, or its length (``2h``).
        components: the components under maintenance (configured names).

    Raises:
        InvalidInput: with ``field``: a bad title, text, time zone, window (ends before it
            starts, in the past, longer than ``max_window_hours``) or unknown component.
        NotAllowed: ``actor`` is not a responder.
    """
    deps.settings.policy().check_respond(actor, "schedule a maintenance")
    title = _title(title)
    texts = texts.cleaned()
    zone = _zone(deps, timezone)
    now = deps.clock.now()
    window = parse_window(start, end, now=now, zone=zone)
    check_window(window, now=now, zone=zone, config=deps.settings.maintenance)
    for attempt in range(_SCHEDULE_ATTEMPTS):
        try:
            return _schedule_once(
                deps,
                title=title,
                window=window,
                components=components,
                actor=actor,
                texts=texts,
                auto_start=auto_start,
                auto_complete=auto_complete,
            )
        except ConcurrentChange:
            if attempt == _SCHEDULE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _schedule_once(
    deps: Deps,
    *,
    title: str,
    window: Window,
    components: Sequence[str],
    actor: Actor,
    texts: Texts,
    auto_start: bool | None,
    auto_complete: bool | None,
) -> Scheduled:
    cfg = deps.settings.maintenance
    now = deps.clock.now()
    with deps.uow() as uow:
        names = _names(uow, deps, components, now=now)

        def default(kind: str) -> str:
            return deps.renderer.maintenance(kind, title=title, components=names)

        m = Maintenance(
            id=deps.ids(),
            number=uow.maintenances.next_number(),
            title=title,
            scheduled_for=window.start,
            scheduled_until=window.end,
            components=names,
            owner=actor.id,
            created_at=now,
            updated_at=now,
            auto_start=cfg.auto_start if auto_start is None else auto_start,
            auto_complete=cfg.auto_complete if auto_complete is None else auto_complete,
            start_source=texts.start_text or default("start"),
            end_source=texts.end_text or default("complete"),
        )
        uow.maintenances.add(m)
        draft = MaintenanceDraft(
            id=deps.ids(),
            maintenance_id=m.id,
            kind=T.ANNOUNCE,
            author=actor.id,
            body=texts.body or default("announce"),
            base_status=m.status,
            created_at=now,
            updated_at=now,
            title=title,
            scheduled_for=window.start,
            scheduled_until=window.end,
            components=names,
            start_text=m.start_source,
            end_text=m.end_source,
        )
        uow.maintenances.add_draft(draft)
        warnings = _overlaps(deps, uow, m)
        publishing.note(
            uow,
            m,
            at=now,
            actor=actor.id,
            action="scheduled",
            detail=(
                f"scheduled {format_window(m.scheduled_for, m.scheduled_until, deps.settings.zone)}"
                f" on {', '.join(names) or 'no component'}; announcement drafted ({draft.id})"
                + "".join(f"; warning: {w}" for w in warnings)
            ),
        )
        publishing.request_approval(deps, uow, m, draft, actor=actor.id, edited=False)
        timers.replan(deps, uow, m, actor=actor.id)
        result = Scheduled(maintenance=m, draft=draft, warnings=warnings)
        uow.commit()
    return result


def edit_draft(
    deps: Deps,
    *,
    draft_id: str,
    actor: Actor,
    version: int | None = None,
    body: str | None = None,
    title: str | None = None,
    start: str | None = None,
    end: str | None = None,
    components: Sequence[str] | None = None,
    start_text: str | None = None,
    end_text: str | None = None,
    timezone: str | None = None,
) -> MaintenanceDraftResult:
    """Change a pending maintenance draft; its version goes up, so an approval of the old one
    is refused, and whoever changes what it says may not approve the new version.

    An announcement takes a new title, window, components, text and start and end texts; an
    extension a new window (only its end once the work has begun) and text; the others only
    their text. Until the announcement is approved the maintenance follows its draft.
    """
    check_version(version)
    deps.settings.policy().check_respond(actor, "edit a maintenance draft")
    given = (body, title, start, end, components, start_text, end_text)
    if all(v is None or (isinstance(v, str) and not v.strip()) for v in given):
        raise InvalidInput(
            "nothing to change; give a new text, title, start, end, components or start and "
            "end texts"
        )
    texts = Texts(body, start_text, end_text).cleaned()
    new_title = _title(title) if title is not None else None
    zone = _zone(deps, timezone)
    now = deps.clock.now()
    with deps.uow() as uow:
        draft = uow.maintenances.get_draft(draft_id)
        draft.ensure_pending("edit")
        m = uow.maintenances.get(draft.maintenance_id)
        window = _new_window(deps, m, draft, start=start, end=end, zone=zone, now=now)
        names = _names(uow, deps, components, now=now) if components is not None else None
        draft.edit(
            now=now,
            editor=actor.id,
            maintenance_status=m.status,
            body=texts.body,
            title=new_title,
            scheduled_for=window.start if window else None,
            scheduled_until=window.end if window else None,
            components=names,
            start_text=texts.start_text,
            end_text=texts.end_text,
            expected_version=version,
        )
        uow.maintenances.save_draft(draft)
        warnings: tuple[str, ...] = ()
        if draft.kind is T.ANNOUNCE and not m.announced:
            m.title = draft.title or m.title
            m.scheduled_for = draft.scheduled_for or m.scheduled_for
            m.scheduled_until = draft.scheduled_until or m.scheduled_until
            m.components = draft.components if draft.components is not None else m.components
            m.start_source = draft.start_text or m.start_source
            m.end_source = draft.end_text or m.end_source
            m.updated_at = now
            uow.maintenances.save(m)
            timers.replan(deps, uow, m, actor=actor.id)
            warnings = _overlaps(deps, uow, m)
        publishing.note(
            uow,
            m,
            at=now,
            actor=actor.id,
            action="draft_edited",
            detail=f"edited draft {draft.id} ({draft.kind.value}), now v{draft.version}",
        )
        publishing.request_approval(deps, uow, m, draft, actor=actor.id, edited=True)
        result = MaintenanceDraftResult(maintenance=m, draft=draft, warnings=warnings)
        uow.commit()
    return result


def _new_window(
    deps: Deps,
    m: Maintenance,
    draft: MaintenanceDraft,
    *,
    start: str | None,
    end: str | None,
    zone: ZoneInfo,
    now: datetime,
) -> Window | None:
    start, end = (start or "").strip() or None, (end or "").strip() or None
    if start is None and end is None:
        return None
    started = m.started_at is not None
    if started and start is not None:
        raise InvalidInput(
            f"{m.ref} started at {format_moment(m.started_at or m.scheduled_for, zone)}; only "
            "the end of a window under way can move",
            field=START_FIELD,
        )
    begin = draft.scheduled_for or m.scheduled_for
    if start is not None:
        begin = parse_moment(start, now=now, zone=zone, field=START_FIELD)
    if end is not None:
        window = parse_window("", end, now=now, zone=zone, started_at=begin)
    else:
        window = Window(
            begin,
            begin
            + (
                (draft.scheduled_until or m.scheduled_until)
                - (draft.scheduled_for or m.scheduled_for)
            ),
        )
    check_window(
        window,
        now=now,
        zone=zone,
        config=deps.settings.maintenance,
        started=started or start is None,
    )
    return window


def _draft(
    deps: Deps,
    uow: UnitOfWork,
    m: Maintenance,
    kind: MaintenanceTrigger,
    *,
    actor: Actor,
    body: str | None,
    window: Window | None = None,
) -> MaintenanceDraftResult:
    """File a draft of ``kind`` for ``m`` (its text: ``body``, or the template's)."""
    transition(m.status, kind)  # refuse at once what could never be approved
    if not m.announced:
        raise GuardFailed(
            f"{m.ref} has not been announced yet: approve its announcement first, or change "
            "what it says by editing its draft (commsbot maintenance edit DRAFT …)"
        )
    now = deps.clock.now()
    text = body or deps.renderer.maintenance(
        kind.value, title=m.title, components=m.components, started=m.started_at is not None
    )
    draft = MaintenanceDraft(
        id=deps.ids(),
        maintenance_id=m.id,
        kind=kind,
        author=actor.id,
        body=text,
        base_status=m.status,
        created_at=now,
        updated_at=now,
        scheduled_for=window.start if window else None,
        scheduled_until=window.end if window else None,
    )
    uow.maintenances.add_draft(draft)
    publishing.note(
        uow,
        m,
        at=now,
        actor=actor.id,
        action="draft_proposed",
        detail=f"drafted a {kind.value} notice ({draft.id})",
    )
    publishing.request_approval(deps, uow, m, draft, actor=actor.id, edited=False)
    return MaintenanceDraftResult(maintenance=m, draft=draft)


def _move(
    deps: Deps,
    *,
    ref: str,
    actor: Actor,
    kind: MaintenanceTrigger,
    body: str | None,
    attempted: str,
) -> MaintenancePublished | MaintenanceDraftResult:
    deps.settings.policy().check_respond(actor, attempted)
    text = _clean(body, "body") if body and body.strip() else None
    with deps.uow() as uow:
        m = uow.maintenances.get(ref)
        if m.status is M.VERIFYING and kind is T.START:
            kind = T.RESUME
        result: MaintenancePublished | MaintenanceDraftResult
        if text is None and kind in (T.START, T.COMPLETE):
            # The words were approved with the announcement: publish them now.
            result = publishing.publish_now(deps, uow, m, kind, actor=actor.id)
        else:
            result = _draft(deps, uow, m, kind, actor=actor, body=text)
        uow.commit()
    return result


def start(
    deps: Deps, *, ref: str, actor: Actor, body: str | None = None
) -> MaintenancePublished | MaintenanceDraftResult:
    """Start a maintenance now (its window may not have begun: work can start early).

    Without ``body`` the start text approved with the announcement is published at once; with
    one, it is a draft for a second person. On a maintenance being verified, it drafts a
    return to in progress (the default text says verification found more to do).
    """
    return _move(
        deps, ref=ref, actor=actor, kind=T.START, body=body, attempted="start a maintenance"
    )


def complete(
    deps: Deps, *, ref: str, actor: Actor, body: str | None = None
) -> MaintenancePublished | MaintenanceDraftResult:
    """Complete a maintenance now: with the approved end text, or a new text (a draft)."""
    return _move(
        deps, ref=ref, actor=actor, kind=T.COMPLETE, body=body, attempted="complete a maintenance"
    )


def verify(
    deps: Deps, *, ref: str, actor: Actor, body: str | None = None
) -> MaintenanceDraftResult:
    """Draft the move to verifying (the work is done and being checked)."""
    result = _move(
        deps, ref=ref, actor=actor, kind=T.VERIFY, body=body, attempted="verify a maintenance"
    )
    assert isinstance(result, MaintenanceDraftResult)
    return result


def post_note(deps: Deps, *, ref: str, actor: Actor, body: str) -> MaintenanceDraftResult:
    """Draft a progress note (the status stays)."""
    if not body.strip():
        raise InvalidInput("a note needs its text (--body TEXT)", field="body")
    result = _move(deps, ref=ref, actor=actor, kind=T.PROGRESS, body=body, attempted="post a note")
    assert isinstance(result, MaintenanceDraftResult)
    return result


def extend(
    deps: Deps,
    *,
    ref: str,
    actor: Actor,
    end: str,
    start: str | None = None,
    body: str | None = None,
    timezone: str | None = None,
) -> MaintenanceDraftResult:
    """Draft a new window: a later (or earlier) end, and before the work begins a new start.

    Approving it moves the window, the bot's timers and the calendar event (a new SEQUENCE).
    """
    deps.settings.policy().check_respond(actor, "extend a maintenance")
    text = _clean(body, "body") if body and body.strip() else None
    zone = _zone(deps, timezone)
    now = deps.clock.now()
    if not end.strip() and not (start or "").strip():
        raise InvalidInput("give the new end (--end …), or the new start and end", field=END_FIELD)
    with deps.uow() as uow:
        m = uow.maintenances.get(ref)
        transition(m.status, T.EXTEND)
        if not m.announced:
            pending = uow.maintenances.drafts(m.id, pending_only=True)
            which = pending[0].id if pending else "DRAFT"
            raise GuardFailed(
                f"{m.ref} has not been announced yet: change its window in its announcement "
                f"draft (commsbot maintenance edit {which} --start … --end …)"
            )
        probe = MaintenanceDraft(
            id="",
            maintenance_id=m.id,
            kind=T.EXTEND,
            author=actor.id,
            body="",
            base_status=m.status,
            created_at=now,
            updated_at=now,
        )
        window = _new_window(deps, m, probe, start=start, end=end, zone=zone, now=now)
        assert window is not None
        if (window.start, window.end) == (m.scheduled_for, m.scheduled_until):
            raise InvalidInput(
                f"{m.ref} already runs {format_window(window.start, window.end, zone)}; give "
                "another end",
                field=END_FIELD,
            )
        result = _draft(deps, uow, m, T.EXTEND, actor=actor, body=text, window=window)
        moved = replace(m, scheduled_for=window.start, scheduled_until=window.end)
        result = MaintenanceDraftResult(
            result.maintenance, result.draft, _overlaps(deps, uow, moved)
        )
        uow.commit()
    return result


def cancel(
    deps: Deps, *, ref: str, actor: Actor, body: str | None = None
) -> MaintenanceChanged | MaintenanceDraftResult:
    """Cancel a maintenance that has not started.

    One never announced is dropped at once, publishing nothing (its announcement draft is
    withdrawn). One announced needs a cancellation notice, drafted and approved like any
    other; approving it cancels it and its calendar event.
    """
    deps.settings.policy().check_respond(actor, "cancel a maintenance")
    text = _clean(body, "body") if body and body.strip() else None
    now = deps.clock.now()
    with deps.uow() as uow:
        m = uow.maintenances.get(ref)
        if m.announced:
            draft_result = _draft(deps, uow, m, T.CANCEL, actor=actor, body=text)
            uow.commit()
            return draft_result
        cancel_unannounced(m, now=now)
        uow.maintenances.save(m)
        for draft in uow.maintenances.drafts(m.id, pending_only=True):
            draft.reject(actor=actor.id, reason=f"{m.ref} was cancelled", now=now)
            uow.maintenances.save_draft(draft)
            publishing.decided(deps, uow, m, draft)
        timers.replan(deps, uow, m, actor=actor.id)
        publishing.note(
            uow,
            m,
            at=now,
            actor=actor.id,
            action="cancelled",
            detail="cancelled before it was announced: nothing was published",
        )
        result = MaintenanceChanged(maintenance=m)
        uow.commit()
    return result


def reject_draft(deps: Deps, *, draft_id: str, actor: Actor, reason: str) -> MaintenanceDraftResult:
    """Reject a maintenance draft with a reason; its author may withdraw it this way."""
    reason = clean_text(reason, what="rejection reason", limit=MAX_REASON)
    now = deps.clock.now()
    with deps.uow() as uow:
        draft = uow.maintenances.get_draft(draft_id)
        draft.ensure_pending("reject")
        m = uow.maintenances.get(draft.maintenance_id)
        deps.settings.policy().check_reject_maintenance(actor, draft, m.ref)
        draft.reject(actor=actor.id, reason=reason, now=now)
        uow.maintenances.save_draft(draft)
        publishing.decided(deps, uow, m, draft)
        publishing.note(
            uow,
            m,
            at=now,
            actor=actor.id,
            action="draft_rejected",
            detail=f"rejected draft {draft.id} ({draft.kind.value}): {reason}",
        )
        result = MaintenanceDraftResult(maintenance=m, draft=draft)
        uow.commit()
    return result


def owns_draft(deps: Deps, draft_id: str) -> bool:
    """Whether ``draft_id`` is a maintenance draft (the approval path asks)."""
    from commsbot.domain.errors import NotFound

    with deps.read() as uow:
        try:
            uow.maintenances.get_draft(draft_id)
        except NotFound:
            return False
    return True


def list_maintenances(
    deps: Deps, *, include_finished: bool = False, limit: int = 50
) -> list[Maintenance]:
    """Open maintenances (all, with ``include_finished``), latest window first."""
    with deps.read() as uow:
        return list(uow.maintenances.list(open_only=not include_finished, limit=limit))


def show(deps: Deps, *, ref: str) -> MaintenanceDetail:
    """A maintenance with its published notices, pending drafts, timeline and overlaps."""
    with deps.read() as uow:
        m = uow.maintenances.get(ref)
        return MaintenanceDetail(
            maintenance=m,
            notices=uow.maintenances.notices([m.id])[m.id],
            pending=uow.maintenances.drafts(m.id, pending_only=True),
            timeline=uow.maintenance_timeline.for_maintenance(m.id),
            overlaps=_overlaps(deps, uow, m) if not m.status.finished else (),
        )

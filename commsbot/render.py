"""Plain-text renderings of the use cases' results, for the CLI, the demo and the console
destination."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from commsbot.delivery.model import DeliveryKind, DeliveryRecord, DeliveryState
from commsbot.domain.lifecycle import Trigger
from commsbot.domain.model import Draft, IncidentSnapshot, TimelineEntry, Update
from commsbot.services.results import IncidentDetail
from commsbot.templates import format_moment, format_promise

if TYPE_CHECKING:
    from commsbot.services.deliveries import Deliveries
    from commsbot.subscriptions.fanout import Fanout


def incident_line(snap: IncidentSnapshot, zone: ZoneInfo) -> str:
    i = snap.incident
    return (
        f"{i.ref:<8} {i.status.value:<13} {i.severity.value}  {i.title}"
        # The commander, not who declared it: a handoff changes the commander.
        f"  (declared {format_moment(i.declared_at, zone)}; commander {i.commander})"
    )


def components_block(snap: IncidentSnapshot) -> list[str]:
    if not snap.components:
        return ["  components: none named"]
    return [f"  {name}: {status.value}" for name, status in snap.components.items()]


def draft_block(draft: Draft, zone: ZoneInfo) -> list[str]:
    kind = "postmortem" if draft.postmortem else draft.status.value
    if draft.corrects:
        kind = f"correction of update {draft.corrects}"
    edited = f", last changed by {draft.last_editor}" if len(draft.authors) > 1 else ""
    lines = [
        f"draft {draft.id} v{draft.version} ({kind}) by {', '.join(draft.authors)}{edited}, "
        f"{draft.state.value}, {format_moment(draft.updated_at, zone)}"
    ]
    lines += [f"  | {line}" for line in draft.body.splitlines()]
    lines += [f"  component {n} → {s.value}" for n, s in draft.component_changes.items()]
    if draft.next_update_by and draft.corrects is None:
        promised = format_promise(draft.next_update_by, zone, now=draft.updated_at)
        lines.append(f"  next update by {promised}")
    if draft.reason:
        lines.append(f"  reason: {draft.reason}")
    if draft.decision_note:
        lines.append(f"  {draft.state.value} by {draft.decided_by}: {draft.decision_note}")
    if draft.document is not None:
        # Approving the draft publishes this too: whoever approves must be able to read it.
        lines.append("  publishes this document on the status page:")
        lines += [f"  > {line}".rstrip() for line in draft.document.splitlines()]
    return lines


def update_block(update: Update, zone: ZoneInfo) -> list[str]:
    # The CLI's own words (what --status takes), not the status page's ("monitoring").
    label = "postmortem" if update.trigger is Trigger.POSTMORTEM else update.status.value
    lines = [
        f"update #{update.seq} [{label}] "
        f"{format_moment(update.published_at, zone)} "
        f"(by {', '.join(update.authors)}, approved by {update.approver})"
    ]
    lines += [f"  | {line}" for line in update.body.splitlines()]
    lines += [f"  {c.name}: {c.old.value} → {c.new.value}" for c in update.changes]
    if update.next_update_by:
        promised = format_promise(update.next_update_by, zone, now=update.published_at)
        lines.append(f"  next update by {promised}")
    if update.corrected_at:
        lines.append(f"  (corrected {format_moment(update.corrected_at, zone)}; id {update.id})")
    return lines


def timeline_block(entries: Sequence[TimelineEntry], zone: ZoneInfo) -> list[str]:
    return [
        f"  {format_moment(e.at, zone)}  {e.actor:<12} {e.action:<9} {e.detail}" for e in entries
    ]


def detail_text(detail: IncidentDetail, zone: ZoneInfo) -> str:
    snap = detail.incident
    out = [incident_line(snap, zone), *components_block(snap), "", "Published updates:"]
    for update in detail.updates or []:
        out += [f"  {line}" for line in update_block(update, zone)]
        out += [f"    {delivery_line(r, zone)}" for r in detail.deliveries.get(update.id, ())]
        out += [f"    {fanout_line(f, zone)}" for f in detail.subscribers.get(update.id, ())]
    if not detail.updates:
        out.append("  none yet")
    out += ["", "Drafts waiting for approval:"]
    for draft in detail.pending:
        out += [f"  {line}" for line in draft_block(draft, zone)]
    if not detail.pending:
        out.append("  none")
    out += ["", "Timeline:", *timeline_block(detail.timeline, zone)]
    return "\n".join(out)


def delivery_line(record: DeliveryRecord, zone: ZoneInfo) -> str:
    """``→ status-hook  retrying: attempt 3, next try at Dec 11 3:25 PM PST — HTTP 503 …``."""
    what = "correction " if record.kind is DeliveryKind.CORRECTION else ""
    head = f"→ {what}{record.target}"
    state = record.state
    if state is DeliveryState.SENT:
        text = f"sent at {format_moment(record.sent_at, zone)}"
        if record.attempts > 1:
            text += f" (attempt {record.attempts})"
        if record.note:
            text += f"; {record.note}"
    elif state is DeliveryState.RETRYING:
        text = (
            f"retrying: attempt {record.attempts}, next try at "
            f"{format_moment(record.next_attempt_at, zone)} — {record.last_error}"
        )
    elif state is DeliveryState.DEAD:
        text = (
            f"DEAD after {record.attempts} attempt{'s' if record.attempts != 1 else ''} — "
            f"{record.last_error} (re-drive: commsbot delivery retry {record.id})"
        )
    elif state is DeliveryState.SENDING:
        text = f"sending (attempt {record.attempts})"
    else:
        text = "pending"
    return f"{head}  {text}"


def fanout_line(fanout: Fanout, zone: ZoneInfo) -> str:
    """``→ subscribers  sent 1,198, pending 4, failed 1, undeliverable 1 (of 1,204)``."""
    what = "correction " if fanout.kind.value == "correction" else ""
    c = fanout.counts
    text = (
        f"→ {what}subscribers  sent {c.sent:,}, pending {c.pending:,}, failed {c.failed:,}, "
        f"undeliverable {c.undeliverable:,} (of {fanout.planned:,})"
    )
    if fanout.paused_until is not None and fanout.state.open:
        text += f"; PAUSED until {format_moment(fanout.paused_until, zone)} — {fanout.last_error}"
    return text


def list_text(result: Deliveries, zone: ZoneInfo) -> str:
    """``commsbot delivery list`` for people."""
    if not result.deliveries and not result.subscribers:
        return "No deliveries."
    lines = [
        f"{r.id}  {r.kind.value:<10} {format_moment(r.created_at, zone)}  {delivery_line(r, zone)}"
        for r in result.deliveries
    ]
    lines += [
        f"{f.id}  {f.subject_ref:<10} {format_moment(f.created_at, zone)}  {fanout_line(f, zone)}"
        for f in result.subscribers
    ]
    return "\n".join(lines)

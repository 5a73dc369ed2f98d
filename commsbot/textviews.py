"""Plain-text renderings of the use cases' results, for the CLI and the console destination."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from commsbot.domain.model import Draft, IncidentSnapshot, TimelineEntry, Update
from commsbot.services.views import IncidentDetail
from commsbot.templates import format_date, format_time


def when(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return "—"
    return f"{format_date(moment, zone)} {format_time(moment, zone)}"


def incident_line(snap: IncidentSnapshot, zone: ZoneInfo) -> str:
    i = snap.incident
    return (
        f"{i.ref:<8} {i.status.value:<13} {i.severity.value}  {i.title}"
        f"  (declared {when(i.declared_at, zone)} by {i.commander})"
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
        f"{draft.state.value}, {when(draft.updated_at, zone)}"
    ]
    lines += [f"  | {line}" for line in draft.body.splitlines()]
    lines += [f"  component {n} → {s.value}" for n, s in draft.component_changes.items()]
    if draft.next_update_by and draft.corrects is None:
        lines.append(f"  next update by {format_time(draft.next_update_by, zone)}")
    if draft.reason:
        lines.append(f"  reason: {draft.reason}")
    if draft.decision_note:
        lines.append(f"  {draft.state.value} by {draft.decided_by}: {draft.decision_note}")
    return lines


def update_block(update: Update, zone: ZoneInfo) -> list[str]:
    lines = [
        f"update #{update.seq} [{update.statuspage_status}] {when(update.published_at, zone)} "
        f"(by {', '.join(update.authors)}, approved by {update.approver})"
    ]
    lines += [f"  | {line}" for line in update.body.splitlines()]
    lines += [f"  {c.name}: {c.old.value} → {c.new.value}" for c in update.changes]
    if update.next_update_by:
        lines.append(f"  next update by {format_time(update.next_update_by, zone)}")
    if update.corrected_at:
        lines.append(f"  (corrected {when(update.corrected_at, zone)}; id {update.id})")
    return lines


def timeline_block(entries: Sequence[TimelineEntry], zone: ZoneInfo) -> list[str]:
    return [f"  {when(e.at, zone)}  {e.actor:<12} {e.action:<9} {e.detail}" for e in entries]


def detail_text(detail: IncidentDetail, zone: ZoneInfo) -> str:
    from commsbot.delivery.ledger import delivery_line  # it uses when() from here

    snap = detail.incident
    out = [incident_line(snap, zone), *components_block(snap), "", "Published updates:"]
    for update in detail.updates or []:
        out += [f"  {line}" for line in update_block(update, zone)]
        out += [f"    {delivery_line(r, zone)}" for r in detail.deliveries.get(update.id, ())]
    if not detail.updates:
        out.append("  none yet")
    out += ["", "Drafts waiting for approval:"]
    for draft in detail.pending:
        out += [f"  {line}" for line in draft_block(draft, zone)]
    if not detail.pending:
        out.append("  none")
    out += ["", "Timeline:", *timeline_block(detail.timeline, zone)]
    return "\n".join(out)

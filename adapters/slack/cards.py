"""Public Slack messages: the live incident card and one thread reply per published update.

Pure: snapshots in, ``(text, blocks)`` out. Every piece of user text is escaped; times are
Slack date tokens, so each reader sees their own time zone (the fallback is the configured one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from adapters.slack.blocks import (
    MAX_FALLBACK_TEXT,
    MAX_MESSAGE_TEXT,
    Block,
    context,
    escaped_truncated,
    fields,
    fit,
    link,
    section,
    sections,
)
from commsbot.domain.lifecycle import Status, Trigger
from commsbot.domain.model import ComponentStatus, IncidentSnapshot, Update
from commsbot.templates import format_date, format_time

STATUS_EMOJI = {
    Status.INVESTIGATING: ":red_circle:",
    Status.IDENTIFIED: ":large_orange_circle:",
    Status.FIXING: ":large_yellow_circle:",
    Status.RECOVERED: ":large_green_circle:",
}
COMPONENT_EMOJI = {
    ComponentStatus.OPERATIONAL: ":white_check_mark:",
    ComponentStatus.DEGRADED_PERFORMANCE: ":warning:",
    ComponentStatus.PARTIAL_OUTAGE: ":large_orange_circle:",
    ComponentStatus.MAJOR_OUTAGE: ":red_circle:",
    ComponentStatus.UNDER_MAINTENANCE: ":wrench:",
}
#: The card shows the start of the latest update; the thread reply carries more of it.
CARD_BODY_LIMIT = 1500


@dataclass(frozen=True)
class Message:
    """A Slack message: notification ``text`` and its Block Kit ``blocks``."""

    text: str
    blocks: list[Block]


def when(moment: datetime, zone: ZoneInfo, *, date: bool = True) -> str:
    """A Slack date token (shown in the reader's zone), falling back to ``zone``."""
    fallback = format_time(moment, zone)
    if date:
        fallback = f"{format_date(moment, zone)} {fallback}"
    style = "{date_short_pretty} {time}" if date else "{time}"
    return f"<!date^{int(moment.timestamp())}^{style}|{fallback}>"


def status_label(update: Update) -> str:
    return "Postmortem" if update.trigger is Trigger.POSTMORTEM else update.status.label


def changes_status(update: Update) -> bool:
    """Whether the update moves the incident (or is its postmortem): worth the channel's eye."""
    return update.trigger is not Trigger.PROGRESS


def incident_card(
    snap: IncidentSnapshot, update: Update | None, *, zone: ZoneInfo, url: str | None
) -> Message:
    """The root message of an incident in a status channel, edited on every update."""
    i = snap.incident
    title = escaped_truncated(i.title, 200)
    head = f"{STATUS_EMOJI[i.status]} *{i.ref} · {title}*"
    facts = f"*Status:* {i.status.label}   *Severity:* {i.severity.value}"
    if i.resolved_at is not None:
        facts += f"   *Resolved:* {when(i.resolved_at, zone)}"
    blocks: list[Block] = [section(f"{head}\n{facts}")]
    comps = [
        f"{COMPONENT_EMOJI[status]} *{escaped_truncated(name, 100)}*\n{status.label}"
        for name, status in snap.components.items()
    ]
    blocks += fields(comps)[:5]  # 50 components; beyond that the status page has them all
    if update is not None:
        body = escaped_truncated(update.body, CARD_BODY_LIMIT)
        blocks.append(section(f"*Latest update* ({when(update.published_at, zone)})\n{body}"))
    tail = []
    if update is not None and update.next_update_by is not None:
        tail.append(f"Next update by {when(update.next_update_by, zone, date=False)}")
    if url:
        tail.append(link(url, "Full history on the status page"))
    tail.append(f"Declared {when(i.declared_at, zone)}")
    blocks.append(context(" · ".join(tail)))
    text = escaped_truncated(f"{i.ref} {i.status.label}: {i.title}", MAX_FALLBACK_TEXT)
    return Message(text=text, blocks=fit(blocks))


def update_reply(
    snap: IncidentSnapshot,
    update: Update,
    *,
    zone: ZoneInfo,
    url: str | None,
    corrected: bool = False,
) -> Message:
    """One published update as a thread reply (broadcast to the channel when it moves)."""
    i = snap.incident
    mark = " _(corrected)_" if corrected else ""
    head = (
        f"{STATUS_EMOJI[update.status]} *{status_label(update)}* · {i.ref} "
        f"update #{update.seq} · {when(update.published_at, zone)}{mark}"
    )
    body = escaped_truncated(update.body, MAX_MESSAGE_TEXT - 500)
    blocks: list[Block] = [section(head), *sections(body)]
    if update.changes:
        lines = [
            f"{COMPONENT_EMOJI[c.new]} *{escaped_truncated(c.name, 100)}*: "
            f"{c.old.label} → {c.new.label}"
            for c in update.changes
        ]
        blocks += sections("\n".join(lines))
    tail = []
    if update.next_update_by is not None:
        tail.append(f"Next update by {when(update.next_update_by, zone, date=False)}")
    if url:
        tail.append(link(url, "Status page"))
    if tail:
        blocks.append(context(" · ".join(tail)))
    prefix = "(corrected) " if corrected else ""
    text = escaped_truncated(
        f"{prefix}{i.ref} {status_label(update)}: {update.body}", MAX_FALLBACK_TEXT
    )
    return Message(text=text, blocks=fit(blocks))

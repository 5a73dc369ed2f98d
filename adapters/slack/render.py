"""What commsbot posts in Slack channels, and the controls on it. Pure: values in, Block Kit out.

- Public (status channels): the live incident card and one thread reply per published update.
- Internal (the approvals channel): approval requests with Approve / Edit / Reject, reminders
  with Draft update / Snooze / Cancel, and other notices; messages lose their controls once
  settled (who did what, when).

Every piece of user text is escaped; times are Slack date tokens, so each reader sees their own
time zone (the fallback is the configured one). Controls carry everything their handler needs
(draft id and version, reminder id) in ``value``, so they keep working after a restart; every
internal message carries ``metadata`` — its delivery key, and for approval requests the draft
and version — so a retry, or a decision made anywhere, finds it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from adapters.slack.blocks import (
    MAX_FALLBACK_TEXT,
    MAX_MESSAGE_TEXT,
    actions,
    button,
    context,
    escape,
    escaped_truncated,
    fields,
    fit,
    link,
    mention,
    option,
    section,
    sections,
    select,
)
from adapters.slack.wire import ActionsBlock, Block, Button, EventPayload, Metadata, StaticSelect
from commsbot.delivery.ports import Notice
from commsbot.domain.lifecycle import Status, Trigger
from commsbot.domain.model import ComponentStatus, IncidentSnapshot, Update
from commsbot.templates import format_date, format_time

#: The controls' action ids (their listeners are in ``buttons.py``).
APPROVE = "commsbot.approve"
EDIT = "commsbot.edit"
#: "Approve without notifying subscribers" (shown when approving would notify some).
APPROVE_QUIET = "commsbot.approve_quiet"
REJECT = "commsbot.reject"
REMINDER_DRAFT = "commsbot.reminder.draft"
REMINDER_SNOOZE = "commsbot.reminder.snooze"
REMINDER_CANCEL = "commsbot.reminder.cancel"
#: Block ids of the controls that go away once the message is settled.
APPROVAL_CONTROLS = "approval:"
REMINDER_CONTROLS = "reminder:"
SETTLED = "commsbot:settled"
SNOOZE_MINUTES = (15, 30, 60, 240)
#: ``metadata.event_type`` of every internal message; the payload says what it is about.
NOTICE_EVENT = "commsbot_notice"

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


def promised_when(update: Update, zone: ZoneInfo) -> str:
    """The update's promised next time as a Slack date token: with its date when it falls on
    another day than the update's (a bare time would read as "today")."""
    assert update.next_update_by is not None
    other_day = (
        update.next_update_by.astimezone(zone).date() != update.published_at.astimezone(zone).date()
    )
    return when(update.next_update_by, zone, date=other_day)


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
        tail.append(f"Next update by {promised_when(update, zone)}")
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
        tail.append(f"Next update by {promised_when(update, zone)}")
    if url:
        tail.append(link(url, "Status page"))
    if tail:
        blocks.append(context(" · ".join(tail)))
    prefix = "(corrected) " if corrected else ""
    text = escaped_truncated(
        f"{prefix}{i.ref} {status_label(update)}: {update.body}", MAX_FALLBACK_TEXT
    )
    return Message(text=text, blocks=fit(blocks))


# --- internal notices -------------------------------------------------------------------


def draft_value(draft_id: str, version: int) -> str:
    return f"{draft_id}:{version}"


def parse_draft_value(value: str) -> tuple[str, int] | None:
    """``"abc:2"`` → ``("abc", 2)``; None when it is not such a value."""
    draft_id, sep, version = value.rpartition(":")
    if not sep or not draft_id or not version.isdigit() or len(version) > 6:
        return None
    return draft_id, int(version)


def notice_metadata(notice: Notice) -> Metadata:
    """What a notice's message carries, to be found again (retries, later decisions)."""
    payload: EventPayload = {"kind": notice.kind, "incident_id": notice.incident_id}
    if notice.key:
        payload["key"] = notice.key
    if notice.draft_id:
        payload["draft_id"] = notice.draft_id
    if notice.draft_version is not None:
        payload["version"] = notice.draft_version
    if notice.reminder_id:
        payload["reminder_id"] = notice.reminder_id
    return {"event_type": NOTICE_EVENT, "event_payload": payload}


def audience_mentions(audience: Iterable[str]) -> str:
    """Slack mentions for the Slack entries of an audience (others are for other surfaces)."""
    return " ".join(mention(a) for a in audience if a.startswith(("slack:", "slack-group:")))


def _body(text: str) -> str:
    # Escaped and neutralised, never scanned for actor ids: whatever someone typed in a title,
    # a draft or a reason (``slack:U…``, ``<@U…>``, ``<!channel>``) shows as text. Only the
    # notice's ``audience`` becomes mentions.
    return escaped_truncated(text, MAX_MESSAGE_TEXT - 600)


def approval_request(notice: Notice, *, command: str = "/incident") -> Message:
    """An ``approval_requested`` notice with Approve / Edit / Reject for its draft version."""
    assert notice.draft_id is not None
    assert notice.draft_version is not None
    who = audience_mentions(notice.audience)
    head = f":memo: *Approval needed* · {escape(notice.incident_ref)}" + (
        f" · {who}" if who else ""
    )
    value = draft_value(notice.draft_id, notice.draft_version)
    blocks = fit([section(head), *sections(_body(notice.text))], limit=47)
    quiet = (
        [button("Approve without notifying subscribers", action_id=APPROVE_QUIET, value=value)]
        if notice.subscribers
        else []
    )
    blocks.append(
        actions(
            APPROVAL_CONTROLS + value,
            button("Approve", action_id=APPROVE, value=value, style="primary"),
            *quiet,
            button("Edit", action_id=EDIT, value=value),
            button("Reject", action_id=REJECT, value=value, style="danger"),
        )
    )
    hint = (
        f"Approving publishes v{notice.draft_version} everywhere at once. Or type "
        f"`{command} approve {escape(notice.draft_id)} v{notice.draft_version}`"
    )
    blocks.append(context(hint, block_id=f"{APPROVAL_CONTROLS}hint"))
    text = escaped_truncated(
        f"Approval needed: {notice.incident_ref} draft v{notice.draft_version}", MAX_FALLBACK_TEXT
    )
    return Message(text=text, blocks=blocks)


def notice_message(notice: Notice) -> Message:
    """Any other internal notice; reminders get their controls."""
    who = audience_mentions(notice.audience)
    emoji = {
        "reminder": ":alarm_clock:",
        "delivery_dead": ":rotating_light:",
        "draft_decided": ":ballot_box_with_check:",
        "incident_changed": ":pencil2:",
    }.get(notice.kind, ":information_source:")
    blocks: list[Block] = sections(f"{emoji} {_body(notice.text)}" + (f"\n{who}" if who else ""))
    if notice.kind == "reminder" and notice.reminder_id:
        blocks = fit(blocks, limit=49)
        blocks.append(reminder_actions(notice))
    return Message(
        text=escaped_truncated(f"{notice.incident_ref}: {notice.text}", MAX_FALLBACK_TEXT),
        blocks=fit(blocks),
    )


def settled(blocks: list[Block], *, controls: tuple[str, ...], note: str) -> list[Block]:
    """A message's blocks without its controls (block ids starting with ``controls``), and
    ``note`` (already-escaped mrkdwn: who did what, when) in their place."""
    kept = [b for b in blocks if not str(b.get("block_id", "")).startswith(controls)]
    # Settling twice (the button, then the decision notice) must not stack two notes.
    kept = [b for b in kept if b.get("block_id") != SETTLED]
    return fit([*kept, section(note, block_id=SETTLED)])


def reminder_actions(notice: Notice) -> ActionsBlock:
    """A reminder's controls: Approve / Reject for an approval nudge (its draft and version),
    else Draft update; then Snooze … and Cancel."""
    assert notice.reminder_id is not None
    reminder_id = notice.reminder_id
    elements: list[Button | StaticSelect] = []
    if notice.draft_id and notice.draft_version:
        value = draft_value(notice.draft_id, notice.draft_version)
        elements += [
            button("Approve", action_id=APPROVE, value=value, style="primary"),
            button("Reject", action_id=REJECT, value=value, style="danger"),
        ]
    else:
        elements.append(
            button(
                "Draft update",
                action_id=REMINDER_DRAFT,
                value=f"{reminder_id}:{notice.incident_id}",
                style="primary",
            )
        )
    snooze = [option(_minutes(m), f"{reminder_id}:{m}") for m in SNOOZE_MINUTES]
    elements.append(select(snooze, action_id=REMINDER_SNOOZE, placeholder="Snooze…"))
    elements.append(button("Cancel reminder", action_id=REMINDER_CANCEL, value=reminder_id))
    return actions(REMINDER_CONTROLS + reminder_id, *elements)


def _minutes(m: int) -> str:
    return f"for {m} min" if m < 60 else f"for {m // 60} h"


def status_line(snap: IncidentSnapshot) -> str:
    i = snap.incident
    return (
        f"{STATUS_EMOJI[i.status]} *{i.ref}* {escaped_truncated(i.title, 200)} — "
        f"{i.status.label}, {i.severity.value}"
    )

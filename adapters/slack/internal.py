"""Internal Slack messages: approval requests with their buttons, outcomes, reminders, alerts.

Pure. Buttons carry everything their handler needs (draft id and version, reminder id) in
``value``, so they keep working after a restart: nothing is held in memory. Every message
carries ``metadata`` — its delivery key, and for approval requests the draft and version — so a
retry, or a decision made anywhere (CLI, API, another message), finds it again through
``conversations.history``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from adapters.slack.blocks import (
    MAX_FALLBACK_TEXT,
    MAX_MESSAGE_TEXT,
    Block,
    actions,
    button,
    context,
    escape,
    escaped_truncated,
    fit,
    mention,
    section,
    sections,
)
from adapters.slack.cards import STATUS_EMOJI, Message
from commsbot.delivery.ports import Notice
from commsbot.domain.model import IncidentSnapshot

APPROVE = "commsbot.approve"
EDIT = "commsbot.edit"
REJECT = "commsbot.reject"
REMINDER_DRAFT = "commsbot.reminder.draft"
REMINDER_SNOOZE = "commsbot.reminder.snooze"
REMINDER_CANCEL = "commsbot.reminder.cancel"
#: ``metadata.event_type`` of every internal message; the payload says what it is about.
NOTICE_EVENT = "commsbot_notice"
#: Block ids of the controls that go away once the message is settled.
APPROVAL_CONTROLS = "approval:"
REMINDER_CONTROLS = "reminder:"
SETTLED = "commsbot:settled"
SNOOZE_MINUTES = (15, 30, 60, 240)


def draft_value(draft_id: str, version: int) -> str:
    return f"{draft_id}:{version}"


def parse_draft_value(value: str) -> tuple[str, int] | None:
    """``"abc:2"`` → ``("abc", 2)``; None when it is not such a value."""
    draft_id, sep, version = value.rpartition(":")
    if not sep or not draft_id or not version.isdigit() or len(version) > 6:
        return None
    return draft_id, int(version)


def notice_metadata(notice: Notice) -> dict[str, Any]:
    """What a notice's message carries, to be found again (retries, later decisions)."""
    payload: dict[str, Any] = {"kind": notice.kind, "incident_id": notice.incident_id}
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
    blocks.append(
        actions(
            APPROVAL_CONTROLS + value,
            button("Approve", action_id=APPROVE, value=value, style="primary"),
            button("Edit", action_id=EDIT, value=value),
            button("Reject", action_id=REJECT, value=value, style="danger"),
        )
    )
    hint = context(
        f"Approving publishes v{notice.draft_version} everywhere at once. Or type "
        f"`{command} approve {escape(notice.draft_id)} v{notice.draft_version}`"
    )
    hint["block_id"] = f"{APPROVAL_CONTROLS}hint"
    blocks.append(hint)
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
    note_block = section(note)
    note_block["block_id"] = SETTLED
    return fit([*kept, note_block])


def reminder_actions(notice: Notice) -> Block:
    """A reminder's controls: Approve / Reject for an approval nudge (its draft and version),
    else Draft update; then Snooze … and Cancel."""
    assert notice.reminder_id is not None
    reminder_id = notice.reminder_id
    elements: list[dict[str, Any]] = []
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
    elements.append(
        {
            "type": "static_select",
            "action_id": REMINDER_SNOOZE,
            "placeholder": {"type": "plain_text", "text": "Snooze…"},
            "options": [
                {"text": {"type": "plain_text", "text": _minutes(m)}, "value": f"{reminder_id}:{m}"}
                for m in SNOOZE_MINUTES
            ],
        }
    )
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

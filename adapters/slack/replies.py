"""What commsbot answers the one person who asked: use-case results and refusals. Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from adapters.slack.blocks import (
    MAX_BLOCKS_MESSAGE,
    MAX_FALLBACK_TEXT,
    MAX_SECTION_TEXT,
    context,
    escape,
    escaped_truncated,
    fit,
    mention,
    section,
    sections,
    shorten,
)
from adapters.slack.render import (
    COMPONENT_EMOJI,
    Message,
    promised_when,
    status_label,
    status_line,
    when,
)
from adapters.slack.wire import Block
from commsbot.domain.model import Draft, IncidentSnapshot
from commsbot.maintenance.views import MaintenanceDraftResult, MaintenancePublished
from commsbot.services.results import (
    Declared,
    DraftResult,
    IncidentDetail,
    IncidentEdited,
    Published,
)


def plain_message(text: str) -> Message:
    """Already-escaped mrkdwn as a message."""
    return Message(text=shorten(text, MAX_FALLBACK_TEXT), blocks=fit(sections(text)))


#: Actor ids in a refusal ("slack:U0SAM may not approve …; approvers are slack-group:S0…").
_ACTOR_ID = re.compile(r"\bslack(-group)?:([A-Z0-9]{2,})\b")


def refusal_text(error: Exception) -> str:
    """A refusal from the core as mrkdwn: escaped, with actor ids shown as names.

    Only for answers to the one person who asked (response URL, ephemeral or their DM), which
    notify nobody else; never for messages in a channel, where a name would be a ping.
    """

    def name(match: re.Match[str]) -> str:
        return f"<!subteam^{match.group(2)}>" if match.group(1) else f"<@{match.group(2)}>"

    return _ACTOR_ID.sub(name, escape(str(error)))


def refusal(error: Exception) -> Message:
    """A refusal from the core, as it is."""
    return plain_message(refusal_text(error))


def _draft_hint(draft: Draft, command: str) -> str:
    return (
        f"draft `{escape(draft.id)}` v{draft.version} by {mention(draft.author)}: "
        f"`{command} approve {escape(draft.id)} v{draft.version}` · "
        f"`{command} reject {escape(draft.id)} REASON`"
    )


def _quote(text: str, limit: int = 1200) -> str:
    body = escaped_truncated(text, limit)
    return "\n".join(f"> {line}" if line else ">" for line in body.splitlines())


def declared(result: Declared, *, command: str, approvals_channel: str | None) -> Message:
    """Said in the channel where the incident was declared."""
    i = result.incident.incident
    where = f" in <#{approvals_channel}>" if approvals_channel else ""
    text = (
        f":rotating_light: {mention(i.commander)} declared *{i.ref}* ({i.severity.value}): "
        f"{escaped_truncated(i.title, 200)}\nThe acknowledgment waits for a second person's "
        f"approval{where} — {_draft_hint(result.draft, command)}\n{_quote(result.draft.body)}"
    )
    return plain_message(text)


def proposed(result: DraftResult, *, command: str, edited: bool = False) -> Message:
    """A new draft (or a new version of one) waiting for approval."""
    i = result.incident.incident
    d = result.draft
    kind = "the postmortem" if d.postmortem else f"an update ({d.status.label})"
    head = (
        f":memo: Edited the draft of {kind} for *{i.ref}*, now v{d.version}"
        if edited
        else f":memo: Drafted {kind} for *{i.ref}*"
    )
    text = f"{head}; it waits for approval — {_draft_hint(d, command)}\n{_quote(d.body)}"
    return plain_message(text)


def published(result: Published | MaintenancePublished) -> Message:
    if isinstance(result, MaintenancePublished):
        m, n = result.maintenance, result.notice
        return plain_message(
            f":large_blue_circle: Published notice #{n.seq} of *{m.ref}* ({n.kind.value}, "
            f"now {m.status.label.lower()}); it is on its way to every status channel and page."
        )
    i = result.incident.incident
    u = result.update
    return plain_message(
        f":white_check_mark: Published update #{u.seq} of *{i.ref}* "
        f"({status_label(u)}); it is on its way to every status channel and page."
    )


def rejected(result: DraftResult | MaintenanceDraftResult) -> Message:
    d = result.draft
    ref = (
        result.maintenance.ref
        if isinstance(result, MaintenanceDraftResult)
        else result.incident.incident.ref
    )
    return plain_message(
        f":x: Rejected draft `{escape(d.id)}` v{d.version} of *{ref}*"
        f": {escaped_truncated(d.decision_note or '', 500)}"
    )


def incident_edited(result: IncidentEdited) -> Message:
    """An incident's new title, severity or commander, and when the public sees a new title."""
    i = result.incident.incident
    lines = [
        f":pencil2: Changed *{i.ref}* ({', '.join(result.changed)}): "
        f"{escaped_truncated(i.title, 200)} · {i.severity.value} · commander {mention(i.commander)}"
    ]
    if i.public_title is not None and i.public_title != i.title:
        lines.append(
            f"The status page shows “{escaped_truncated(i.public_title, 200)}” until the next "
            "update is published."
        )
    return plain_message("\n".join(lines))


def noted(incident_ref: str) -> Message:
    return plain_message(f":pencil: Noted on the timeline of *{escape(incident_ref)}*.")


def incident_list(snaps: Sequence[IncidentSnapshot], *, open_only: bool, zone: ZoneInfo) -> Message:
    if not snaps:
        return plain_message("No open incidents." if open_only else "No incidents yet.")
    lines = [f"{status_line(s)} · declared {when(s.incident.declared_at, zone)}" for s in snaps]
    head = "*Open incidents*" if open_only else "*Recent incidents*"
    return plain_message("\n".join([head, *lines]))


def incident_status(detail: IncidentDetail, *, zone: ZoneInfo, command: str) -> Message:
    snap = detail.incident
    i = snap.incident
    blocks: list[Block] = [section(status_line(snap))]
    comps = [
        f"{COMPONENT_EMOJI[status]} {escaped_truncated(name, 100)}: {status.label}"
        for name, status in snap.components.items()
    ]
    if comps:
        blocks += sections("\n".join(comps))
    if detail.updates:
        last = detail.updates[-1]
        nxt = f" · next update by {promised_when(last, zone)}" if last.next_update_by else ""
        blocks.append(
            section(
                f"*Last update* #{last.seq} ({status_label(last)}, "
                f"{when(last.published_at, zone)}){nxt}\n{_quote(last.body, 1500)}"
            )
        )
    else:
        blocks.append(section("_Nothing published yet._"))
    for draft in list(detail.pending)[:5]:
        blocks.append(section(f"*Waiting for approval:* {_draft_hint(draft, command)}"))
    if len(detail.pending) > 5:
        blocks.append(context(f"… and {len(detail.pending) - 5} more drafts"))
    text = f"{i.ref} {i.status.label}: {escaped_truncated(i.title, 200)}"
    return Message(text=text, blocks=fit(blocks))


def timeline(detail: IncidentDetail, *, zone: ZoneInfo) -> Message:
    i = detail.incident.incident
    lines = [
        f"`{when(e.at, zone)}` {mention(e.actor)} *{escape(e.action)}* "
        f"{escaped_truncated(e.detail, 400)}"
        for e in detail.timeline
    ]
    # Keep the newest entries when the whole timeline does not fit one message.
    budget = (MAX_BLOCKS_MESSAGE - 3) * (MAX_SECTION_TEXT // 2)
    kept: list[str] = []
    size = 0
    for line in reversed(lines):
        size += len(line) + 1
        if size > min(budget, 3400):
            break
        kept.append(line)
    kept.reverse()
    head = f"*Timeline of {i.ref}* · {escaped_truncated(i.title, 200)}"
    blocks: list[Block] = [section(head), *sections("\n".join(kept) or "_empty_")]
    if len(kept) < len(lines):
        blocks.append(
            context(
                f"Showing the last {len(kept)} of {len(lines)} entries; "
                f"`commsbot incident show {i.ref}` prints them all."
            )
        )
    return Message(text=f"Timeline of {i.ref}", blocks=fit(blocks))

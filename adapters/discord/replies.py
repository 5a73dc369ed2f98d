"""What commsbot answers the one person who asked (ephemeral): use-case results as text and
embeds. Pure."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from adapters.discord.render import (
    MAX_DESCRIPTION,
    MAX_FIELD_VALUE,
    MAX_FIELDS,
    STATUS_COLOURS,
    clip,
    person,
    quiet,
    timestamp,
)
from commsbot.domain.model import Draft, IncidentSnapshot
from commsbot.maintenance.views import MaintenanceDraftResult, MaintenancePublished
from commsbot.services.results import (
    Declared,
    DraftResult,
    IncidentDetail,
    IncidentEdited,
    Published,
)


def _draft_line(draft: Draft) -> str:
    kind = "postmortem" if draft.postmortem else draft.status.value
    return f"draft `{draft.id}` version {draft.version} ({kind})"


def declared(result: Declared) -> str:
    i = result.incident.incident
    return (
        f"Declared **{i.ref}** ({i.severity.value}, {i.status.value}): {quiet(i.title)}\n"
        f"The acknowledgment is {_draft_line(result.draft)}; it goes out when someone else "
        "approves it (the Approve button on the approval request, or `/incident approve`)."
    )


def drafted(result: DraftResult) -> str:
    i = result.incident.incident
    return (
        f"Drafted for **{i.ref}**: {_draft_line(result.draft)}. It goes out when someone else "
        "approves it."
    )


def published(result: Published | MaintenancePublished) -> str:
    if isinstance(result, MaintenancePublished):
        m, n = result.maintenance, result.notice
        return (
            f"Published **{m.ref}** notice {n.seq} ({n.kind.value}, now "
            f"{m.status.label.lower()}); it is being broadcast to every destination now."
        )
    i = result.incident.incident
    u = result.update
    return (
        f"Published **{i.ref}** update {u.seq} ({u.statuspage_status}); it is being "
        "broadcast to every destination now."
    )


def edited(result: IncidentEdited) -> str:
    """An incident's new title, severity or commander, and when the public sees a new title."""
    i = result.incident.incident
    text = (
        f"Changed **{i.ref}** ({', '.join(result.changed)}): {quiet(i.title)} · "
        f"{i.severity.value} · commander {person(i.commander)}"
    )
    if i.public_title is not None and i.public_title != i.title:
        text += (
            f"\nThe status page shows “{quiet(i.public_title)}” until the next update is published."
        )
    return text


def rejected(result: DraftResult | MaintenanceDraftResult) -> str:
    if isinstance(result, MaintenanceDraftResult):
        d = result.draft
        return (
            f"Rejected draft `{d.id}` v{d.version} of **{result.maintenance.ref}**; nothing was "
            "published."
        )
    i = result.incident.incident
    return f"Rejected {_draft_line(result.draft)} of **{i.ref}**; nothing was published."


def _colour(snap: IncidentSnapshot) -> int:
    return STATUS_COLOURS[snap.incident.status]


def status_embed(detail: IncidentDetail) -> discord.Embed:
    """Status, severity, components, the latest update and the drafts waiting."""
    snap = detail.incident
    i = snap.incident
    embed = discord.Embed(
        title=clip(f"{i.ref} · {i.status.label} · {i.title}", 256), colour=_colour(snap)
    )
    embed.add_field(name="Severity", value=i.severity.value)
    embed.add_field(name="Commander", value=clip(person(i.commander), MAX_FIELD_VALUE))
    embed.add_field(name="Declared", value=timestamp(i.declared_at))
    for name, status in list(snap.components.items())[: MAX_FIELDS - 6]:
        embed.add_field(name=clip(name, 256), value=status.label)
    if detail.updates:
        last = detail.updates[-1]
        embed.description = clip(
            f"**Latest update ({last.seq}, {timestamp(last.published_at, 'R')})**\n{last.body}",
            MAX_DESCRIPTION,
        )
        if last.next_update_by:
            embed.add_field(name="Next update by", value=timestamp(last.next_update_by, "t"))
    pending = "\n".join(f"{_draft_line(d)} by {person(d.author)}" for d in detail.pending) or "none"
    embed.add_field(name="Drafts waiting", value=clip(pending, MAX_FIELD_VALUE), inline=False)
    return embed


def list_embed(snaps: Sequence[IncidentSnapshot], *, open_only: bool) -> discord.Embed:
    """One line per incident, newest first."""
    lines = [
        f"**{s.incident.ref}** · {s.incident.status.value} · {s.incident.severity.value} · "
        f"{quiet(s.incident.title)} · {timestamp(s.incident.declared_at, 'R')}"
        for s in snaps
    ]
    body = "\n".join(lines) or ("No open incidents." if open_only else "No incidents yet.")
    return discord.Embed(
        title="Open incidents" if open_only else "Incidents",
        description=clip(body, MAX_DESCRIPTION),
    )


def timeline_embed(detail: IncidentDetail) -> discord.Embed:
    """The most recent timeline entries that fit, oldest of them first."""
    i = detail.incident.incident
    lines: list[str] = []
    used = 0
    for entry in reversed(detail.timeline):
        line = clip(
            f"{timestamp(entry.at, 'f')} · {person(entry.actor)} · **{entry.action}** · "
            f"{quiet(entry.detail)}",
            300,
        )
        if used + len(line) + 1 > MAX_DESCRIPTION - 60:
            break
        lines.append(line)
        used += len(line) + 1
    hidden = len(detail.timeline) - len(lines)
    head = [f"…{hidden} earlier entries (`commsbot incident show {i.ref}` has them all)"]
    body = "\n".join((head if hidden else []) + list(reversed(lines)))
    return discord.Embed(
        title=clip(f"{i.ref} timeline · {i.title}", 256),
        description=body or "Nothing yet.",
        colour=_colour(detail.incident),
    )


def help_text(command_lines: Sequence[str]) -> str:
    """The help, built from the commands themselves so it cannot drift from them."""
    return "\n".join(
        [
            "**commsbot** — incident updates, drafted, approved by a second person, broadcast "
            "once.",
            *command_lines,
            "Drafts also appear in the approvals channel with **Approve / Edit / Reject** "
            "buttons. Who may declare, draft and approve is commsbot's configuration "
            "(`[approval]` in commsbot.toml), the same on every surface.",
        ]
    )

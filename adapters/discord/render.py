"""Published updates and internal notices as Discord messages, always within Discord's limits.

Limits (Discord's API reference): content 2000 characters; up to 10 embeds; embed title 256,
description 4096, 25 fields (name 256, value 1024), footer 2048, 6000 characters across all the
embeds of a message. Text that cannot fit is cut at a line or word boundary and points to the
full update. Mentions in content are neutralised as well as refused by ``allowed_mentions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord

from adapters.discord.rest import MARK, marked
from commsbot.delivery.ports import Notice, Outbound
from commsbot.delivery.render import neutralize, status_label
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import ComponentStatus, Draft

MAX_CONTENT = 2000
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_EMBED_TOTAL = 6000

STATUS_COLOURS = {
    Status.INVESTIGATING: 0xE74C3C,
    Status.IDENTIFIED: 0xE67E22,
    Status.FIXING: 0xF1C40F,
    Status.RECOVERED: 0x2ECC71,
}
POSTMORTEM_COLOUR = 0x5865F2
NOTICE_COLOURS = {
    "approval_requested": 0x5865F2,
    "reminder": 0xF1C40F,
    "delivery_dead": 0xE74C3C,
    "draft_decided": 0x95A5A6,
}
STATUS_EMOJI = {
    Status.INVESTIGATING: "🔴",
    Status.IDENTIFIED: "🟠",
    Status.FIXING: "🟡",
    Status.RECOVERED: "🟢",
}


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, at a word boundary when one is near, with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip() + "…"


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters, at paragraph, line or word
    boundaries where possible (a piece is cut mid-word only when one word exceeds ``limit``)."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = -1
        for sep in ("\n\n", "\n", ". ", " "):
            at = window.rfind(sep)
            if at > limit // 2:
                cut = at + (len(sep) if sep == ". " else 0)
                break
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def quiet(text: str) -> str:
    """User text with ``@everyone``, ``@here``, user/role mentions and masked links made
    harmless (the broadcast engine's rule for every surface), on top of ``allowed_mentions``."""
    return neutralize(text)


def person(actor_id: str) -> str:
    """An actor id as Discord shows it: ``discord:ID`` as a mention (which never pings in an
    embed), anything else as written."""
    kind, _, raw = actor_id.partition(":")
    if kind == "discord" and raw.isdigit():
        return f"<@{raw}>"
    return quiet(actor_id)


def timestamp(moment: datetime, style: str = "f") -> str:
    """Discord's timestamp markup: each reader sees ``moment`` in their own time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def _colour(item: Outbound) -> int:
    if item.update.statuspage_status == "postmortem":
        return POSTMORTEM_COLOUR
    return STATUS_COLOURS[item.update.status]


def update_content(item: Outbound, *, corrected: bool = False) -> str:
    """The one-line message text above the embed (what push notifications show)."""
    emoji = "📝" if corrected else STATUS_EMOJI.get(item.update.status, "")
    prefix = "Corrected: " if corrected else ""
    line = f"{emoji} **{prefix}{status_label(item)}** · {item.incident.incident.title}"
    return clip(quiet(line.strip()), MAX_CONTENT)


def _component_fields(item: Outbound, room: int) -> list[tuple[str, str]]:
    changed = {c.name: c for c in item.update.changes}
    names = list(item.incident.incident.components)
    names += [n for n in changed if n not in names]
    fields: list[tuple[str, str]] = []
    for name in names:
        status = item.incident.components.get(name)
        change = changed.get(name)
        if change is not None and change.old is not change.new:
            value = f"{change.old.label} → **{change.new.label}**"
        elif status is not None:
            value = status.label
        elif change is not None:
            value = change.new.label
        else:
            value = ComponentStatus.OPERATIONAL.label
        fields.append((clip(quiet(name), MAX_FIELD_NAME), clip(value, MAX_FIELD_VALUE)))
    if len(fields) > room:
        hidden = len(fields) - (room - 1)
        fields = [*fields[: room - 1], ("More components", f"…and {hidden} more")]
    return fields


def update_embeds(item: Outbound, *, corrected: bool = False) -> list[discord.Embed]:
    """The embeds of one published update: status colour, title, components, text, next
    update, link; the text continues in a second embed when it is longer than one allows."""
    incident = item.incident.incident
    update = item.update
    link = item.link if item.link.startswith(("http://", "https://")) else None
    prefix = "Corrected: " if corrected else ""
    head = discord.Embed(
        title=clip(f"{prefix}{status_label(item)}: {quiet(incident.title)}", MAX_TITLE),
        url=link,
        colour=_colour(item),
        timestamp=update.published_at,
    )
    extra: list[tuple[str, str]] = []
    if update.next_update_by is not None:
        at = update.next_update_by
        extra.append(("Next update by", f"{timestamp(at, 't')} ({timestamp(at, 'R')})"))
    if link:
        extra.append(("Status page", clip(link, MAX_FIELD_VALUE)))
    for name, value in _component_fields(item, MAX_FIELDS - len(extra)):
        head.add_field(name=name, value=value, inline=True)
    for name, value in extra:
        head.add_field(name=name, value=value, inline=False)
    footer = f"{incident.ref} · update {update.seq} · {incident.severity.value}"
    if corrected:
        footer += " · corrected"
    # The key ends the footer: a retry finds the post by it after Discord forgot the nonce.
    head.set_footer(text=marked(clip(footer, MAX_FOOTER - len(MARK) - len(item.key)), item.key))
    return with_body(head, quiet(update.body), link=link)


def with_body(head: discord.Embed, body: str, *, link: str | None) -> list[discord.Embed]:
    budget = MAX_EMBED_TOTAL - len(head)
    text = body.strip()
    if len(text) > budget:
        more = f"\n\n… continued at {link}" if link else "\n\n… (cut to fit Discord)"
        text = clip(text, budget - len(more)) + more
    # split_text only drops characters, so the pieces together stay within the budget; each
    # piece but the last is over half a description long, so there are at most three.
    pieces = split_text(text, MAX_DESCRIPTION) or [""]
    head.description = pieces[0] or None
    colour = head.colour
    return [head, *(discord.Embed(description=p, colour=colour) for p in pieces[1:])]


# --- notices (internal) ----------------------------------------------------------------------

NOTICE_TITLES = {
    "approval_requested": "draft waits for approval",
    "reminder": "reminder",
    "delivery_dead": "a delivery failed for good",
    "draft_decided": "draft decided",
    "incident_changed": "incident changed",
}


def audience_mentions(audience: Sequence[str]) -> tuple[list[int], list[int]]:
    """User and role ids among ``audience`` entries (``discord:ID``, ``discord-role:ID``)."""
    users: list[int] = []
    roles: list[int] = []
    for entry in audience:
        kind, _, raw = entry.partition(":")
        if not raw.isdigit():
            continue
        if kind == "discord":
            users.append(int(raw))
        elif kind == "discord-role":
            roles.append(int(raw))
    return users, roles


def notice_content(notice: Notice) -> str:
    """Mentions of the notice's Discord audience, then its headline."""
    users, roles = audience_mentions(notice.audience)
    mentions = [f"<@{u}>" for u in users] + [f"<@&{r}>" for r in roles]
    headline = f"{notice.incident_ref}: {NOTICE_TITLES.get(notice.kind, notice.kind)}"
    return clip(" ".join([*mentions, quiet(headline)]), MAX_CONTENT)


def notice_allowed_mentions(notice: Notice) -> discord.AllowedMentions:
    """Only the notice's own audience may be pinged; never ``@everyone`` or ``@here``."""
    users, roles = audience_mentions(notice.audience)
    return discord.AllowedMentions(
        everyone=False,
        users=[discord.Object(u) for u in users] if users else False,
        roles=[discord.Object(r) for r in roles] if roles else False,
        replied_user=False,
    )


def notice_embed(notice: Notice) -> discord.Embed:
    """The notice's text in an embed (4096 characters fit, twice what content allows)."""
    title = f"{notice.incident_ref}: {NOTICE_TITLES.get(notice.kind, notice.kind)}"
    if notice.draft_version is not None:
        title += f" (version {notice.draft_version})"
    embed = discord.Embed(
        title=clip(title, MAX_TITLE),
        description=clip(quiet(notice.text), MAX_DESCRIPTION),
        colour=NOTICE_COLOURS.get(notice.kind, 0x95A5A6),
    )
    ids = [f"draft {notice.draft_id}"] if notice.draft_id else []
    ids += [f"reminder {notice.reminder_id}"] if notice.reminder_id else []
    footer = marked(" · ".join(ids), notice.key)
    if footer:
        embed.set_footer(text=clip(footer, MAX_FOOTER))
    return embed


def decided_embed(
    original: discord.Embed | None, *, verdict: str, who: str, at: datetime, note: str | None
) -> discord.Embed:
    """The approval request's embed, marked with who decided what and when."""
    embed = original.copy() if original is not None else discord.Embed(title="Draft")
    embed.colour = discord.Colour(0x2ECC71 if verdict.startswith("Approved") else 0x95A5A6)
    while len(embed.fields) >= MAX_FIELDS - 1:
        embed.remove_field(len(embed.fields) - 1)
    when = timestamp(at)
    embed.add_field(name=clip(verdict, MAX_FIELD_NAME), value=f"{who} · {when}" if who else when)
    if note:
        # A reason someone typed: harmless in an embed, neutralised all the same.
        embed.add_field(name="Note", value=clip(quiet(note), MAX_FIELD_VALUE), inline=False)
    overflow = len(embed) - MAX_EMBED_TOTAL
    if overflow > 0 and embed.description:
        embed.description = clip(embed.description, len(embed.description) - overflow)
    return embed


def draft_embed(*, ref: str, draft: Draft, note: str | None = None) -> discord.Embed:
    """A pending draft as an approval request shows it (after an edit, say)."""
    kind = "postmortem" if draft.postmortem else draft.status.value
    embed = discord.Embed(
        title=clip(
            f"{ref}: {NOTICE_TITLES['approval_requested']} (version {draft.version})", MAX_TITLE
        ),
        description=clip(quiet(draft.body), MAX_DESCRIPTION),
        colour=NOTICE_COLOURS["approval_requested"],
    )
    embed.add_field(name="Sets status", value=kind)
    writers = ", ".join(person(a) for a in draft.authors)
    embed.add_field(name="Written by", value=clip(writers, MAX_FIELD_VALUE))
    if draft.next_update_by is not None and draft.corrects is None:
        embed.add_field(name="Next update by", value=timestamp(draft.next_update_by, "t"))
    for name, status in list(draft.component_changes.items())[: MAX_FIELDS - 5]:
        embed.add_field(name=clip(name, MAX_FIELD_NAME), value=status.label)
    if note:
        embed.add_field(name="Note", value=clip(note, MAX_FIELD_VALUE), inline=False)
    embed.set_footer(text=f"draft {draft.id}")
    return embed

"""Scheduled-maintenance notices as Discord posts: like updates, with a blue embed.

Pure: a :class:`~commsbot.delivery.ports.MaintenanceOutbound` in, message content and embeds
out. As for updates, the delivery key ends the footer so a retry finds an earlier post.
"""

from __future__ import annotations

import discord

from adapters.discord.render import (
    MAX_CONTENT,
    MAX_FIELD_NAME,
    MAX_FIELD_VALUE,
    MAX_FIELDS,
    MAX_FOOTER,
    MAX_TITLE,
    clip,
    quiet,
    timestamp,
    with_body,
)
from adapters.discord.rest import MARK, marked
from commsbot.delivery.maintenance_render import label
from commsbot.delivery.ports import MaintenanceOutbound

#: Blue, as the status page shows maintenance (Statuspage's maintenance colour).
MAINTENANCE_COLOUR = 0x3498DB


def maintenance_content(item: MaintenanceOutbound) -> str:
    """The one-line message text above the embed (what push notifications show)."""
    post = item.post
    return clip(quiet(f"🔵 **{label(post)}** · Maintenance: {post.title}"), MAX_CONTENT)


def maintenance_embeds(item: MaintenanceOutbound) -> list[discord.Embed]:
    """The embeds of one maintenance notice: window, components, text, link."""
    post, notice = item.post, item.post.notice
    link = post.link if post.link.startswith(("http://", "https://")) else None
    head = discord.Embed(
        title=clip(f"{label(post)}: {quiet(post.title)}", MAX_TITLE),
        url=link,
        colour=MAINTENANCE_COLOUR,
        timestamp=notice.published_at,
    )
    window = (
        f"{timestamp(post.scheduled_for)} – {timestamp(post.scheduled_until)} "
        f"({timestamp(post.scheduled_for, 'R')})"
    )
    head.add_field(name="Window", value=clip(window, MAX_FIELD_VALUE), inline=False)
    changed = {c.name: c for c in notice.changes}
    room = MAX_FIELDS - 2
    for name, status in list(post.components.items())[:room]:
        change = changed.get(name)
        value = (
            f"{change.old.label} → **{change.new.label}**"
            if change is not None and change.old is not change.new
            else status.label
        )
        head.add_field(
            name=clip(quiet(name), MAX_FIELD_NAME), value=clip(value, MAX_FIELD_VALUE), inline=True
        )
    if link:
        head.add_field(name="Status page", value=clip(link, MAX_FIELD_VALUE), inline=False)
    footer = f"{post.ref} · notice {notice.seq} · maintenance"
    head.set_footer(text=marked(clip(footer, MAX_FOOTER - len(MARK) - len(item.key)), item.key))
    return with_body(head, quiet(notice.body), link=link)

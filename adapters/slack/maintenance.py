"""Scheduled-maintenance notices in a Slack status channel, posted like updates, in blue.

The first notice of a maintenance to reach the channel (its announcement) is the root message;
every later one (start, new window, completion, cancellation, notes) is a reply in its thread,
sent to the channel too unless it is a note. As for updates, each message carries its delivery
key in ``metadata``, and a retry that may follow an applied attempt looks for it first
(:meth:`adapters.slack.destination.SlackDestination.deliver_maintenance`).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from adapters.slack.blocks import (
    MAX_FALLBACK_TEXT,
    MAX_MESSAGE_TEXT,
    context,
    escaped_truncated,
    fit,
    link,
    section,
    sections,
)
from adapters.slack.render import COMPONENT_EMOJI, Message, when
from adapters.slack.wire import Block
from commsbot.delivery.maintenance_render import label
from commsbot.delivery.snapshot import MaintenancePost

MAINTENANCE_EVENT = "commsbot_maintenance"
#: Blue, as the status page shows maintenance.
EMOJI = ":large_blue_circle:"


def maintenance_message(post: MaintenancePost, *, zone: ZoneInfo) -> Message:
    """One published maintenance notice: what, when (the window), the text, the components."""
    n = post.notice
    title = escaped_truncated(post.title, 200)
    head = (
        f"{EMOJI} *{label(post)}* · *Maintenance {post.ref} · {title}*\n"
        f"*Window:* {when(post.scheduled_for, zone)} – {when(post.scheduled_until, zone)}"
    )
    blocks: list[Block] = [
        section(head),
        *sections(escaped_truncated(n.body, MAX_MESSAGE_TEXT - 800)),
    ]
    if n.changes:
        lines = [
            f"{COMPONENT_EMOJI[c.new]} *{escaped_truncated(c.name, 100)}*: "
            f"{c.old.label} → {c.new.label}"
            for c in n.changes
        ]
        blocks += sections("\n".join(lines))
    elif post.components:
        names = ", ".join(escaped_truncated(name, 100) for name in post.components)
        blocks.append(context(f"Components: {names}"))
    tail = [f"Published {when(n.published_at, zone)}"]
    if post.link:
        tail.append(link(post.link, "Status page"))
    blocks.append(context(" · ".join(tail)))
    text = escaped_truncated(
        f"Maintenance {post.ref} {label(post)}: {post.title}: {n.body}", MAX_FALLBACK_TEXT
    )
    return Message(text=text, blocks=fit(blocks))

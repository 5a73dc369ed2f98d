"""Published scheduled-maintenance notices rendered for each kind of surface.

The same three renderings as updates (:mod:`commsbot.delivery.render`), of one
:class:`~commsbot.delivery.ports.MaintenanceOutbound`: Markdown (Discord, webhooks, Apprise),
plain text (the console, email-like targets) and a short social post. User text goes through
:func:`~commsbot.delivery.render.neutralize` first; when a rendering would exceed its limit the
body is cut with "…" and the link is always kept.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from commsbot.delivery.ports import MaintenanceOutbound
from commsbot.delivery.render import LIMITS, escape_markdown, neutralize, truncate
from commsbot.delivery.snapshot import MaintenancePost
from commsbot.domain.maintenance import MaintenanceTrigger
from commsbot.maintenance.render import format_window

#: What each kind of notice is called on every surface.
KIND_LABELS = {
    MaintenanceTrigger.ANNOUNCE: "Scheduled",
    MaintenanceTrigger.PROGRESS: "Update",
    MaintenanceTrigger.EXTEND: "Window changed",
    MaintenanceTrigger.START: "In progress",
    MaintenanceTrigger.VERIFY: "Verifying",
    MaintenanceTrigger.RESUME: "In progress",
    MaintenanceTrigger.COMPLETE: "Completed",
    MaintenanceTrigger.CANCEL: "Cancelled",
}


def label(post: MaintenancePost) -> str:
    """``Scheduled``, ``In progress``, ``Completed``, ``Cancelled``, …"""
    return KIND_LABELS[post.notice.kind]


def headline(post: MaintenancePost) -> str:
    """``Maintenance MNT-3 · Database upgrade``."""
    return f"Maintenance {post.ref} · {neutralize(post.title)}"


def kicker(post: MaintenancePost, zone: ZoneInfo) -> str:
    """``Scheduled · Wed Dec 11, 10:00 PM – 11:30 PM PST``."""
    return f"{label(post)} · {format_window(post.scheduled_for, post.scheduled_until, zone)}"


def impact(post: MaintenancePost) -> str:
    """``API: under maintenance · Web: major outage`` (the shown status, the worse of the two)."""
    return " · ".join(
        f"{neutralize(name)}: {status.label.lower()}" for name, status in post.components.items()
    )


def _footer(post: MaintenancePost) -> str:
    lines = [impact(post)] if post.components else []
    lines.append(f"Details: {post.link}")
    return "\n\n" + "\n".join(lines)


def _fit(head: str, body: str, tail: str, limit: int | None) -> str:
    if limit is None:
        return head + body + tail
    return head + truncate(body, max(limit - len(head) - len(tail), 0)) + tail


def maintenance_markdown(
    item: MaintenanceOutbound, *, zone: ZoneInfo, limit: int | None = LIMITS["discord_content"]
) -> str:
    """The notice in Markdown, at most ``limit`` characters (None: no limit)."""
    post = item.post
    head = f"**{escape_markdown(headline(post))}**\n*{kicker(post, zone)}*\n\n"
    return _fit(head, neutralize(post.notice.body), _footer(post), limit)


def maintenance_plain(
    item: MaintenanceOutbound, *, zone: ZoneInfo, limit: int | None = None
) -> str:
    """The notice as plain text, at most ``limit`` characters (None: no limit)."""
    post = item.post
    head = f"{headline(post)}\n{kicker(post, zone)}\n\n"
    return _fit(head, neutralize(post.notice.body), _footer(post), limit)


def maintenance_short(item: MaintenanceOutbound, *, limit: int = LIMITS["short"]) -> str:
    """A social post: ``MNT-3 Scheduled: <body> <link>``."""
    post = item.post
    head = f"{post.ref} {label(post)}: "
    body = " ".join(neutralize(post.notice.body).split())
    return _fit(head, body, f" {post.link}", limit)

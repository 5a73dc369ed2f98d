"""Published updates rendered for each kind of surface, within each platform's limits.

Three renderings of one :class:`~commsbot.delivery.ports.Outbound`:

- :func:`render_markdown`: the full update (Discord, webhooks, Apprise targets that take
  Markdown); the author's Markdown formatting is kept.
- :func:`render_plain`: the same without Markdown (email, Teams, Telegram, the console).
- :func:`render_short`: ≤ 280 characters with the link, for social posts (X, Mastodon, Bluesky).

On every surface user text (title, body) goes through :func:`neutralize` first: a mass mention
(``@everyone``, ``@here``, ``<!channel>``, ``<!here>``), a user/role/channel mention
(``<@123>``, ``<@&1>``, ``<#C1>``) or a masked link (``[text](url)``, ``<url|text>``) in what an
author typed never pings anyone nor hides where a link goes: mentions are broken with a
zero-width space and masked links are shown as ``text (url)``. Slack's own escaping
(``&``, ``<``, ``>``) is :func:`escape_slack`. When a rendering would exceed its limit
(:data:`LIMITS`, from PLATFORMS.md) the body is cut with "…", and the link to the full update
is always kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

from commsbot.delivery.ports import Notice, Outbound
from commsbot.domain.lifecycle import Trigger
from commsbot.templates import format_time

ZWSP = "\u200b"
ELLIPSIS = "…"

#: Platform limits in characters (PLATFORMS.md). Renderings stay at or under these.
LIMITS = {
    "discord_content": 2000,
    "discord_embed_title": 256,
    "discord_embed_description": 4096,
    "discord_embed_field_value": 1024,
    "discord_embed_total": 6000,
    "slack_section_text": 3000,
    "slack_header": 150,
    "slack_message_text": 4000,  # Slack truncates at 40,000; keep well under 4,000
    "short": 280,
}

# <@U123>, <@!123>, <@&123> (roles), <#C123|name>, <!here>, <!channel>, <!everyone>,
# <!subteam^S123>: Slack and Discord mention syntax.
_ANGLE_MENTION = re.compile(r"<([@#!])")
# Slack's masked link <https://x|label> and plain <https://x>.
_SLACK_LINK = re.compile(r"<((?:https?|mailto|ftp)[^|<>\s]*)(?:\|([^<>]*))?>", re.I)
# Markdown links and images: [label](url "title"), ![alt](url).
_MD_LINK = re.compile(r"!?\[([^\[\]]*)\]\(\s*<?([^()\s<>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
# Reference-style link definitions: [label]: https://…
_MD_REF = re.compile(r"^\s*\[([^\]]+)\]:\s*(\S+)", re.M)
# Bare mass mentions (Discord, Teams, Mattermost, Rocket.Chat…).
_MASS = re.compile(r"@(everyone|here|channel|all)\b", re.I)


def neutralize(text: str) -> str:
    """``text`` with every mention and masked link made harmless, for any surface.

    Example:
        >>> neutralize("@everyone see [our status](https://evil.example) <!channel>")
        '@\\u200beveryone see our status (https://evil.example) <\\u200b!channel>'
    """

    def unmask(label: str, url: str) -> str:
        label = label.strip()
        if not url:
            return label
        return url if not label or label == url else f"{label} ({url})"

    text = _SLACK_LINK.sub(lambda m: unmask(m.group(2) or "", m.group(1)), text)
    text = _MD_LINK.sub(lambda m: unmask(m.group(1), m.group(2)), text)
    text = _MD_REF.sub(lambda m: f"{m.group(1)}: {m.group(2)}", text)
    text = _ANGLE_MENTION.sub(lambda m: f"<{ZWSP}{m.group(1)}", text)
    return _MASS.sub(lambda m: f"@{ZWSP}{m.group(1)}", text)


def escape_slack(text: str) -> str:
    """Slack mrkdwn escaping: only ``&``, ``<`` and ``>`` (``&amp;``, ``&lt;``, ``&gt;``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_markdown(text: str) -> str:
    """Backslash-escape Markdown syntax, for text that must show literally (names, titles)."""
    return re.sub(r"([\\`*_~|>\[\]()#])", r"\\\1", text)


def truncate(text: str, limit: int, *, escape: Callable[[str], str] | None = None) -> str:
    """``text`` cut to at most ``limit`` characters (after ``escape``), ending in "…".

    The cut prefers a word boundary in the last fifth of the room, and never splits what
    ``escape`` makes of one character (``&amp;`` stays whole).
    """
    esc = escape or (lambda s: s)
    whole = esc(text)
    if len(whole) <= limit:
        return whole
    if limit <= 0:
        return ""
    # The escaped length grows with the prefix: find the longest prefix that fits.
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if len(esc(text[:mid].rstrip())) + len(ELLIPSIS) <= limit:
            low = mid
        else:
            high = mid - 1
    cut = text[:low]
    space = cut.rfind(" ")
    if space >= low * 4 // 5:
        cut = cut[:space]
    return esc(cut.rstrip()) + ELLIPSIS


def status_label(item: Outbound) -> str:
    """ "Investigating", "Identified", "Fixing", "Recovered" or "Postmortem"."""
    if item.update.trigger is Trigger.POSTMORTEM:
        return "Postmortem"
    return item.update.status.label


def _impact(item: Outbound) -> str:
    return " · ".join(
        f"{neutralize(name)}: {status.label.lower()}"
        for name, status in item.incident.components.items()
    )


def _fit(head: str, body: str, tail: str, limit: int | None, escape: Callable[[str], str]) -> str:
    """``head + body + tail`` with only the body cut to fit ``limit``."""
    if limit is None:
        return head + escape(body) + tail
    room = limit - len(head) - len(tail)
    return head + truncate(body, max(room, 0), escape=escape) + tail


def _headline(item: Outbound) -> str:
    i = item.incident.incident
    prefix = "Correction: " if item.is_correction else ""
    return f"{prefix}{i.ref} · {neutralize(i.title)}"


def _kicker(item: Outbound, zone: ZoneInfo) -> str:
    u = item.update
    when = format_time(u.published_at, zone)
    what = f"correction of update #{u.seq}" if item.is_correction else f"update #{u.seq}"
    return f"{status_label(item)} · {what} · {when}"


def _footer(item: Outbound, zone: ZoneInfo) -> list[str]:
    lines = []
    impact = _impact(item)
    if impact:
        lines.append(impact)
    if item.update.next_update_by and not item.is_correction:
        lines.append(f"Next update by {format_time(item.update.next_update_by, zone)}.")
    lines.append(f"Full update: {item.link}")
    return lines


def render_markdown(
    item: Outbound, *, zone: ZoneInfo, limit: int | None = LIMITS["discord_content"]
) -> str:
    """The full update in Markdown, at most ``limit`` characters (None: no limit)."""
    head = f"**{escape_markdown(_headline(item))}**\n*{_kicker(item, zone)}*\n\n"
    tail = "\n\n" + "\n".join(_footer(item, zone))
    return _fit(head, neutralize(item.update.body), tail, limit, lambda s: s)


def render_plain(item: Outbound, *, zone: ZoneInfo, limit: int | None = None) -> str:
    """The full update as plain text, at most ``limit`` characters (None: no limit)."""
    head = f"{_headline(item)}\n{_kicker(item, zone)}\n\n"
    tail = "\n\n" + "\n".join(_footer(item, zone))
    return _fit(head, _plain(neutralize(item.update.body)), tail, limit, lambda s: s)


def render_short(item: Outbound, *, limit: int = LIMITS["short"]) -> str:
    """A social post: reference, status, as much of the body as fits, and the link.

    Example: ``INC-1 Investigating: We're investigating an issue affecting … https://…``
    """
    i = item.incident.incident
    what = f"Correction to {i.ref} update #{item.update.seq}" if item.is_correction else i.ref
    head = f"{what} {status_label(item)}: "
    tail = f" {item.link}"
    body = " ".join(_plain(neutralize(item.update.body)).split())
    return _fit(head, body, tail, limit, lambda s: s)


def notice_plain(notice: Notice, *, limit: int | None = None) -> str:
    """An internal notice as plain text, with its command-line hint (it has no buttons).

    The text is ours but quotes drafts and titles: neutralised.
    """
    text = f"[{notice.kind}] {notice.incident_ref}: {neutralize(notice.full_text())}"
    return text if limit is None else truncate(text, limit)


def _plain(markdown: str) -> str:
    """Markdown emphasis and headings dropped, for surfaces that would show them literally."""
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", markdown)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", text)
    return re.sub(r"^#{1,6}\s+", "", text, flags=re.M)

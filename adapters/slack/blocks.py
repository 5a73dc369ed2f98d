"""Block Kit builders that respect Slack's limits and escape every piece of user text.

Slack's mrkdwn needs only ``&``, ``<`` and ``>`` escaped (the broadcast engine's
:func:`~commsbot.delivery.render.escape_slack`), and escaping ``<`` already defuses
``<!here>``, ``<!channel>`` and ``<@U…>``. Everything a person typed goes through
:func:`escape`, which first applies the rule every surface shares
(:func:`~commsbot.delivery.render.neutralize`): ``@everyone``/``@here`` and ``<!channel>``-style
mentions broken with a zero-width space, masked links shown as ``text (url)``. So Slack shows
typed text exactly as Discord, the status page and email do. Only mentions and links that
commsbot builds itself (:func:`mention`, :func:`link`) are left as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from adapters.slack.wire import (
    ActionsBlock,
    Block,
    Button,
    ContextBlock,
    InputBlock,
    Mrkdwn,
    Option,
    PlainText,
    PlainTextInput,
    SectionBlock,
    StaticSelect,
)
from commsbot.delivery.render import LIMITS, escape_slack, neutralize

#: Limits from Slack's Block Kit reference (see ../shared/PLATFORMS.md).
MAX_BLOCKS_MESSAGE = 50
MAX_BLOCKS_MODAL = 100
MAX_SECTION_TEXT = LIMITS["slack_section_text"]
MAX_CONTEXT_TEXT = 2000
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255
MAX_PRIVATE_METADATA = 3000
#: Keep whole messages well under Slack's 4,000-character comfort limit.
MAX_MESSAGE_TEXT = 3500
#: The notification/fallback ``text`` of a message with blocks.
MAX_FALLBACK_TEXT = 300
#: The value every form input carries its text or choice under (``state.values[block][VALUE]``).
VALUE = "value"


def escape(text: str) -> str:
    """User text for mrkdwn: neutralised as on every surface, then ``&`` → ``&amp;``,
    ``<`` → ``&lt;``, ``>`` → ``&gt;``."""
    return escape_slack(neutralize(text))


def truncate(text: str, limit: int, *, ellipsis: str = "…") -> str:
    """``text`` cut to at most ``limit`` characters, ending in ``ellipsis`` when cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(ellipsis))].rstrip() + ellipsis


def escaped_truncated(text: str, limit: int) -> str:
    """Escape, then truncate without cutting an entity such as ``&amp;`` in half."""
    return shorten(escape(text), limit)


def shorten(markup: str, limit: int) -> str:
    """Cut already-escaped mrkdwn to ``limit`` characters without breaking ``<…>`` or ``&…;``."""
    if len(markup) <= limit:
        return markup
    cut = markup[: max(0, limit - 1)]
    for opener, closer in (("<", ">"), ("&", ";")):
        at = cut.rfind(opener)
        if at != -1 and closer not in cut[at:]:
            cut = cut[:at]
    return cut.rstrip() + "…"


def chunks(text: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Split already-escaped ``text`` into pieces of at most ``limit`` characters.

    Cuts at a paragraph, then a line, then a space when one is near; never inside an entity.
    """
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 2:
            cut = limit
            amp = window.rfind("&")
            if amp != -1 and ";" not in window[amp:]:
                cut = amp
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def mention(actor_id: str) -> str:
    """How a commsbot actor id reads in Slack: a real mention for Slack users and groups."""
    kind, sep, value = actor_id.partition(":")
    if sep and kind == "slack" and value.isalnum():
        return f"<@{value}>"
    if sep and kind == "slack-group" and value.isalnum():
        return f"<!subteam^{value}>"
    return escape(actor_id)


def link(url: str, label: str) -> str:
    """A mrkdwn link built by commsbot (the URL comes from configuration, not from users)."""
    safe_url = url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")
    return f"<{safe_url}|{escape(label).replace('|', '¦')}>"


# --- blocks --------------------------------------------------------------------------------


def plain(text: str, limit: int) -> PlainText:
    """A ``plain_text`` object (not parsed for mentions or links)."""
    return {"type": "plain_text", "text": truncate(text, limit) or " ", "emoji": True}


def mrkdwn(text: str) -> Mrkdwn:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def section(text: str, *, block_id: str | None = None) -> SectionBlock:
    """A section of already-escaped mrkdwn (at most 3,000 characters)."""
    block: SectionBlock = {
        "type": "section",
        "text": mrkdwn(truncate(text, MAX_SECTION_TEXT) or " "),
    }
    if block_id is not None:
        block["block_id"] = block_id
    return block


def sections(text: str) -> list[Block]:
    """As many sections as already-escaped ``text`` needs."""
    return [section(piece) for piece in chunks(text)]


def fields(pairs: list[str]) -> list[Block]:
    """Sections of two-column fields (10 per section, 2,000 characters each)."""
    return [
        {
            "type": "section",
            "fields": [mrkdwn(truncate(p, MAX_CONTEXT_TEXT)) for p in pairs[start : start + 10]],
        }
        for start in range(0, len(pairs), 10)
    ]


def context(text: str, *, block_id: str | None = None) -> ContextBlock:
    block: ContextBlock = {
        "type": "context",
        "elements": [mrkdwn(truncate(text, MAX_CONTEXT_TEXT) or " ")],
    }
    if block_id is not None:
        block["block_id"] = block_id
    return block


def button(
    text: str, *, action_id: str, value: str, style: Literal["primary", "danger"] | None = None
) -> Button:
    """A button; ``value`` and ``action_id`` carry everything its handler needs."""
    if len(value) > MAX_BUTTON_VALUE or len(action_id) > MAX_ACTION_ID:
        raise ValueError(f"button {action_id!r} carries too much ({len(value)} characters)")
    out: Button = {
        "type": "button",
        "text": plain(text, MAX_BUTTON_TEXT),
        "action_id": action_id,
        "value": value,
    }
    if style:
        out["style"] = style
    return out


def actions(block_id: str, *elements: Button | StaticSelect) -> ActionsBlock:
    return {"type": "actions", "block_id": block_id[:MAX_ACTION_ID], "elements": list(elements)}


def fit(
    blocks: list[Block], *, limit: int = MAX_BLOCKS_MESSAGE, note: str | None = None
) -> list[Block]:
    """At most ``limit`` blocks; when cut, the last one says so (``note``)."""
    if len(blocks) <= limit:
        return blocks
    kept = blocks[: limit - 1]
    kept.append(context(note or "_(shortened: too long for one Slack message)_"))
    return kept


# --- form elements -------------------------------------------------------------------------


def option(text: str, value: str) -> Option:
    return {"text": plain(text, 75), "value": value}


def select(
    options: Sequence[Option],
    initial: str | None = None,
    *,
    action_id: str = VALUE,
    placeholder: str = "Choose…",
) -> StaticSelect:
    """A ``static_select`` (at most 100 options); ``initial`` is the value chosen at first."""
    element: StaticSelect = {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": plain(placeholder, 150),
        "options": list(options[:100]),
    }
    chosen = [o for o in options if o["value"] == initial]
    if chosen:
        element["initial_option"] = chosen[0]
    return element


def text_input(
    initial: str | None = None,
    *,
    multiline: bool = False,
    max_length: int = 3000,
    placeholder: str | None = None,
) -> PlainTextInput:
    element: PlainTextInput = {
        "type": "plain_text_input",
        "action_id": VALUE,
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial[:max_length]
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    return element


def input_block(
    block_id: str,
    label: str,
    element: PlainTextInput | StaticSelect,
    *,
    optional: bool = False,
    hint: str | None = None,
    dispatch_action: bool = False,
) -> InputBlock:
    """A form field; ``dispatch_action``: changing it is sent at once (``block_actions``)."""
    block: InputBlock = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
    }
    if optional:
        block["optional"] = True
    if hint:
        block["hint"] = plain(hint, 2000)
    if dispatch_action:
        block["dispatch_action"] = True
    return block

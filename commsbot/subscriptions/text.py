"""The approved text as subscriber emails show it: the same words in the plain and HTML parts.

Links written in the text stay visible: Markdown and Slack masked links become ``label (url)``
in both parts, and in HTML each ``http(s)`` URL links to exactly what it shows.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from commsbot.templates import format_date, format_time

_URL = re.compile(r"https?://[^\s<>\"'`]+", re.I)
_MD_LINK = re.compile(r"!?\[([^\[\]]*)\]\(\s*<?(https?://[^()\s<>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_SLACK_LINK = re.compile(r"<(https?://[^|<>\s]*)(?:\|([^<>]*))?>", re.I)
_TRAILING = ".,;:!?'\"”’)]}"


def email_text(text: str) -> str:
    """The approved text as both parts show it: line breaks kept, other control characters
    dropped (RFC 5322 allows none), masked links unmasked."""

    def unmask(label: str, url: str) -> str:
        label = label.strip()
        return url if not label or label == url else f"{label} ({url})"

    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")
    text = _SLACK_LINK.sub(lambda m: unmask(m.group(2) or "", m.group(1)), text)
    return _MD_LINK.sub(lambda m: unmask(m.group(1), m.group(2)), text).strip()


def linkify(text: str) -> Markup:
    """``text`` HTML-escaped, with each ``http(s)`` URL made a link that shows itself.

    Trailing punctuation stays outside the link ("see https://x.example/a." links ``…/a``);
    a closing parenthesis stays inside only when the URL opened one.
    """
    out: list[str] = []
    pos = 0
    for match in _URL.finditer(text):
        url = match.group(0)
        while url and url[-1] in _TRAILING:
            if url[-1] == ")" and url.count("(") >= url.count(")"):
                break
            url = url[:-1]
        start, end = match.start(), match.start() + len(url)
        out.append(str(escape(text[pos:start])))
        out.append(str(Markup('<a href="{0}">{0}</a>').format(url)))
        pos = end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def paragraphs(text: str) -> Markup:
    parts = [p.strip("\n") for p in re.split(r"\n[ \t]*\n", text) if p.strip()]
    html = [
        Markup('<p style="margin:0 0 16px">{}</p>').format(
            Markup("<br>\n").join(linkify(line) for line in para.split("\n"))
        )
        for para in parts
    ]
    return Markup("\n").join(html)


def when(moment: datetime, zone: ZoneInfo) -> str:
    """``Dec 11, 3:16 PM PST`` in ``zone``."""
    return f"{format_date(moment, zone)}, {format_time(moment, zone)}"

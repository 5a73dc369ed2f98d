"""What user text may contain, decided once for every surface.

Text enters commsbot from the CLI, the API, Slack, Discord, Alertmanager and configuration; it
leaves as XML feeds, HTML, JSON, chat messages and e-mail. Some characters are valid in the
first and break the second: one BEL in a title makes ``/history.atom`` unreadable for every
feed reader. So every piece of user text is normalised here, at the core's boundary:

- Unicode NFC (``é`` typed as ``e`` + combining accent is the same name as ``é``);
- line endings ``CR LF`` and a lone ``CR`` become ``LF``; leading and trailing whitespace goes;
- refused (:func:`clean_text`) or removed (:func:`sanitize_text`): C0 and C1 control characters
  other than line feed and tab (U+0000–U+001F, U+007F–U+009F), Unicode noncharacters
  (U+FDD0–U+FDEF and the last two code points of every plane, U+FFFE, U+FFFF, U+1FFFE, …),
  and unpaired surrogates (U+D800–U+DFFF: not text, cannot be stored as UTF-8);
- refused: text that shows nothing, made only of whitespace and invisible characters
  (zero-width spaces and joiners, U+2060 WORD JOINER, U+FEFF, other format characters,
  combining marks on their own, Hangul fillers).

:func:`clean_text` refuses with a message naming the character and where it is: for what a
person typed, who can fix it. :func:`sanitize_text` removes instead: for text no person typed
(Alertmanager labels) and for anything written out (the feeds strip even old rows).
"""

from __future__ import annotations

import re
import unicodedata

from commsbot.domain.errors import InvalidInput

#: Names of the C0 and C1 controls (Unicode's NameAliases.txt; ``unicodedata.name`` has none).
#: U+0007 is formally ALERT (U+1F514 took the name BELL); BELL is the name people know.
_CONTROL_NAMES = (
    "NULL",
    "START OF HEADING",
    "START OF TEXT",
    "END OF TEXT",
    "END OF TRANSMISSION",
    "ENQUIRY",
    "ACKNOWLEDGE",
    "BELL",
    "BACKSPACE",
    "CHARACTER TABULATION",
    "LINE FEED",
    "LINE TABULATION",
    "FORM FEED",
    "CARRIAGE RETURN",
    "SHIFT OUT",
    "SHIFT IN",
    "DATA LINK ESCAPE",
    "DEVICE CONTROL ONE",
    "DEVICE CONTROL TWO",
    "DEVICE CONTROL THREE",
    "DEVICE CONTROL FOUR",
    "NEGATIVE ACKNOWLEDGE",
    "SYNCHRONOUS IDLE",
    "END OF TRANSMISSION BLOCK",
    "CANCEL",
    "END OF MEDIUM",
    "SUBSTITUTE",
    "ESCAPE",
    "INFORMATION SEPARATOR FOUR",
    "INFORMATION SEPARATOR THREE",
    "INFORMATION SEPARATOR TWO",
    "INFORMATION SEPARATOR ONE",
)
_C1_NAMES = (
    "PADDING CHARACTER",
    "HIGH OCTET PRESET",
    "BREAK PERMITTED HERE",
    "NO BREAK HERE",
    "INDEX",
    "NEXT LINE",
    "START OF SELECTED AREA",
    "END OF SELECTED AREA",
    "CHARACTER TABULATION SET",
    "CHARACTER TABULATION WITH JUSTIFICATION",
    "LINE TABULATION SET",
    "PARTIAL LINE FORWARD",
    "PARTIAL LINE BACKWARD",
    "REVERSE LINE FEED",
    "SINGLE SHIFT TWO",
    "SINGLE SHIFT THREE",
    "DEVICE CONTROL STRING",
    "PRIVATE USE ONE",
    "PRIVATE USE TWO",
    "SET TRANSMIT STATE",
    "CANCEL CHARACTER",
    "MESSAGE WAITING",
    "START OF GUARDED AREA",
    "END OF GUARDED AREA",
    "START OF STRING",
    "SINGLE GRAPHIC CHARACTER INTRODUCER",
    "SINGLE CHARACTER INTRODUCER",
    "CONTROL SEQUENCE INTRODUCER",
    "STRING TERMINATOR",
    "OPERATING SYSTEM COMMAND",
    "PRIVACY MESSAGE",
    "APPLICATION PROGRAM COMMAND",
)
#: Every character :func:`forbidden_reason` names, but CR (a line ending, normalised instead):
#: those of the first plane, and the noncharacters of the 16 others. Two patterns, because a
#: character class holding astral characters makes every search about ten times slower, and
#: the status page runs one on every piece of text it renders.
_FORBIDDEN_BMP = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)
_FORBIDDEN_ASTRAL = re.compile(
    "[" + "".join(chr(p << 16 | 0xFFFE) + chr(p << 16 | 0xFFFF) for p in range(1, 17)) + "]"
)


def _has_astral(text: str) -> bool:
    return not text.isascii() and max(text) > "\uffff"


def _first_forbidden(text: str) -> re.Match[str] | None:
    found = _FORBIDDEN_BMP.search(text)
    if _has_astral(text):
        astral = _FORBIDDEN_ASTRAL.search(text)
        if astral is not None and (found is None or astral.start() < found.start()):
            return astral
    return found


def _drop_forbidden(text: str) -> str:
    kept = _FORBIDDEN_BMP.sub("", text)
    return _FORBIDDEN_ASTRAL.sub("", kept) if _has_astral(kept) else kept


#: Letters that render as nothing at all (fillers), beside the format characters (Cf).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Mn", "Me", "Zs", "Zl", "Zp"})


def forbidden_reason(ch: str) -> str | None:
    """Why ``ch`` may not be in user text (``"U+0007 BELL"``), or None when it may."""
    cp = ord(ch)
    if ch in "\n\t":
        return None
    if cp < 0x20:
        return f"U+{cp:04X} {_CONTROL_NAMES[cp]}"
    if cp == 0x7F:
        return "U+007F DELETE"
    if 0x80 <= cp <= 0x9F:
        return f"U+{cp:04X} {_C1_NAMES[cp - 0x80]}"
    if 0xD800 <= cp <= 0xDFFF:
        return f"U+{cp:04X} (an unpaired surrogate, not a character)"
    if 0xFDD0 <= cp <= 0xFDEF or (cp & 0xFFFE) == 0xFFFE:
        return f"U+{cp:04X} (a Unicode noncharacter)"
    return None


def find_forbidden(text: str) -> tuple[int, str] | None:
    """(0-based index, :func:`forbidden_reason`) of the first character refused in ``text``,
    CR aside (a line ending); None when there is none."""
    found = _first_forbidden(text)
    if found is None:
        return None
    reason = forbidden_reason(found.group())
    return None if reason is None else (found.start(), reason)


def is_invisible(ch: str) -> bool:
    """Whether ``ch`` shows nothing on its own (whitespace, zero-width, format, fillers)."""
    return ch.isspace() or ch in _BLANK_LETTERS or unicodedata.category(ch) in _INVISIBLE_CATEGORIES


def _hint(what: str) -> str:
    if "reason" in what:
        return "say why in a few words"
    if "note" in what or "follow-up" in what:
        return "write what the team should know"
    if "name" in what or "actor" in what or "owner" in what:
        return "use letters or digits people can read"
    return "write what the public should read"


def _describe(ch: str) -> str:
    cp = ord(ch)
    try:
        return f"U+{cp:04X} {unicodedata.name(ch)}"
    except ValueError:
        return f"U+{cp:04X}"


def clean_text(text: str, *, what: str, limit: int, field: str | None = None) -> str:
    """``text`` normalised (NFC, ``LF`` line endings, stripped), or InvalidInput saying why not.

    Args:
        what: what the text is, for the message ("incident title", "reason", …).
        limit: the most characters allowed, counted after normalising.
        field: the input the text came from (``title``, ``body``…), carried by the refusal.

    Raises:
        InvalidInput: the text has a control character, a noncharacter or an unpaired
            surrogate (the message names it and its position, counted from 1 in the text as
            given); is empty or only invisible characters; or is longer than ``limit``.

    Example:
        >>> clean_text("  API down\\r\\n", what="incident title", limit=200)
        'API down'
    """
    found = find_forbidden(text)
    if found is not None:
        index, reason = found
        fix = (
            "remove it"
            if "(" in reason
            else "remove control characters (line breaks and tabs are fine)"
        )
        raise InvalidInput(
            f"the {what} contains {reason} at position {index + 1}; {fix}", field=field
        )
    cleaned = _normalise(text)
    if not cleaned:
        raise InvalidInput(f"the {what} is empty; {_hint(what)}", field=field)
    if all(is_invisible(ch) for ch in cleaned):
        shown = ", ".join(dict.fromkeys(_describe(ch) for ch in cleaned[:20]))
        raise InvalidInput(
            f"the {what} has only invisible characters ({shown}); {_hint(what)}", field=field
        )
    if len(cleaned) > limit:
        raise InvalidInput(
            f"the {what} is {len(cleaned)} characters long; the most allowed is {limit}",
            field=field,
        )
    return cleaned


def clean_name(name: str, *, what: str, limit: int, forbidden: str = "") -> str:
    """A one-line name (component, owner, actor): :func:`clean_text`, and no line breaks or tabs.

    Args:
        forbidden: more characters the name may not hold (e.g. ``=`` in component names).

    Raises:
        InvalidInput: as :func:`clean_text`, or the name holds a line break, a tab or one of
            ``forbidden``.
    """
    cleaned = clean_text(name, what=what, limit=limit)
    for ch in "\n\t" + forbidden:
        if ch in cleaned:
            shown = {"\n": "a line break", "\t": "a tab"}.get(ch, repr(ch))
            raise InvalidInput(
                f"the {what} {cleaned!r} contains {shown}; use one line of at most {limit} "
                "characters" + (f" without {', '.join(map(repr, forbidden))}" if forbidden else "")
            )
    return cleaned


def sanitize_text(text: str, *, limit: int | None = None) -> str:
    """``text`` normalised as :func:`clean_text` does, with what it would refuse removed.

    Never raises: for text nobody can be asked to fix (an Alertmanager label) and for output
    (rows written before these rules). The result may be empty. With ``limit``, longer text is
    cut and ends with ``…``.
    """
    cleaned = _normalise(_drop_forbidden(text))
    if limit is not None and len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


def sanitize_inline(text: str) -> str:
    """``text`` without the characters :func:`clean_text` refuses (CR aside), and otherwise
    unchanged: for pieces of a larger document being written out (feeds, HTML), where spaces
    and line endings belong to the author and only validity matters."""
    return _drop_forbidden(text)


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text).strip()

"""The text fields of the private API: what they may hold, checked here and stated in the schema.

The core refuses text that holds a control character, a noncharacter or an unpaired surrogate,
or that shows nothing (only spaces and invisible characters): :mod:`commsbot.domain.text`. The
API checks the same before any use case runs, so the refusal names the field (``title: has only
invisible characters …``), and ``/openapi.json`` states the same rule as a ``pattern``: a
request the schema calls valid is one the core accepts.

The pattern is a character class of every code point, built once from Unicode's categories when
the schema is first asked for (it is long: Unicode has a few hundred ranges of invisible marks).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from commsbot.domain.text import find_forbidden, forbidden_reason, is_invisible

_LAST_CODE_POINT = 0x10FFFF


def forbidden(ch: str) -> bool:
    """Whether ``ch`` may not be in text at all (CR aside: the core turns it into LF)."""
    return ch != "\r" and forbidden_reason(ch) is not None


def _names(chars: str) -> str:
    shown = []
    for ch in dict.fromkeys(chars[:20]):
        try:
            shown.append(f"U+{ord(ch):04X} {unicodedata.name(ch)}")
        except ValueError:
            shown.append(f"U+{ord(ch):04X}")
    return ", ".join(shown)


def text_problem(value: str, *, one_line: bool = False, also: str = "") -> str | None:
    """What is wrong with ``value`` as text (None when nothing): for a field's error message.

    The core's rules (:mod:`commsbot.domain.text`), in the words of a field's refusal.
    """
    found = find_forbidden(value)
    if found is not None:
        index, reason = found
        return f"contains {reason} at position {index + 1}; remove it"
    for index, ch in enumerate(value):
        if (one_line and ch in "\n\r\t") or ch in also:
            shown = {"\n": "a line break", "\r": "a line break", "\t": "a tab"}.get(ch, repr(ch))
            return f"contains {shown} at position {index + 1}; remove it"
    if not value.strip():
        return "must not be empty"
    if all(is_invisible(ch) for ch in value):
        return f"has only invisible characters ({_names(value)}); write text people can read"
    return None


#: The code points :func:`forbidden` names, as ranges.
_FORBIDDEN_RANGES = [
    (0x00, 0x08),
    (0x0B, 0x0C),
    (0x0E, 0x1F),
    (0x7F, 0x9F),
    (0xD800, 0xDFFF),
    (0xFDD0, 0xFDEF),
    *((plane << 16 | 0xFFFE, plane << 16 | 0xFFFF) for plane in range(17)),
]


@functools.cache
def _invisible_ranges() -> list[tuple[int, int]]:
    """Every run of code points ``is_invisible`` is true for (one pass over Unicode)."""
    found: list[tuple[int, int]] = []
    start = -1
    for cp in range(_LAST_CODE_POINT + 2):
        if cp <= _LAST_CODE_POINT:
            ch = chr(cp)
            inside = is_invisible(ch)
        else:
            inside = False
        if inside and start < 0:
            start = cp
        elif not inside and start >= 0:
            found.append((start, cp - 1))
            start = -1
    return found


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(high, merged[-1][1]))
        else:
            merged.append((low, high))
    return merged


def _char(cp: int) -> str:
    # BMP code points as \uXXXX (Python, ECMA 262 and most validators read it); others as the
    # character itself, which JSON carries as a surrogate pair and every reader decodes.
    return f"\\u{cp:04x}" if cp <= 0xFFFF else chr(cp)


def _class(ranges: list[tuple[int, int]]) -> str:
    return "".join(_char(a) if a == b else f"{_char(a)}-{_char(b)}" for a, b in ranges)


@functools.cache
def text_pattern(one_line: bool = False, also: str = "") -> str:
    """The ``pattern`` of a text field: no forbidden character, and one visible character.

    Args:
        one_line: also no line break or tab (names).
        also: more characters the field may not hold (``=`` in component names).
    """
    extra = [(ord(ch), ord(ch)) for ch in ("\n\r\t" if one_line else "") + also]
    # Unpaired surrogates are left out: JSON text cannot carry them as Unicode, and regex
    # engines that read the schema (jsonschema-rs) refuse a class naming them.
    no_surrogates = [r for r in _FORBIDDEN_RANGES if r != (0xD800, 0xDFFF)]
    banned = _merge([*no_surrogates, *extra])
    hidden = _merge([*banned, *_invisible_ranges()])
    return f"^[^{_class(banned)}]*[^{_class(hidden)}][^{_class(banned)}]*$"


def _validator(one_line: bool, also: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        problem = text_problem(value, one_line=one_line, also=also)
        if problem is not None:
            raise ValueError(problem)
        return value

    return check


def _schema(one_line: bool, also: str) -> Callable[[dict[str, Any]], None]:
    def add(schema: dict[str, Any]) -> None:
        schema["pattern"] = text_pattern(one_line, also)

    return add


#: Text a person reads: a title, an update, a reason, a note (line breaks allowed).
Text = Annotated[
    str,
    AfterValidator(_validator(False, "")),
    Field(min_length=1, json_schema_extra=_schema(False, "")),
]
#: Every white-space character (``str.isspace``; none lies above U+3000).
_SPACES = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())
#: An actor id (a new commander): one word, no white space at all.
ActorId = Annotated[
    str,
    AfterValidator(_validator(True, _SPACES)),
    Field(min_length=1, json_schema_extra=_schema(True, _SPACES)),
]
#: A component's name: one line, no ``=`` (the CLI's ``NAME=STATUS``), at most 100 characters.
ComponentName = Annotated[
    str,
    AfterValidator(_validator(True, "=")),
    Field(min_length=1, max_length=100, json_schema_extra=_schema(True, "=")),
]

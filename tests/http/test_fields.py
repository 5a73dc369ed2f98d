"""The text rules of the API and the pattern /openapi.json states for them say the same."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from commsbot.http.fields import _FORBIDDEN_RANGES, forbidden, text_pattern, text_problem

# Every code point but surrogates (JSON text cannot carry them), with the ones that matter often.
characters = st.one_of(
    st.characters(exclude_categories=["Cs"]),
    st.sampled_from("\x00\x07\t\n\r \u00a0\u00ad\u0301\u200b\u2028\u3164\ufeff\ufffe=\U0001fffe"),
)


@pytest.mark.parametrize(("one_line", "also"), [(False, ""), (True, "=")])
@given(value=st.text(characters, max_size=12))
@example(value="")
@example(value=" ")
@example(value="\u200b")
@example(value="a\u0007")
@example(value="a\r\nb")
@example(value="API=down")
@settings(max_examples=500, deadline=None)
def test_the_schema_pattern_accepts_exactly_what_the_api_accepts(
    one_line: bool, also: str, value: str
) -> None:
    pattern = re.compile(text_pattern(one_line, also))

    assert (pattern.fullmatch(value) is not None) == (
        text_problem(value, one_line=one_line, also=also) is None
    ), value


def test_the_pattern_names_exactly_the_characters_the_core_refuses() -> None:
    listed = {cp for low, high in _FORBIDDEN_RANGES for cp in range(low, high + 1)}

    refused = {cp for cp in range(0x110000) if forbidden(chr(cp))}

    assert listed == refused

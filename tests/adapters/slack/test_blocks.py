"""Escaping and cutting text for Slack: never over a limit, never half an entity or a mention."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack.blocks import chunks, escape, escaped_truncated, mention, shorten
from adapters.slack.replies import refusal_text
from commsbot.domain.errors import NotAllowed

text = st.text(alphabet=st.sampled_from("ab &<>;\n|@!#x"), max_size=400)
ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")


def well_formed(markup: str) -> bool:
    """Every ``&`` starts an entity and no ``<`` or ``>`` is left raw."""
    return not ENTITY.search(markup) and "<" not in markup and ">" not in markup


@settings(max_examples=300, deadline=None)
@given(text, st.integers(min_value=1, max_value=300))
def test_escaped_text_is_cut_whole(raw: str, limit: int) -> None:
    out = escaped_truncated(raw, limit)
    assert len(out) <= max(limit, 1)
    assert well_formed(out.removesuffix("…"))


@settings(max_examples=300, deadline=None)
@given(text, st.integers(min_value=10, max_value=300))
def test_chunks_keep_every_piece_within_the_limit(raw: str, limit: int) -> None:
    escaped = escape(raw)
    pieces = chunks(escaped, limit)
    assert all(len(p) <= limit for p in pieces)
    assert all(well_formed(p) for p in pieces)
    assert "".join(pieces).replace("\n", "").replace(" ", "") == escaped.replace("\n", "").replace(
        " ", ""
    )


@settings(max_examples=300, deadline=None)
@given(text, st.integers(min_value=2, max_value=120))
def test_shortening_markup_never_breaks_a_mention(raw: str, limit: int) -> None:
    markup = f"{mention('slack:U0MAYA')} said {escape(raw)} to {mention('slack-group:S0COMMS')}"
    out = shorten(markup, limit)
    assert len(out) <= limit
    assert out.count("<") == out.count(">")


def test_mentions_only_for_slack_ids() -> None:
    assert mention("slack:U024BE7LH") == "<@U024BE7LH>"
    assert mention("slack-group:S0614TZR7") == "<!subteam^S0614TZR7>"
    assert mention("sam") == "sam"
    assert mention("slack:<!channel>") == "slack:&lt;\u200b!channel&gt;"
    # Names in a refusal to the one person who asked (notifies nobody else).
    assert refusal_text(NotAllowed("slack:U0SAM may not; <!here>")) == (
        "<@U0SAM> may not; &lt;\u200b!here&gt;"
    )


def test_typed_text_is_shown_as_on_every_other_surface() -> None:
    assert escape("@everyone <!channel> <@U1> [x](https://e.example) & <https://a.example|b>") == (
        "@\u200beveryone &lt;\u200b!channel&gt; &lt;\u200b@U1&gt; x (https://e.example) &amp; "
        "b (https://a.example)"
    )

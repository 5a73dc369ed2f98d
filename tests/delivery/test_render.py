"""Rendering per surface: user text never pings or hides a link, limits are kept, long text is
cut with "…" and the link to the full update."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commsbot.delivery.ports import Outbound
from commsbot.delivery.render import (
    LIMITS,
    ZWSP,
    escape_slack,
    neutralize,
    render_markdown,
    render_plain,
    render_short,
    truncate,
)
from commsbot.domain.lifecycle import Status, Trigger
from commsbot.domain.model import ComponentStatus, Incident, IncidentSnapshot, Severity, Update

PST = ZoneInfo("America/Los_Angeles")
T0 = datetime(2024, 12, 11, 23, 16, tzinfo=UTC)
LINK = "https://status.openai.test/incidents/k2v9x0q7ab1c"
MASS = ("@everyone", "@here", "<!channel>", "<!here>", "<!everyone>", "<@U024BE7LH>", "<@&42>")


def outbound(
    body: str, *, title: str = "ChatGPT, API and Sora unavailable", **kw: object
) -> Outbound:
    incident = Incident(
        id="k2v9x0q7ab1c",
        number=1,
        title=title,
        severity=Severity.SEV1,
        status=Status.INVESTIGATING,
        components=["ChatGPT", "API"],
        commander="maya",
        declared_at=T0,
        updated_at=T0,
        published_count=1,
    )
    update = Update(
        id="upd000000001",
        incident_id=incident.id,
        seq=1,
        status=Status.INVESTIGATING,
        trigger=Trigger.PROGRESS,
        body=body,
        changes=(),
        author="maya",
        approver="sam",
        draft_id="drf000000001",
        published_at=T0,
        next_update_by=T0 + timedelta(minutes=30),
    )
    snap = IncidentSnapshot(
        incident=incident,
        components={"ChatGPT": ComponentStatus.MAJOR_OUTAGE, "API": ComponentStatus.PARTIAL_OUTAGE},
    )
    return Outbound(
        delivery_id="dlv000000001",
        key="uupd000000001abcdef0123",
        incident=snap,
        update=update,
        link=LINK,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("mention", MASS)
def test_mentions_in_user_text_ping_no_one(mention: str) -> None:
    text = neutralize(f"heads up {mention} now")

    assert mention not in text
    assert ZWSP in text


def test_masked_links_show_where_they_go() -> None:
    assert (
        neutralize("see [our status](https://evil.test/x)")
        == "see our status (https://evil.test/x)"
    )
    assert (
        neutralize("see <https://evil.test|status page>") == "see status page (https://evil.test)"
    )
    assert neutralize("![img](https://evil.test/i.png)") == "img (https://evil.test/i.png)"
    assert neutralize("plain https://status.test stays") == "plain https://status.test stays"


def test_slack_escaping_neutralises_specials() -> None:
    assert escape_slack("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


def test_full_rendering_has_headline_body_components_next_update_and_link() -> None:
    text = render_markdown(outbound("We're investigating an issue."), zone=PST)

    assert text.startswith("**INC-1 · ChatGPT, API and Sora unavailable**")
    assert "Investigating · update #1 · 3:16 PM PST" in text
    assert "We're investigating an issue." in text
    assert "ChatGPT: major outage · API: partial outage" in text
    assert "Next update by 3:46 PM PST." in text
    assert text.endswith(f"Full update: {LINK}")


def test_corrections_are_marked_on_every_surface() -> None:
    item = outbound("Fixed text.", is_correction=True)

    assert render_markdown(item, zone=PST).startswith("**Correction: INC-1")
    assert render_plain(item, zone=PST).startswith("Correction: INC-1")
    assert render_short(item).startswith("Correction to INC-1 update #1")


@pytest.mark.parametrize(
    ("render", "limit"),
    [
        (lambda i: render_markdown(i, zone=PST), LIMITS["discord_content"]),
        (lambda i: render_plain(i, zone=PST, limit=3000), 3000),
        (render_short, LIMITS["short"]),
    ],
)
def test_a_5000_character_update_with_everyone_is_cut_within_the_limit(render, limit) -> None:  # type: ignore[no-untyped-def]
    body = "@everyone " + "word " * 1000
    text = render(outbound(body))

    assert len(text) <= limit
    assert "…" in text
    assert text.endswith(LINK)
    assert "@everyone" not in text


def test_short_post_fits_280_with_the_link() -> None:
    text = render_short(
        outbound("We're investigating an issue affecting ChatGPT, API and Sora. " * 5)
    )

    assert len(text) <= 280
    assert text.startswith("INC-1 Investigating: We're investigating")
    assert text.endswith(f"… {LINK}")


def test_truncation_never_splits_an_escape() -> None:
    text = truncate("a & b & c & d & e", 12, escape=escape_slack)

    assert len(text) <= 12
    assert text.endswith("…")
    assert "&am…" not in text
    assert text.count("&") == text.count("&amp;")


@given(st.text(max_size=300), st.integers(min_value=1, max_value=400))
def test_truncate_respects_any_limit(text: str, limit: int) -> None:
    assert len(truncate(text, limit)) <= limit


@given(
    st.text(alphabet=st.sampled_from(list("@<>!#&[]()|:/ everyonhachlt0123456789")), max_size=80)
)
def test_no_mass_mention_survives_neutralising(text: str) -> None:
    out = neutralize(text)
    for mention in ("@everyone", "@here", "@channel", "<!", "<@", "<#"):
        assert mention not in out

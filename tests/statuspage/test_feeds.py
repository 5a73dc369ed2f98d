"""The Atom and RSS feeds, read by feedparser as feed readers read them."""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree as ET

import feedparser
import pytest

from commsbot.domain.lifecycle import Status
from commsbot.domain.policy import Actor
from commsbot.services.drafts import approve_draft, propose_update
from commsbot.services.statuspage import load_public_data
from commsbot.statuspage.snapshot import render_snapshot
from tests.statuspage.scenario import REJECTED, SECRET_DRAFT, SECRET_NOTE, fake_world


@pytest.fixture(scope="module")
def feeds() -> tuple[Any, Any, Any, bytes]:
    deps, _, _, built = fake_world()
    snap = render_snapshot(load_public_data(deps))
    raw = snap.documents["/history.atom"].body
    atom = feedparser.parse(raw)
    rss = feedparser.parse(snap.documents["/history.rss"].body)
    return atom, rss, built, raw


def raw_contents(raw: bytes) -> list[str]:
    """Entry contents exactly as sent (feedparser sanitises attributes away)."""
    ns = {"a": "http://www.w3.org/2005/Atom"}
    return [c.text or "" for c in ET.fromstring(raw).findall("a:entry/a:content", ns)]


def test_atom_parses_with_one_entry_per_incident_newest_first(feeds: Any) -> None:
    atom, _, built, _ = feeds

    assert not atom.bozo, atom.get("bozo_exception")
    assert atom.version == "atom10"
    assert atom.feed.title == "Acme Status - Incident History"
    assert [e.title for e in atom.entries] == [
        "ChatGPT, API and Sora unavailable",
        "Playground errors",
    ]
    outage, blip = atom.entries
    assert outage.id == "tag:status.acme.test,2005:Incident/2"
    assert blip.id == "tag:status.acme.test,2005:Incident/1"
    assert outage.link == f"https://status.acme.test/incidents/{built.open_id}"
    assert outage.updated == "2024-12-11T23:56:00.000Z"


def test_atom_content_has_one_paragraph_per_update_in_statuspage_form(feeds: Any) -> None:
    atom, _, _, raw = feeds
    outage, blip = raw_contents(raw)

    assert atom.entries[0].content[0].type == "text/html"
    assert outage == (
        "<p><small>Dec <var data-var='date'>11</var>, <var data-var='time'>23:56</var> UTC"
        "</small><br><strong>Identified</strong> - We found the cause.</p>"
        "<p><small>Dec <var data-var='date'>11</var>, <var data-var='time'>23:16</var> UTC"
        "</small><br><strong>Investigating</strong> - We're investigating an issue affecting "
        "ChatGPT, API and Sora.<br>More soon.</p>"
    )
    labels = re.findall(r"<strong>(\w+)</strong>", blip)
    # Newest first; a second update with the same status is an "Update".
    assert labels == ["Postmortem", "Resolved", "Update", "Investigating"]


def test_rss_parses_with_the_same_entries(feeds: Any) -> None:
    atom, rss, _, _ = feeds

    assert not rss.bozo, rss.get("bozo_exception")
    assert rss.version == "rss20"
    assert [e.title for e in rss.entries] == [e.title for e in atom.entries]
    assert [e.link for e in rss.entries] == [e.link for e in atom.entries]
    assert rss.entries[0].published_parsed[:5] == (2024, 12, 11, 23, 56)


def test_feeds_carry_only_published_text(feeds: Any) -> None:
    atom, rss, _, _ = feeds
    text = str(atom) + str(rss)

    for secret in (SECRET_NOTE, SECRET_DRAFT, REJECTED, "sam-approver", "maya"):
        assert secret not in text


def test_bodies_are_escaped_in_the_feed_html() -> None:
    deps, _, _, _ = fake_world()

    draft = propose_update(
        deps,
        incident_ref="INC-2",
        status=Status.IDENTIFIED,
        actor=Actor("maya"),
        body="<script>alert(1)</script> & more",
    ).draft
    approve_draft(deps, draft_id=draft.id, actor=Actor("sam"))
    raw = render_snapshot(load_public_data(deps)).documents["/history.atom"].body

    value = raw_contents(raw)[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in value
    assert "<script>" not in value

"""Scheduled maintenances in the Atom and RSS feeds, beside incidents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from commsbot.services.drafts import approve_any_draft
from tests.maintenance.support import SAM, Bot, la

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[Bot]:
    made = Bot(tmp_path, la(2024, 11, 1, 9, 0))
    yield made
    made.close()


def test_an_announced_maintenance_is_an_entry_with_its_window_and_notices(bot: Bot) -> None:
    waiting = bot.schedule("2024-11-02 22:00", "2h", "API", title="Cache flush")
    assert ET.fromstring(bot.public()["/history.atom"]).findall(f"{ATOM}entry") == []

    approve_any_draft(bot.deps, draft_id=waiting.draft.id, actor=SAM)
    bot.at(la(2024, 11, 2, 22, 0)).fire()
    feed = ET.fromstring(bot.public()["/history.atom"])
    [entry] = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Cache flush"
    assert entry.findtext(f"{ATOM}id") == "tag:status.acme.example,2005:Maintenance/1"
    link = entry.find(f"{ATOM}link")
    assert link is not None
    assert link.get("href") == f"https://status.acme.example/incidents/{waiting.maintenance.id}"
    content = entry.findtext(f"{ATOM}content") or ""
    assert content.startswith(
        "<p><small>Scheduled for Sat Nov 2, 10:00 PM PDT – Sun Nov 3, 12:00 AM PDT</small></p>"
    )
    # Newest first: the start notice, then the announcement.
    assert content.index("<strong>In progress</strong>") < content.index(
        "<strong>Scheduled</strong>"
    )

    rss = ET.fromstring(bot.public()["/history.rss"])
    assert [i.findtext("title") for i in rss.iter("item")] == ["Cache flush"]

"""The 90-day bars on the status page: no data before a component existed, maintenance days
blue (not red), and each component's uptime over the bars, as Statuspage shows them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from commsbot.domain.model import Severity
from commsbot.services.drafts import approve_draft
from commsbot.services.incidents import declare
from commsbot.statuspage.data import component_id
from tests.maintenance.support import MAYA, SAM, Bot, la


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[Bot]:
    made = Bot(tmp_path, la(2024, 11, 1, 9, 0))
    yield made
    made.close()


def _bars(bot: Bot, name: str) -> tuple[list[str], str]:
    page = bot.public()["/"].decode()
    block = page.split(f'id="component-{component_id(name)}"', 1)[1]
    bars = re.search(r'<div class="bars"[^>]*>(.*?)</div>', block, re.S)
    assert bars is not None
    uptime = re.search(r'<span class="uptime">([^<]*)</span>', block)
    assert uptime is not None
    return re.findall(r'<span class="([a-z_]+)"', bars.group(1)), uptime.group(1)


def test_no_data_before_the_component_existed_and_maintenance_days_blue(bot: Bot) -> None:
    bot.announce("2024-11-02 22:00", "2h", "API")  # API is first stored now, on 1 November
    bot.at(la(2024, 11, 2, 22, 0)).fire()
    bot.at(la(2024, 11, 3, 0, 0)).fire()  # completed at midnight
    bot.at(la(2024, 11, 3, 10, 0)).fire()

    bars, uptime = _bars(bot, "API")
    assert len(bars) == 90
    assert bars[:-3] == ["no_data"] * 87  # 6 August to 31 October: it did not exist
    assert bars[-3:] == ["operational", "under_maintenance", "operational"]
    assert uptime == "100.00 % uptime"  # maintenance is not downtime


def test_an_outage_counts_against_uptime_and_shows_over_the_maintenance(bot: Bot) -> None:
    bot.announce("2024-11-02 22:00", "2h", "API")
    bot.at(la(2024, 11, 2, 22, 0)).fire()
    declared = declare(
        bot.deps, title="API errors", severity=Severity.SEV1, components={"API": None}, actor=MAYA
    )
    approve_draft(bot.deps, draft_id=declared.draft.id, actor=SAM)
    bot.at(la(2024, 11, 3, 10, 0)).fire()

    bars, uptime = _bars(bot, "API")
    assert bars[-2:] == ["major_outage", "major_outage"]  # the incident, not the maintenance
    # Down from 10 PM PDT on 2 November to now, 10 AM PST on 3 November (13 hours: the clocks
    # went back), of the 50 hours since it was first stored at 9 AM PDT on 1 November.
    assert uptime == "74.00 % uptime"

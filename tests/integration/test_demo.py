"""``commsbot demo``: the promise each update states is the one it records and the one the team
is reminded of; and four eyes on the final text, shown."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from commsbot.demo import replay
from commsbot.templates import format_time

LA = ZoneInfo("America/Los_Angeles")
STATED = re.compile(r"update by (\d{1,2}:\d{2} [AP]M P[SD]T)")


def run_demo() -> dict[str, Any]:
    out = io.StringIO()
    replay(as_json=True, out=out)
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def test_each_published_promise_is_stated_recorded_and_reminded_at_the_same_time() -> None:
    steps = run_demo()["steps"]
    published = [s for s in steps if s["step"] == "published"]
    assert len(published) == 4
    for step in published[:3]:  # investigating, identified, fixing
        update = step["update"]
        [stated] = STATED.findall(update["body"])
        recorded = datetime.fromisoformat(update["next_update_by"])
        assert stated == format_time(recorded, LA), update["body"]
        assert step["update_due_reminders"] == [update["next_update_by"]]
    recovered = published[3]["update"]
    assert recovered["next_update_by"] is None
    assert published[3]["update_due_reminders"] == []


def test_the_acknowledgment_drafted_is_the_promise_published_and_reminded() -> None:
    steps = run_demo()["steps"]
    ack = next(s for s in steps if s["step"] == "declared")["draft"]
    first = next(s for s in steps if s["step"] == "published")
    [stated] = STATED.findall(ack["body"])
    assert stated == "3:46 PM PST"  # declared at 3:16 PM, sev1: 30 minutes
    assert first["update"]["body"] == ack["body"]
    assert first["update"]["next_update_by"] == ack["next_update_by"]
    assert format_time(datetime.fromisoformat(ack["next_update_by"]), LA) == stated
    assert first["update_due_reminders"] == [ack["next_update_by"]]


def test_the_demo_shows_an_editor_refused_and_the_author_approving_the_edit() -> None:
    steps = run_demo()["steps"]
    refusals = [s["refused"] for s in steps if "refused" in s]
    assert any("Sam (comms lead) may not approve draft" in r for r in refusals)
    identified = [s for s in steps if s["step"] == "published"][1]["update"]
    assert identified["authors"] == ["maya", "sam"]
    assert identified["approver"] == "maya"
    assert "Next update by 4:25 PM PST." in identified["body"]

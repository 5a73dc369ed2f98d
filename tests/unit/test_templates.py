"""Default wording, time zones and overrides from a folder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from commsbot.domain.errors import InvalidInput
from commsbot.domain.lifecycle import Status
from commsbot.templates import TemplateRenderer, format_time, human_list

START = datetime(2024, 12, 11, 23, 16, tzinfo=UTC)  # 3:16 PM PST
LA = ZoneInfo("America/Los_Angeles")


def render(renderer: TemplateRenderer, status: Status, **extra: object) -> str:
    args: dict[str, object] = {
        "title": "Outage",
        "severity": "sev1",
        "components": ["ChatGPT", "API", "Sora"],
        "started_at": START,
        "now": START,
        "next_update_by": START + timedelta(minutes=30),
    }
    args.update(extra)
    return renderer.render(status, **args)  # type: ignore[arg-type]


def test_times_in_the_configured_zone() -> None:
    assert format_time(START, LA) == "3:16 PM PST"
    assert format_time(START, ZoneInfo("UTC")) == "11:16 PM UTC"
    assert format_time(datetime(2024, 7, 1, 7, 5, tzinfo=UTC), LA) == "12:05 AM PDT"


def test_human_list() -> None:
    assert human_list(["ChatGPT", "API", "Sora"]) == "ChatGPT, API and Sora"
    assert human_list(["API"]) == "API"
    assert human_list([]) == "some of our services"


def test_default_wording_follows_the_outage_posts() -> None:
    r = TemplateRenderer(zone=LA)
    assert render(r, Status.INVESTIGATING).startswith(
        "We're investigating an issue affecting ChatGPT, API and Sora."
    )
    # The promised time is the draft's to fill in (so an edited time changes the text).
    assert "We'll post an update by {next_update_by}." in render(r, Status.INVESTIGATING)
    assert "as soon as we know more" in render(r, Status.INVESTIGATING, next_update_by=None)
    recovered = render(r, Status.RECOVERED, now=START + timedelta(hours=4, minutes=22))
    assert recovered.startswith("ChatGPT, API and Sora were down today but we've recovered.")
    assert "7:38 PM PST" in recovered
    later = render(r, Status.RECOVERED, components=["API"], now=START + timedelta(days=2))
    assert later.startswith("API was down on Dec 11 but we've recovered.")
    # No component named: the public sentence still starts with a capital.
    unnamed = render(r, Status.RECOVERED, components=[])
    assert unnamed.startswith("Some of our services were down today but we've recovered.")
    # A component's own spelling is kept.
    assert render(r, Status.RECOVERED, components=["iOS app"]).startswith("iOS app was down")


def test_folder_overrides_one_template(tmp_path: Path) -> None:
    (tmp_path / "identified.md.j2").write_text(
        "Found it: {{ components | human_list }}.\n\nMore at {{ next_update_by | local_time }}.",
        encoding="utf-8",
    )
    r = TemplateRenderer(zone=LA, folder=tmp_path)
    assert (
        render(r, Status.IDENTIFIED)
        == "Found it: ChatGPT, API and Sora.\n\nMore at {next_update_by}."
    )
    assert render(r, Status.FIXING).startswith("We're rolling out a fix")


def test_broken_override_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "fixing.md.j2").write_text("{{ no_such_thing }}", encoding="utf-8")
    r = TemplateRenderer(zone=LA, folder=tmp_path)
    with pytest.raises(InvalidInput, match=r"template fixing\.md\.j2 cannot be rendered"):
        render(r, Status.FIXING)
    with pytest.raises(InvalidInput, match="is not a folder"):
        TemplateRenderer(zone=LA, folder=tmp_path / "missing")


def test_a_maintenance_announced_for_no_component_names_them_with_a_capital() -> None:
    r = TemplateRenderer(zone=LA)
    text = r.maintenance("announce", title="Database upgrade", components=[])
    assert "Database upgrade. Some of our services will be under maintenance" in text
    named = r.maintenance("announce", title="Database upgrade", components=["API"])
    assert "Database upgrade. API will be under maintenance" in named

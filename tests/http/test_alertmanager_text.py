"""Alert labels are not typed by a person: odd characters in them never stop the intake."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from commsbot.settings import parse_settings
from tests.http.conftest import Stack, open_stack
from tests.http.test_alertmanager import alert, detail, payload, send
from tests.statuspage import scenario


@pytest.fixture
def open_catalogue(database_url: str) -> Iterator[Stack]:
    """No configured components: label values name components made on first use."""
    config = {k: v for k, v in scenario.CONFIG.items() if k != "components"}
    yield from open_stack(database_url, parse_settings(config))


def test_control_characters_in_a_component_label_are_dropped_not_refused(
    open_catalogue: Stack,
) -> None:
    body = payload(
        "Down",
        alert("Down", "Web\x1b[31m\x07"),
        alert("Down", "Queue\ufffe\x00", summary="lag \x08\x7f high"),
    )

    result = send(open_catalogue, body)

    assert result["outcome"] == "declared"
    shown = detail(open_catalogue, result["incident"])
    assert list(shown["incident"]["components"]) == ["Web[31m", "Queue"]
    assert shown["incident"]["title"] == "Service disruption affecting Web[31m and Queue"
    notes = [e["detail"] for e in shown["timeline"] if e["action"] == "note"]
    assert len(notes) == 1
    assert "summary=lag  high" in notes[0]  # BS and DEL dropped, the rest kept


def test_a_label_of_only_invisible_characters_names_no_component(open_catalogue: Stack) -> None:
    body = payload("Down", alert("Down", "\u200b\x07"), alert("Down", "API"))

    result = send(open_catalogue, body)

    assert result["outcome"] == "declared"
    assert list(detail(open_catalogue, result["incident"])["incident"]["components"]) == ["API"]


def test_a_configured_component_is_found_through_the_noise(stack: Stack) -> None:
    result = send(stack, payload("Down", alert("Down", "\x07API\x00")))

    assert list(detail(stack, result["incident"])["incident"]["components"]) == ["API"]

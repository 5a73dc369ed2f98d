"""``[[destinations]]`` and ``[[notifiers]]``: every bad value names the key, the value and what
would be valid; secrets stay out of the file; adding a type is one registration."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from commsbot.delivery.ports import Outbound, Receipt
from commsbot.delivery.registry import BUILT_IN_TYPES, TargetType, TargetTypes
from commsbot.engines.targets import AdapterContext, build_destination
from commsbot.settings import ConfigError, Settings, parse_settings
from commsbot.timing import Rate


def refused(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_settings(data)
    return str(caught.value)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            {"name": "x", "type": "slak"},
            "destinations.0.type = 'slak': not a destination type; valid types: apprise, console",
        ),
        ({"name": "x", "type": "webhook"}, "a webhook needs exactly one of url"),
        ({"name": "x", "type": "webhook", "url": "ftp://h"}, "destinations.0.url = 'ftp://h'"),
        (
            {"name": "x", "type": "webhook", "url": "https://h", "secret": "hunter2"},
            "destinations.0.secret = '***': looks like a secret",
        ),
        ({"name": "x", "type": "console", "colour": "red"}, "destinations.0.colour: unknown key"),
        ({"name": "x y", "type": "console"}, "destinations.0.name = 'x y': not a usable name"),
        (
            {"name": "x", "type": "console", "severities": ["sev9"]},
            "destinations.0.severities.0 = 'sev9': must be one of",
        ),
        (
            {"name": "x", "type": "console", "attempt_timeout_seconds": 60, "lease_seconds": 30},
            "destinations.0.lease_seconds = 30.0: must be longer than attempt_timeout_seconds",
        ),
        ({"name": "x", "type": "console", "rate_per_second": 0}, "greater than 0"),
    ],
)
def test_bad_destination_entries_say_what_is_wrong(entry: dict[str, Any], expected: str) -> None:
    message = refused({"destinations": [entry]})

    assert expected in message
    assert "hunter2" not in message


def test_names_are_unique_per_section() -> None:
    message = refused({"notifiers": [{"name": "a", "type": "console"}] * 2})

    assert "the name 'a' is used twice" in message


def test_defaults_are_a_console_destination_and_notifier() -> None:
    from commsbot.delivery.config import destinations_of, notifiers_of

    settings = parse_settings({})
    (dest,) = destinations_of(settings.destinations)
    (notifier,) = notifiers_of(settings.notifiers)
    assert (dest.name, dest.type, notifier.type) == ("console", "console", "console")
    assert dest.give_up_after.total_seconds() == 24 * 3600


def test_an_unset_secret_variable_stops_start_up_naming_entry_and_key() -> None:
    settings = parse_settings(
        {
            "destinations": [
                {
                    "name": "hook",
                    "type": "webhook",
                    "url": "https://h.test",
                    "secret_env": "HOOK_SECRET",
                }
            ]
        }
    )
    context = AdapterContext(settings=settings, environ={}, out=io.StringIO())

    with pytest.raises(ConfigError) as caught:
        build_destination(settings.destinations[0], context)
    assert "destination 'hook' (type webhook): secret_env = 'HOOK_SECRET'" in str(caught.value)
    assert "not set" in str(caught.value)


class PagerOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str


class Pager:
    def __init__(self, name: str, channel: str) -> None:
        self.name, self.channel = name, channel

    async def deliver(self, item: Outbound) -> Receipt:
        return Receipt(message_id=self.channel)


def make_pager(config: Any, context: AdapterContext) -> Pager:
    return Pager(config.name, config.options.channel)


@pytest.fixture
def pager_types() -> TargetTypes:
    return BUILT_IN_TYPES.with_types(
        TargetType(
            "pager",
            options=f"{__name__}:PagerOptions",
            destination=f"{__name__}:make_pager",
            rate=Rate(2.0, burst=1),
        )
    )


def test_a_new_type_is_one_registration(pager_types: TargetTypes) -> None:
    settings: Settings = parse_settings(
        {"destinations": [{"name": "p", "type": "pager", "channel": "#ops"}]}, types=pager_types
    )
    context = AdapterContext(settings=settings, environ={}, out=io.StringIO())

    made = build_destination(settings.destinations[0], context, pager_types)
    assert isinstance(made, Pager)
    assert made.channel == "#ops"
    with pytest.raises(ConfigError) as caught:
        parse_settings({"destinations": [{"name": "p", "type": "pager"}]}, types=pager_types)
    assert "destinations.0.channel" in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        parse_settings({"notifiers": [{"name": "p", "type": "pager"}]}, types=pager_types)
    assert "not a notifier type" in str(caught.value)
    # The registry is a value: the built-in one never learnt the test's type.
    assert "not a destination type" in refused(
        {"destinations": [{"name": "p", "type": "pager", "channel": "#ops"}]}
    )

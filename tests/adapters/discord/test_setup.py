"""Setup: the invite URL, the configuration, and when the gateway starts."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs, urlparse

import discord
import pytest
from typer.testing import CliRunner

from adapters.discord.runner import start_gateway
from commsbot.cli.main import app
from commsbot.settings import ConfigError, parse_settings
from tests.unit.fakes import make_deps

APP = "1200000000000000001"


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["discord", "invite-url", *args], env=env or {})
    return result.exit_code, result.stdout, result.stderr


def test_invite_url_asks_for_exactly_the_scopes_and_permissions_the_bot_uses(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    code, out, _ = invoke("--application-id", APP, "--json")
    assert code == 0
    shown = json.loads(out)
    query = parse_qs(urlparse(shown["url"]).query)
    assert query["client_id"] == [APP]
    assert query["scope"] == ["bot applications.commands"]
    granted = discord.Permissions(int(query["permissions"][0]))
    assert granted == discord.Permissions(
        view_channel=True,
        send_messages=True,
        embed_links=True,
        read_message_history=True,
    )
    # Exactly these four bits: View Channel, Send Messages, Embed Links, Read Message History.
    # Crossposting the bot's own messages needs only Send Messages; Manage Messages would let
    # it delete anyone's messages in the server.
    assert granted.value == 84992 == (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16)
    assert not granted.manage_messages
    assert not granted.administrator
    assert not granted.mention_everyone
    assert shown["permissions"] == granted.value
    assert shown["permission_names"] == [
        "view_channel",
        "send_messages",
        "embed_links",
        "read_message_history",
    ]
    code, out, _ = invoke("--application-id", APP)
    assert code == 0
    assert "permissions=84992" in out.splitlines()[0]
    assert "Permissions (84992)" in out
    assert "Manage" not in out


def test_invite_url_reads_the_environment_and_refuses_what_is_not_an_id(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    monkeypatch.delenv("DISCORD_APPLICATION_ID", raising=False)
    code, out, _ = invoke(env={"DISCORD_APPLICATION_ID": APP})
    assert code == 0
    assert f"client_id={APP}" in out.splitlines()[0]
    code, _, err = invoke()
    assert code == 2
    assert "--application-id" in err
    assert "DISCORD_APPLICATION_ID" in err
    code, _, err = invoke("--application-id", "my-bot")
    assert code == 2
    assert "is not a Discord id" in err
    code, _, err = invoke(env={"DISCORD_APPLICATION_ID": "12345"})
    assert code == 3
    assert "DISCORD_APPLICATION_ID '12345' is not a Discord id" in err


def test_discord_configuration_is_checked_at_start_with_the_key_and_what_is_valid() -> None:
    with pytest.raises(ConfigError) as bad:
        parse_settings(
            {
                "discord": {"guild_ids": ["general"]},
                "destinations": [{"name": "status", "type": "discord", "channel_id": -1}],
            }
        )
    text = str(bad.value)
    assert "discord.guild_ids.0 = 'general'" in text
    assert "destinations.0.channel_id" in text


def test_the_gateway_starts_only_when_a_token_is_set() -> None:
    async def scenario() -> None:
        stop = asyncio.Event()
        deps, _, _ = make_deps()
        assert start_gateway(deps=deps, stop=stop, environ={}) is None  # `make run`, no tokens
        configured, _, _ = make_deps(parse_settings({"discord": {}}))
        with pytest.raises(ConfigError, match="DISCORD_BOT_TOKEN is not set"):
            start_gateway(deps=configured, stop=stop, environ={})
        with pytest.raises(ConfigError, match="DISCORD_API_URL"):
            start_gateway(deps=deps, stop=stop, environ={"DISCORD_API_URL": "discord.com"})
        off, _, _ = make_deps(parse_settings({"discord": {"gateway": False}}))
        assert start_gateway(deps=off, stop=stop, environ={"DISCORD_BOT_TOKEN": "t"}) is None

    asyncio.run(scenario())

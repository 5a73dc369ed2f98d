"""The app manifest asks for exactly what the adapter uses, and matches the defaults."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from adapters.slack.config import SlackConfig

ROOT = Path(__file__).resolve().parents[3]
MANIFEST = ROOT / "adapters" / "slack" / "manifest.yml"

#: Web API method → the bot scope it needs (api.slack.com method reference).
SCOPES = {
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "chat_postEphemeral": "chat:write",
    "conversations_history": "channels:history",
    "conversations_replies": "channels:history",
    "usergroups_users_list": "usergroups:read",
}
NO_SCOPE = {"auth_test", "views_open", "views_update"}


def test_the_manifest_asks_for_exactly_the_scopes_the_code_uses() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    asked = set(manifest["oauth_config"]["scopes"]["bot"])
    source = "\n".join(p.read_text() for p in (ROOT / "adapters" / "slack").glob("*.py"))
    called = set(re.findall(r"\.(\w+_\w+)\(", source)) & (set(SCOPES) | NO_SCOPE)
    assert called == set(SCOPES) | NO_SCOPE  # every method here is accounted for
    needed = {SCOPES[m] for m in called if m in SCOPES} | {"commands", "groups:history"}
    assert asked == needed


def test_the_manifest_matches_the_default_configuration() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == SlackConfig().command
    assert command["should_escape"] is False
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is (SlackConfig().mode.value == "socket")
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True  # the DM fallback

"""The ledger and corrections through the real CLI (real process, real SQLite)."""

from __future__ import annotations

import json

from tests.integration.test_cli import Cli, cli  # noqa: F401  (the fixture)


def test_ledger_corrections_and_retry_through_the_cli(cli: Cli) -> None:  # noqa: F811
    declared = cli.json("incident", "declare", "ChatGPT down", "-c", "ChatGPT", "--as", "maya")
    cli.json("update", "approve", declared["draft"]["id"], "--as", "sam")

    shown = cli.json("incident", "show", "INC-1")
    (update,) = shown["updates"]
    (delivery,) = update["deliveries"]
    assert (delivery["target"], delivery["state"], delivery["kind"]) == (
        "console",
        "pending",
        "update",
    )
    assert "→ console  pending" in cli.run("incident", "show", "INC-1").stdout

    refused = cli.run("delivery", "retry", delivery["id"], "--as", "sam", "--json", ok=False)
    assert refused.returncode == 1
    assert "is pending (not tried yet); only dead deliveries can be re-driven" in refused.stderr
    assert json.loads(refused.stdout)["error"]["code"] == "already_decided"
    assert cli.json("delivery", "list", "--state", "dead") == {
        "deliveries": [],
        "subscriber_fanouts": [],
    }
    bad_state = cli.run("delivery", "list", "--state", "lost", ok=False)
    assert "unknown delivery state 'lost'; choose one of: pending, sending" in bad_state.stderr

    drafted = cli.json("update", "correct", "INC-1#1", "--body", "Corrected.", "--as", "maya")
    assert drafted["draft"]["corrects"] == update["id"]
    corrected = cli.json("update", "approve", drafted["draft"]["id"], "--as", "sam")
    assert corrected["update"]["body"] == "Corrected."
    assert corrected["update"]["corrected_at"] is not None
    assert corrected["incident"]["status"] == "investigating"

    shown = cli.json("incident", "show", "INC-1")
    kinds = [d["kind"] for d in shown["updates"][0]["deliveries"]]
    assert kinds == ["update", "correction"]
    assert [e["action"] for e in shown["timeline"]][-1] == "corrected"


def test_a_bad_destination_stops_the_cli_with_the_key(cli: Cli) -> None:  # noqa: F811
    (cli.folder / "commsbot.toml").write_text(
        '[[destinations]]\nname = "hook"\ntype = "webhook"\nurl = "https://h.test"\n'
        'secret = "hunter2"\n',
        encoding="utf-8",
    )
    proc = cli.run("incident", "list", ok=False)
    assert proc.returncode == 3
    assert "destinations.0.secret = '***': looks like a secret" in proc.stderr
    assert "hunter2" not in proc.stderr

"""``commsbot subscribers …`` and ``update approve --quiet`` as a person runs them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.integration.test_cli import Cli
from tests.subscriptions.support import SECRET

CONFIG = """
[page]
name = "Acme Status"
url = "https://status.acme.test"

[[components]]
name = "ChatGPT"

[[components]]
name = "API"

[subscriptions]
enabled = true

[subscriptions.smtp]
host = "127.0.0.1"
port = 2525
security = "none"
from = "Acme Status <status@acme.example>"
"""


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    (tmp_path / "commsbot.toml").write_text(CONFIG)
    made = Cli(tmp_path)
    made.env["COMMSBOT_SUBSCRIPTIONS_SECRET"] = SECRET
    return made


def test_add_list_export_import_and_remove(cli: Cli, tmp_path: Path) -> None:
    added = cli.json("subscribers", "add", "ada@example.com", "--confirmed", "-c", "API")
    assert added["result"] == "added"
    assert added["subscriber"]["state"] == "confirmed"
    pending = cli.json("subscribers", "add", "grace@example.com")
    assert pending["result"] == "confirmation_sent"
    assert pending["subscriber"]["state"] == "pending"

    bad = cli.run("subscribers", "add", "not an address", ok=False)
    assert bad.returncode == 1
    assert "error:" in bad.stderr

    # A file with one bad row imports nothing and names the row.
    (tmp_path / "bad.csv").write_text(
        "address,components\nlinus@example.com,API\nnope,API\nken@example.com,Nonexistent\n"
    )
    refused = cli.run("subscribers", "import", "bad.csv", "--confirmed", ok=False)
    assert refused.returncode == 1
    assert "row 3" in refused.stderr
    assert "row 4" in refused.stderr
    assert cli.json("subscribers", "list")["counts"]["confirmed"] == 1

    (tmp_path / "good.csv").write_text(
        "address,components\nlinus@example.com,API;ChatGPT\nada@example.com,\n"
    )
    report = cli.json("subscribers", "import", "good.csv", "--confirmed")
    assert (report["added"], report["already_subscribed"]) == (1, 1)

    listed = cli.json("subscribers", "list")
    assert listed["counts"]["confirmed"] == 2
    assert listed["counts"]["pending"] == 1
    rows = list(csv.DictReader(io.StringIO(cli.run("subscribers", "export").stdout)))
    assert {r["address"]: r["components"] for r in rows} == {
        "ada@example.com": "API",
        "grace@example.com": "",
        "linus@example.com": "API;ChatGPT",
    }

    person = cli.json("subscribers", "export", "linus@example.com")
    assert person["subscriber"]["address"] == "linus@example.com"
    assert person["subscriber"]["consent"]["source"] == "import"

    removed = cli.run("subscribers", "remove", "linus@example.com")
    assert "Removed linus@example.com" in removed.stdout
    gone = cli.run("subscribers", "export", "linus@example.com", ok=False)
    assert gone.returncode == 1
    assert "no subscriber" in gone.stderr


def test_quiet_approval_publishes_without_notifying_subscribers(cli: Cli) -> None:
    cli.json("subscribers", "add", "ada@example.com", "--confirmed")
    declared = cli.json(
        "incident", "declare", "API errors", "--severity", "sev2", "-c", "API", "--as", "maya"
    )
    draft = declared["draft"]["id"]
    approved = cli.json("update", "approve", draft, "--as", "sam", "--quiet")
    assert approved["update"]["deliver_notifications"] is False

    proposed = cli.json(
        "update", "propose", declared["incident"]["ref"], "--status", "identified", "--as", "maya"
    )
    loud = cli.json("update", "approve", proposed["draft"]["id"], "--as", "sam")
    assert loud["update"]["deliver_notifications"] is True


def test_subscriptions_need_their_secret(cli: Cli) -> None:
    del cli.env["COMMSBOT_SUBSCRIPTIONS_SECRET"]
    refused = cli.run("subscribers", "list", ok=False)
    assert refused.returncode == 3
    assert "COMMSBOT_SUBSCRIPTIONS_SECRET" in refused.stderr


def test_webhooks_are_added_with_an_owner_and_listed_with_why_they_were_disabled(
    cli: Cli, tmp_path: Path
) -> None:
    (tmp_path / "commsbot.toml").write_text(
        CONFIG + "\n[subscriptions.webhooks]\nenabled = true\nallow_private_addresses = true\n"
    )
    url = "http://127.0.0.1:9/hook"
    added = cli.json("subscribers", "add", "--webhook", url, "--email", "ops@example.com")
    assert added["result"] == "confirmation_sent"
    assert added["subscriber"]["kind"] == "webhook"
    assert added["subscriber"]["owner_email"] == "ops@example.com"
    said = cli.run("subscribers", "add", "--webhook", url)
    assert "Already subscribed" in said.stdout or "confirmation request" in said.stdout

    vouched = cli.run("subscribers", "add", "--webhook", url + "2", "--confirmed", ok=False)
    assert vouched.returncode == 1
    assert "must echo its confirmation request" in vouched.stderr
    both = cli.run("subscribers", "add", "ada@example.com", "--webhook", url, ok=False)
    assert "either an email address or --webhook URL" in both.stderr
    orphan = cli.run("subscribers", "add", "ada@example.com", "--email", "o@example.com", ok=False)
    assert "--email names a webhook's owner" in orphan.stderr
    private = cli.run("subscribers", "add", "--webhook", "https://10.0.0.1/x", ok=True)
    assert "10.0.0.1" in private.stdout  # allowed here: allow_private_addresses = true

    # What the sender records when a webhook failed for its whole give-up window.
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE subscriber SET state = 'disabled', "
                "state_reason = 'every delivery failed for 24 hours; last error: HTTP 503' "
                "WHERE address = :url"
            ),
            {"url": url},
        )
    engine.dispose()
    listed = cli.run("subscribers", "list", "--state", "disabled").stdout
    assert f"disabled       {url}" in listed
    assert "every delivery failed for 24 hours; last error: HTTP 503" in listed

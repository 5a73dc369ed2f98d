"""``[subscriptions]``: defaults, refusals that name the key, secrets only from the environment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from adapters.email.sender import SmtpSender
from commsbot.subscriptions.config import (
    MissingSecret,
    SubscriptionsConfig,
    signing_secrets,
    smtp_password,
)
from commsbot.subscriptions.tokens import TokenPurpose

SMTP = {"host": "smtp.example.com", "from": "Acme Status <status@example.com>"}


def refusal(data: dict[str, Any]) -> tuple[str, str]:
    """The one error's key (dotted) and message."""
    with pytest.raises(ValidationError) as caught:
        SubscriptionsConfig.model_validate(data)
    (error,) = caught.value.errors()
    key = ".".join(str(part) for part in error["loc"])
    return key, error["msg"].removeprefix("Value error, ")


def test_off_by_default_with_documented_defaults() -> None:
    config = SubscriptionsConfig()
    assert not config.enabled
    assert config.smtp is None
    assert not config.webhooks.enabled
    assert config.confirmation_window == timedelta(hours=24)
    assert config.prune_after == timedelta(days=7)
    assert config.per_client_limit.count == 5
    assert config.per_client_limit.window == timedelta(hours=1)
    assert config.per_address_limit.count == 3
    assert config.per_address_limit.window == timedelta(days=1)
    assert config.link_lifetimes[TokenPurpose.UNSUBSCRIBE] == timedelta(days=365)
    assert config.secret_env == "COMMSBOT_SUBSCRIPTIONS_SECRET"
    with pytest.raises(MissingSecret, match="variable COMMSBOT_SUBSCRIPTIONS_SECRET is not set"):
        signing_secrets(config, {})


def test_a_full_configuration() -> None:
    config = SubscriptionsConfig.model_validate(
        {
            "enabled": True,
            "secret_env": "MY_SECRET",
            "confirmation_hours": 48,
            "unsubscribe_mailto": "unsubscribe@example.com",
            "smtp": {
                **SMTP,
                "security": "tls",
                "user": "status@example.com",
                "password_env": "SMTP_PASSWORD",
                "reply_to": "support@example.com",
                "max_per_second": 14,
            },
            "webhooks": {"enabled": True, "give_up_after_hours": 12},
        }
    )
    smtp = config.smtp
    assert smtp is not None
    assert smtp.effective_port == 465
    assert str(smtp.sender) == "Acme Status <status@example.com>"
    assert smtp.reply_to_address is not None
    assert smtp.reply_to_address.domain == "example.com"
    assert config.webhooks.give_up_after == timedelta(hours=12)
    assert config.link_lifetimes[TokenPurpose.CONFIRM] == timedelta(hours=48)


def test_enabled_without_a_mail_server_is_refused() -> None:
    key, message = refusal({"enabled": True, "secret_env": "S"})
    assert key == "smtp"
    assert "no [subscriptions.smtp] is configured" in message
    assert "enabled = false" in message


@pytest.mark.parametrize(
    ("data", "key", "says"),
    [
        ({"secret": "hunter2hunter2"}, "secret", "secrets never go in commsbot.toml"),
        (
            {"smtp": {**SMTP, "password": "pw"}},
            "smtp.password",
            "name that variable with password_env",
        ),
        (
            {"smtp": {**SMTP, "user": "bot"}},
            "smtp.password_env",
            "user and password_env go together",
        ),
        (
            {"smtp": {**SMTP, "user": "bot", "password_env": "P", "security": "none"}},
            "smtp.security",
            "unencrypted",
        ),
        ({"smtp": {**SMTP, "from": "not an address"}}, "smtp.from", "not one email address"),
        (
            {"smtp": {**SMTP, "from": "a@example.com, b@example.com"}},
            "smtp.from",
            "not one email address",
        ),
        (
            {"smtp": {**SMTP, "host": "smtp://smtp.example.com"}},
            "smtp.host",
            "host name or address alone",
        ),
        ({"smtp": {**SMTP, "security": "ssl"}}, "smtp.security", "'starttls', 'tls' or 'none'"),
        ({"smtp": {**SMTP, "max_per_second": 0}}, "smtp.max_per_second", "greater than 0"),
        ({"webhooks": {"enabled": True}}, "webhooks", "need [subscriptions] enabled = true"),
        ({"confirmation_hours": 200}, "confirmation_hours", "less than or equal to 168"),
        (
            {"confirmation_hours": 48, "prune_unconfirmed_days": 1},
            "confirmation_hours",
            "deleted while its link still works",
        ),
        ({"secret_env": "not a name"}, "secret_env", "should match pattern"),
        (
            {"signups_per_client_per_hour": 0},
            "signups_per_client_per_hour",
            "greater than or equal to 1",
        ),
        ({"unsubscribe_mailto": "x\r\ny"}, "unsubscribe_mailto", "carriage return"),
        ({"enabeld": True}, "enabeld", "Extra inputs are not permitted"),
    ],
)
def test_bad_values_name_their_key_and_say_what_is_valid(
    data: dict[str, Any], key: str, says: str
) -> None:
    got_key, message = refusal(data)
    assert got_key == key
    assert says in message


def test_security_none_with_a_password_is_fine_for_a_relay_on_this_machine() -> None:
    smtp = {**SMTP, "host": "127.0.0.1", "user": "bot", "password_env": "P", "security": "none"}
    config = SubscriptionsConfig.model_validate({"smtp": smtp})
    assert config.smtp is not None
    assert config.smtp.effective_port == 25


def test_secrets_come_from_the_environment_newest_first() -> None:
    config = SubscriptionsConfig(secret_env="SUBS_SECRET")
    new, old = "n" * 40, "o" * 40
    assert signing_secrets(config, {"SUBS_SECRET": f"{new} {old}"}) == (new, old)
    with pytest.raises(MissingSecret, match="environment variable SUBS_SECRET is not set"):
        signing_secrets(config, {})
    with pytest.raises(MissingSecret, match="secret number 2 in SUBS_SECRET is 5 characters"):
        signing_secrets(config, {"SUBS_SECRET": f"{new} short"})


def test_the_smtp_password_comes_from_its_variable() -> None:
    config = SubscriptionsConfig.model_validate(
        {"smtp": {**SMTP, "user": "bot", "password_env": "SMTP_PW"}}
    )
    assert config.smtp is not None
    assert smtp_password(config.smtp, {"SMTP_PW": "pw"}) == "pw"
    with pytest.raises(MissingSecret, match="SMTP_PW is not set"):
        smtp_password(config.smtp, {})
    sender = SmtpSender.from_config(config.smtp, environ={"SMTP_PW": "pw"})
    assert (sender.host, sender.port, sender.security) == ("smtp.example.com", 587, "starttls")

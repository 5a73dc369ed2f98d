"""The ``[subscriptions]`` section of ``commsbot.toml`` and its ``smtp`` and ``webhooks`` tables.

Subscriptions are off unless ``enabled = true``, and enabling them needs ``[subscriptions.smtp]``:
confirmation emails are the only way in, so without a mail server nothing could ever be
confirmed, and nothing may be sent without one. Secrets never appear in the file: the signing
secret and the SMTP password are read from the environment variables named by ``secret_env``
and ``password_env`` (:func:`signing_secrets`, :func:`smtp_password`).

Example::

    [subscriptions]
    enabled = true
    secret_env = "COMMSBOT_SUBSCRIPTIONS_SECRET"   # the default

    [subscriptions.smtp]
    host = "smtp.example.com"
    user = "status@example.com"
    password_env = "COMMSBOT_SMTP_PASSWORD"
    from = "Acme Status <status@example.com>"
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from datetime import timedelta
from email.headerregistry import Address
from email.policy import default as default_policy
from typing import Any, Literal, NoReturn, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from commsbot.subscriptions.addresses import InvalidSubscription, validate_email_address
from commsbot.subscriptions.ports import Limit
from commsbot.subscriptions.tokens import MIN_SECRET_LENGTH, TokenPurpose

_SECRET_WORDS = re.compile(r"(secret|token|password|passwd|api_?key)", re.I)
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
#: The variables ``commsbot init`` writes for the signing secret and the SMTP password.
DEFAULT_SECRET_ENV = "COMMSBOT_SUBSCRIPTIONS_SECRET"
DEFAULT_SMTP_PASSWORD_ENV = "COMMSBOT_SMTP_PASSWORD"


class MissingSecret(ValueError):
    """An environment variable named by the configuration is unset, empty or unusable."""


def _refuse(key: str, value: Any, message: str) -> NoReturn:
    """Fail validation naming ``key`` of this table, as pydantic does for a field."""
    raise ValidationError.from_exception_data(
        "subscriptions",
        [{"type": PydanticCustomError("value_error", message), "loc": (key,), "input": value}],
    )


def _no_inline_secrets(data: Any) -> Any:
    if isinstance(data, Mapping):
        for key in data:
            if isinstance(key, str) and _SECRET_WORDS.search(key) and not key.endswith("_env"):
                _refuse(
                    key,
                    "***",
                    "looks like a secret, and secrets never go in commsbot.toml: put it in an "
                    f"environment variable (or .env) and name that variable with {key}_env",
                )
    return data


def _mailbox(value: str, *, key: str) -> Address:
    """``Name <addr@host>`` or ``addr@host`` as an Address, or a refusal naming ``key``."""
    example = f'write {key} = "Acme Status <status@example.com>" or {key} = "status@example.com"'
    if any(c in value for c in "\r\n\x00"):
        raise ValueError(f"contains a line break or NUL; {example}")
    header = default_policy.header_factory("from", value)
    if header.defects or len(header.addresses) != 1:
        raise ValueError(f"not one email address; {example}")
    found = header.addresses[0]
    try:
        checked = validate_email_address(found.addr_spec)
    except InvalidSubscription as exc:
        raise ValueError(str(exc)) from None
    local, _, domain = checked.rpartition("@")
    return Address(display_name=" ".join(found.display_name.split()), username=local, domain=domain)


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _secrets_stay_out(cls, data: Any) -> Any:
        return _no_inline_secrets(data)


class SmtpConfig(_Table):
    """``[subscriptions.smtp]``: the mail server subscriber email goes through.

    Attributes:
        host: the server's name or address.
        port: default 587 for ``starttls``, 465 for ``tls``, 25 for ``none``.
        security: ``starttls`` (upgrade a plain connection; refuses a server without it),
            ``tls`` (TLS from the first byte, "SMTPS"), or ``none`` (a relay on this host).
        user / password_env: log in as ``user`` with the password held by the environment
            variable ``password_env``; both or neither.
        from_address: the ``From`` of every message (written ``from`` in the file).
        reply_to: where replies go, if not to ``from``.
        max_per_second: messages per second at most (the provider's limit; SES starts at 14).
        timeout_seconds: connecting, and each command's answer.
    """

    host: str = Field(min_length=1, max_length=253)
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    user: str | None = Field(default=None, min_length=1, max_length=320)
    password_env: str | None = Field(default=None, pattern=_ENV_NAME)
    from_address: str = Field(alias="from", min_length=3, max_length=400)
    reply_to: str | None = Field(default=None, max_length=400)
    max_per_second: float = Field(default=10.0, gt=0, le=10_000)
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)

    @field_validator("host")
    @classmethod
    def _plain_host(cls, value: str) -> str:
        if "/" in value or "@" in value or any(c.isspace() for c in value):
            raise ValueError(
                "write the host name or address alone, like smtp.example.com (no scheme, "
                "user or path; the port goes in port)"
            )
        return value

    @field_validator("from_address")
    @classmethod
    def _from(cls, value: str) -> str:
        _mailbox(value, key="from")
        return value

    @field_validator("reply_to")
    @classmethod
    def _reply_to(cls, value: str | None) -> str | None:
        if value is not None:
            _mailbox(value, key="reply_to")
        return value

    @model_validator(mode="after")
    def _login(self) -> Self:
        if (self.user is None) != (self.password_env is None):
            missing = "password_env" if self.user is not None else "user"
            _refuse(
                missing,
                None,
                "user and password_env go together: set both to log in, or neither for a "
                "server that takes mail without logging in",
            )
        if self.user is not None and self.security == "none" and not _loopback(self.host):
            _refuse(
                "security",
                self.security,
                f"would send the password to {self.host} unencrypted; use starttls or tls "
                "(security = none is only for a relay on this machine)",
            )
        return self

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else _DEFAULT_PORTS[self.security]

    @property
    def sender(self) -> Address:
        """``from`` as an :class:`~email.headerregistry.Address`."""
        return _mailbox(self.from_address, key="from")

    @property
    def reply_to_address(self) -> Address | None:
        return None if self.reply_to is None else _mailbox(self.reply_to, key="reply_to")


class WebhookSubscriptionsConfig(_Table):
    """``[subscriptions.webhooks]``: webhook URLs may subscribe too.

    Attributes:
        enabled: accept webhook subscriptions (the sign-up form, the API, the CLI).
        give_up_after_hours: a webhook failing this long is disabled and its owner emailed.
        allow_private_addresses: accept URLs on loopback and private networks (tests, an
            intranet); otherwise only public addresses, so the bot cannot be aimed at
            internal services. ``http://`` is accepted only for loopback hosts, and only then.
        timeout_seconds: one delivery attempt.
    """

    enabled: bool = False
    give_up_after_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    allow_private_addresses: bool = False
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)

    @property
    def give_up_after(self) -> timedelta:
        return timedelta(hours=self.give_up_after_hours)


class SubscriptionsConfig(_Table):
    """``[subscriptions]``: people subscribe themselves to incident updates.

    Attributes:
        enabled: off by default; on needs ``[subscriptions.smtp]``.
        secret_env: the environment variable holding the secret that signs subscriber links
            (at least 32 characters); several secrets separated by spaces rotate keys: the
            first signs, every one is accepted.
        confirmation_hours: how long a confirmation link works.
        prune_unconfirmed_days: unconfirmed sign-ups are deleted after this long.
        manage_link_days / unsubscribe_link_days: how long those links in an email work.
        signups_per_client_per_hour: sign-ups accepted from one network (an IPv4 address or
            an IPv6 /64) per hour.
        signups_per_address_per_day: sign-ups accepted for one email address per day (each
            sends it an email).
        check_deliverability: look up the domain's mail servers (DNS) at sign-up.
        unsubscribe_mailto: an address that takes "unsubscribe" emails (someone must read
            it), added to ``List-Unsubscribe``; None: the one-click link alone.
        give_up_after_hours: an email a mail server keeps deferring (4xx) is retried this long
            after its notice was published, then counted as failed.
        batch_size: subscribers taken at a time by the sender (memory stays bounded by it).
        lease_seconds: how long a replica's claim on subscribers it is sending to holds
            without being renewed (it renews while it works); after a crash, another replica
            takes them over this much later.
        refusals_in_a_row: this many addresses refused one after the other mean the mail
            server, not the addresses, is at fault: the fan-out pauses and the team is told,
            and none of those addresses is marked undeliverable.
        smtp / webhooks: the tables above.
    """

    enabled: bool = False
    secret_env: str = Field(default=DEFAULT_SECRET_ENV, pattern=_ENV_NAME)
    confirmation_hours: float = Field(default=24.0, gt=0, le=24 * 7)
    prune_unconfirmed_days: float = Field(default=7.0, gt=0, le=90)
    manage_link_days: float = Field(default=90.0, gt=0, le=3650)
    unsubscribe_link_days: float = Field(default=365.0, gt=0, le=3650)
    signups_per_client_per_hour: int = Field(default=5, ge=1, le=10_000)
    signups_per_address_per_day: int = Field(default=3, ge=1, le=1000)
    check_deliverability: bool = False
    unsubscribe_mailto: str | None = Field(default=None, max_length=254)
    give_up_after_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    batch_size: int = Field(default=200, ge=1, le=5000)
    lease_seconds: float = Field(default=120.0, ge=1, le=3600)
    refusals_in_a_row: int = Field(default=10, ge=2, le=10_000)
    smtp: SmtpConfig | None = None
    webhooks: WebhookSubscriptionsConfig = Field(default_factory=WebhookSubscriptionsConfig)

    @field_validator("unsubscribe_mailto")
    @classmethod
    def _mailto(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return validate_email_address(value)
        except InvalidSubscription as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _sendable(self) -> Self:
        if self.enabled and self.smtp is None:
            _refuse(
                "smtp",
                None,
                "subscriptions are enabled but no [subscriptions.smtp] is configured: "
                "confirmation emails could not be sent, so nobody could subscribe; add "
                "[subscriptions.smtp] with host and from, or set enabled = false",
            )
        if self.webhooks.enabled and not self.enabled:
            _refuse(
                "webhooks",
                {"enabled": True},
                "webhook subscriptions need [subscriptions] enabled = true",
            )
        if self.confirmation_hours > self.prune_unconfirmed_days * 24:
            _refuse(
                "confirmation_hours",
                self.confirmation_hours,
                f"is longer than prune_unconfirmed_days = {self.prune_unconfirmed_days:g} "
                "days: a sign-up would be deleted while its link still works",
            )
        return self

    @property
    def confirmation_window(self) -> timedelta:
        return timedelta(hours=self.confirmation_hours)

    @property
    def prune_after(self) -> timedelta:
        return timedelta(days=self.prune_unconfirmed_days)

    @property
    def link_lifetimes(self) -> dict[TokenPurpose, timedelta]:
        """For :class:`~commsbot.subscriptions.tokens.SubscriptionKeys`."""
        return {
            TokenPurpose.CONFIRM: self.confirmation_window,
            TokenPurpose.MANAGE: timedelta(days=self.manage_link_days),
            TokenPurpose.UNSUBSCRIBE: timedelta(days=self.unsubscribe_link_days),
        }

    @property
    def give_up_after(self) -> timedelta:
        return timedelta(hours=self.give_up_after_hours)

    @property
    def per_client_limit(self) -> Limit:
        return Limit(self.signups_per_client_per_hour, timedelta(hours=1))

    @property
    def per_address_limit(self) -> Limit:
        return Limit(self.signups_per_address_per_day, timedelta(days=1))


def signing_secrets(config: SubscriptionsConfig, environ: Mapping[str, str]) -> tuple[str, ...]:
    """The secrets in ``secret_env``'s variable, newest (the signing one) first.

    Raises:
        MissingSecret: the variable is unset or empty, or a secret is too short.
    """
    name = config.secret_env
    secrets = tuple(environ.get(name, "").split())
    hint = (
        "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))' and set "
        "it in the environment or in .env (secrets never go in commsbot.toml)"
    )
    if not secrets:
        raise MissingSecret(
            f"subscriptions.secret_env = {name!r}: the environment variable {name} is not set; "
            + hint
        )
    for position, secret in enumerate(secrets, start=1):
        if len(secret) < MIN_SECRET_LENGTH:
            raise MissingSecret(
                f"subscriptions.secret_env = {name!r}: secret number {position} in {name} is "
                f"{len(secret)} characters long; use at least {MIN_SECRET_LENGTH}: " + hint
            )
    return secrets


def smtp_password(smtp: SmtpConfig, environ: Mapping[str, str]) -> str | None:
    """The SMTP password from ``password_env``'s variable (None when not logging in).

    Raises:
        MissingSecret: the variable is unset or empty.
    """
    if smtp.password_env is None:
        return None
    value = environ.get(smtp.password_env, "")
    if not value:
        raise MissingSecret(
            f"subscriptions.smtp.password_env = {smtp.password_env!r}: the environment "
            f"variable {smtp.password_env} is not set; set it in the environment or in .env "
            "(secrets never go in commsbot.toml)"
        )
    return value


def _loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False

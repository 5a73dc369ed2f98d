"""Every environment variable commsbot reads, in one list: ``.env`` and ``config check`` use it.

The repository's ``.env.example`` is exactly what ``commsbot init`` writes (a test compares
them), and a test checks that every variable name the code reads is listed here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variable:
    """One environment variable.

    Attributes:
        name: the variable.
        help: what it holds, as a comment above it in ``.env``.
        secret: its value is never printed (``config check`` says only whether it is set).
        override: it overrides a default; ``.env`` lists it commented out, because an empty
            value handed to a container (``--env-file``) would replace the image's default.
    """

    name: str
    help: str
    secret: bool = True
    override: bool = False


@dataclass(frozen=True)
class Group:
    """Variables shown together under one heading."""

    heading: str
    variables: tuple[Variable, ...]


GROUPS: tuple[Group, ...] = (
    Group(
        "commsbot itself",
        (
            Variable(
                "COMMSBOT_CONFIG",
                "Path of the configuration file (default: ./commsbot.toml if it exists, else "
                "built-in defaults).",
                secret=False,
                override=True,
            ),
            Variable(
                "COMMSBOT_DATABASE_URL",
                "Database, overriding database_url in commsbot.toml: sqlite:///commsbot.db "
                "(default) or postgresql://user:password@host:5432/commsbot "
                "(pip install 'commsbot[postgres]').",
                override=True,
            ),
            Variable(
                "COMMSBOT_HTTP_HOST",
                "Address the HTTP server listens on, overriding [http] host (the container "
                "image sets 0.0.0.0).",
                secret=False,
                override=True,
            ),
            Variable("COMMSBOT_ACTOR", "Default actor for CLI commands (--as).", secret=False),
        ),
    ),
    Group(
        'Slack (see the README\'s "Slack" section). With SLACK_BOT_TOKEN set, `commsbot run` '
        "starts /incident, the approval buttons and the status-channel posts.",
        (
            Variable(
                "SLACK_BOT_TOKEN",
                "Bot token (OAuth & Permissions → Bot User OAuth Token, xoxb-…).",
            ),
            Variable(
                "SLACK_APP_TOKEN",
                'Socket Mode ([slack] mode = "socket", the default): an app-level token with '
                "connections:write (Basic Information → App-Level Tokens, xapp-…).",
            ),
            Variable(
                "SLACK_SIGNING_SECRET",
                'HTTP mode ([slack] mode = "http"): Basic Information → Signing Secret.',
            ),
            Variable(
                "SLACK_API_URL",
                "Where Web API calls go; default https://slack.com/api/ (set it for a proxy).",
                secret=False,
            ),
        ),
    ),
    Group(
        'Discord (see the README\'s "Discord" section). With DISCORD_BOT_TOKEN set, '
        "`commsbot run` connects to Discord for /incident and the approval buttons.",
        (
            Variable(
                "DISCORD_BOT_TOKEN",
                "The bot token (Developer Portal → your app → Bot → Reset Token).",
            ),
            Variable(
                "DISCORD_APPLICATION_ID",
                "The Application ID (General Information page); used by "
                "`commsbot discord invite-url`.",
                secret=False,
            ),
            Variable(
                "DISCORD_API_URL",
                "Where REST calls go; default https://discord.com/api/v10 (set it for a proxy).",
                secret=False,
            ),
        ),
    ),
    Group(
        'Broadcast destinations and notifiers (the README\'s "Broadcasting" section): '
        "commsbot.toml names these variables (secret_env, url_env, token_env); the values "
        "live only here.",
        (
            Variable(
                "COMMSBOT_WEBHOOK_SECRET",
                "HMAC-SHA256 secret shared with your webhook receiver (X-Commsbot-Signature-256).",
            ),
            Variable(
                "COMMSBOT_WEBHOOK_URL",
                "A webhook URL that carries a token of its own (url_env instead of url).",
            ),
            Variable(
                "COMMSBOT_APPRISE_SOCIAL",
                "Apprise URLs (they carry credentials), e.g. mastodon://token@host",
            ),
            Variable("COMMSBOT_APPRISE_OPS", "e.g. mailtos://user:pass@mail.example.com"),
        ),
    ),
    Group(
        'Subscribers (the README\'s "Subscribers" section): needed once [subscriptions] '
        "enabled = true.",
        (
            Variable(
                "COMMSBOT_SUBSCRIPTIONS_SECRET",
                "Signs the confirm, manage and unsubscribe links in subscriber emails (at least "
                "32 characters: python -c 'import secrets; print(secrets.token_urlsafe(32))'). "
                "Several, separated by spaces, rotate it: the first signs, all are accepted.",
            ),
            Variable(
                "COMMSBOT_SMTP_PASSWORD",
                "The password of [subscriptions.smtp] user (password_env names this variable).",
            ),
        ),
    ),
)

VARIABLES: dict[str, Variable] = {v.name: v for g in GROUPS for v in g.variables}


def is_secret(name: str) -> bool:
    """Whether the value of ``name`` must stay hidden (unknown variables are secrets)."""
    known = VARIABLES.get(name)
    return known.secret if known is not None else True

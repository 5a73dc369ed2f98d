"""Every secret value the configuration knows of, so that logs can mask them (defence in depth:
no log site should print one in the first place).

The secrets are the values of the variables listed as secret in
:mod:`commsbot.configure.variables`, of every variable a ``…_env`` key of ``commsbot.toml``
names (webhook secrets, Apprise URLs, bot tokens, an SMTP password), and the password of the
database URL. For a value that holds URLs, each URL and its password are secrets too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from commsbot.configure.variables import VARIABLES
from commsbot.settings import Settings
from commsbot.tokens.model import TOKEN_PREFIX

#: Token shapes masked whatever their value: commsbot API tokens, Slack bot, user and app
#: tokens, Discord bot tokens (three dot-separated base64 parts).
TOKEN_PATTERNS = (
    re.escape(TOKEN_PREFIX) + r"[A-Za-z0-9_-]{43}",
    r"\bxox[abposre]-[A-Za-z0-9-]{10,}",
    r"\bxapp-[A-Za-z0-9-]{10,}",
    r"\b[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,}",
)


def secret_values(settings: Settings, environ: Mapping[str, str]) -> set[str]:
    """The secret values ``settings`` and ``environ`` hold (what a log must never show)."""
    # The database URL is logged with its password hidden (redact_url): its password is the
    # secret, not the whole URL.
    names = {name for name, var in VARIABLES.items() if var.secret} - {"COMMSBOT_DATABASE_URL"}
    names |= set(_named_variables(settings.model_dump()))
    for entries in (settings.destinations, settings.notifiers):
        for entry in entries:
            options = getattr(entry, "options", None)
            if options is not None:
                names |= set(_named_variables(options.model_dump()))
    found: set[str] = set()
    for name in names:
        value = environ.get(name, "")
        if value:
            found |= _with_parts(value)
    found |= _password(settings.db_url) | _password(environ.get("COMMSBOT_DATABASE_URL", ""))
    return {value for value in found if value}


def _named_variables(data: Any) -> Iterator[str]:
    """The values of every ``…_env`` key, at any depth."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            if isinstance(key, str) and key.endswith("_env") and isinstance(value, str):
                yield value
            else:
                yield from _named_variables(value)
    elif isinstance(data, list | tuple):
        for item in data:
            yield from _named_variables(item)


def _with_parts(value: str) -> set[str]:
    """The value itself; if it holds URLs (Apprise takes several), each and its password."""
    found = {value}
    if "://" in value:
        for piece in re.split(r"[\s,]+", value):
            if "://" in piece:
                found.add(piece)
                found |= _password(piece)
    return found


def _password(url: str) -> set[str]:
    try:
        password = urlsplit(url).password
    except ValueError:
        return set()
    return {password, unquote(password)} if password else set()

"""The Web API client, pointed at ``SLACK_API_URL`` (Slack itself by default)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.config import DEFAULT_API_URL, SlackSecrets


def web_client(secrets: SlackSecrets, *, retries: bool = True, timeout: int = 10) -> AsyncWebClient:
    """A Web API client for ``secrets.api_url`` — Slack, a proxy, or a loopback fake in tests.

    ``retries=False`` turns off slack_sdk's own retry of dropped connections: the broadcast
    engine retries deliveries itself, after checking whether the message already went out.
    """
    client = AsyncWebClient(token=secrets.bot_token, base_url=secrets.api_url, timeout=timeout)
    if not retries:
        client.retry_handlers = []
    return client


def response_url_via(url: str, *, api_url: str) -> str:
    """Where to send an answer to Slack's ``response_url`` given ``SLACK_API_URL``.

    Slack's response URLs name its own host (``https://hooks.slack.com/commands/…``). With the
    Web API pointed elsewhere — a proxy, or the loopback fake of the tests — they go there
    too: the URL's path and query are kept, under the scheme, host and port of ``api_url``
    and its path up to a final ``api/``. With the default ``api_url``, ``url`` is unchanged.

    Example:
        >>> response_url_via("https://hooks.slack.com/commands/T1/2/x",
        ...                  api_url="https://egress.example/slack/api/")
        'https://egress.example/slack/commands/T1/2/x'
    """
    if api_url.rstrip("/") == DEFAULT_API_URL.rstrip("/"):
        return url
    api = urlsplit(api_url)
    hook = urlsplit(url)
    prefix = api.path.rstrip("/")
    prefix = prefix.removesuffix("/api") if prefix.endswith("/api") else prefix
    return urlunsplit((api.scheme, api.netloc, prefix + hook.path, hook.query, ""))

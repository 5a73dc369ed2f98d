"""The Web API client, pointed at ``SLACK_API_URL`` (Slack itself by default)."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.config import SlackSecrets


def web_client(secrets: SlackSecrets, *, retries: bool = True, timeout: int = 10) -> AsyncWebClient:
    """A Web API client for ``secrets.api_url`` — Slack, a proxy, or a loopback fake in tests.

    ``retries=False`` turns off slack_sdk's own retry of dropped connections: the broadcast
    engine retries deliveries itself, after checking whether the message already went out.
    """
    client = AsyncWebClient(token=secrets.bot_token, base_url=secrets.api_url, timeout=timeout)
    if not retries:
        client.retry_handlers = []
    return client

"""Who is acting: a Slack user as a core :class:`~commsbot.domain.policy.Actor`.

The actor id is ``slack:<USER_ID>``. Groups are the Slack user groups the user belongs to, as
``slack-group:<SUBTEAM_ID>`` — looked up only for the groups the configuration names (approver
and responder lists), and cached briefly so a burst of button presses costs one API call.
The adapter never decides what the actor may do; the core's policy does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import describe
from commsbot.domain.policy import Actor
from commsbot.settings import Settings

log = logging.getLogger(__name__)

GROUP_PREFIX = "slack-group:"
USER_PREFIX = "slack:"


def configured_groups(settings: Settings) -> frozenset[str]:
    """The Slack user-group ids named anywhere in the approval configuration."""
    entries: list[str] = [*settings.approval.approvers, *settings.approval.responders]
    for cfg in settings.severities.values():
        entries += cfg.approvers or []
    return frozenset(e.removeprefix(GROUP_PREFIX) for e in entries if e.startswith(GROUP_PREFIX))


class ActorResolver:
    """Maps Slack user ids to actors, with their (configured) user-group memberships.

    Args:
        client: the Web API client (needs ``usergroups:read`` when groups are configured).
        groups: the user-group ids worth checking; empty means no API call at all.
        ttl: seconds a membership list is trusted.
        clock: monotonic seconds (tests pass their own).
    """

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        groups: Iterable[str],
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._groups = frozenset(groups)
        self._ttl = ttl
        self._clock = clock
        self._members: dict[str, frozenset[str]] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def actor(self, user_id: str, *, name: str | None = None) -> Actor:
        """The actor for ``user_id``; ``name`` is how they are shown (their Slack handle)."""
        members = await self._memberships()
        groups = frozenset(
            GROUP_PREFIX + group for group, users in members.items() if user_id in users
        )
        return Actor(id=USER_PREFIX + user_id, groups=groups, display=name or None)

    async def _memberships(self) -> dict[str, frozenset[str]]:
        if not self._groups:
            return {}
        async with self._lock:
            now = self._clock()
            if self._fetched_at is not None and now - self._fetched_at < self._ttl:
                return self._members
            fetched: dict[str, frozenset[str]] = {}
            for group in sorted(self._groups):
                try:
                    resp = await self._client.usergroups_users_list(usergroup=group)
                    fetched[group] = frozenset(resp.get("users") or ())
                except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
                    # Keep the last known members (none if never known): a Slack hiccup must
                    # not grant anyone approval rights, nor take them from everyone at once.
                    log.warning(
                        "cannot list members of Slack user group %s (%s); using the last known "
                        "members — check the usergroups:read scope",
                        group,
                        describe(exc),
                    )
                    fetched[group] = self._members.get(group, frozenset())
            self._members = fetched
            self._fetched_at = now
            return fetched

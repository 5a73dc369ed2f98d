"""What every Discord interaction handler shares: who is acting, calling the core, replying.

The core decides policy; a handler only turns the member into an :class:`Actor`, calls a use
case in a worker thread and shows a refusal (``str(error)``) to that person alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import discord

from adapters.discord.render import MAX_CONTENT, clip
from commsbot.domain.errors import CommsbotError
from commsbot.domain.policy import Actor
from commsbot.services.deps import Deps

log = logging.getLogger("commsbot.discord")

T = TypeVar("T")

INTERNAL_ERROR = (
    "commsbot hit an internal error and could not finish this; it is in the bot's log. "
    "Check with `/incident status` before trying again."
)


def actor_from(user: discord.User | discord.Member) -> Actor:
    """The core's view of a Discord user: ``discord:<id>``, with ``discord-role:<id>`` groups."""
    # Role ids come with the interaction payload itself; Member.roles would drop any role the
    # guild cache does not hold (no GUILDS intent, a guild still loading).
    role_ids = getattr(user, "_roles", ()) if isinstance(user, discord.Member) else ()
    return Actor(
        id=f"discord:{user.id}",
        groups=frozenset(f"discord-role:{r}" for r in role_ids),
        display=user.display_name,
    )


def deps_of(interaction: discord.Interaction[Any]) -> Deps:
    """The use cases' dependencies, held by the commsbot Discord client."""
    deps = getattr(interaction.client, "deps", None)
    if not isinstance(deps, Deps):
        raise RuntimeError("this interaction did not come through commsbot's Discord client")
    return deps


async def reply(interaction: discord.Interaction[Any], text: str | None, **kwargs: Any) -> None:
    """Answer only the person who acted: the first response, or a follow-up after it."""
    if text:
        kwargs["content"] = clip(text, MAX_CONTENT)
    kwargs.setdefault("allowed_mentions", discord.AllowedMentions.none())
    if interaction.response.is_done():
        await interaction.followup.send(ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(ephemeral=True, **kwargs)


async def call_core(
    interaction: discord.Interaction[Any], use_case: Callable[..., T], /, **kwargs: Any
) -> T | None:
    """Run ``use_case(deps, **kwargs)`` off the event loop.

    Returns:
        Its result; None after a refusal or a failure, which has then been shown to the person
        who acted (the refusal's own words, which say what was wrong and what would be right).
    """
    deps = deps_of(interaction)
    try:
        return await asyncio.to_thread(use_case, deps, **kwargs)
    except CommsbotError as exc:
        await reply(interaction, str(exc))
    except Exception:
        log.exception("discord: %s failed", getattr(use_case, "__name__", use_case))
        await reply(interaction, INTERNAL_ERROR)
    return None


async def lookup(deps: Deps, query: Callable[[Deps], T], *, seconds: float = 2.0) -> T | None:
    """A read for autocomplete or a modal, bounded so the 3-second answer is never missed."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(query, deps), seconds)
    except (TimeoutError, CommsbotError):
        return None

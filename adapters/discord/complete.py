"""Autocomplete for ``/incident``: incidents, pending drafts, components and their statuses.

Autocomplete cannot be deferred, so every lookup has a deadline well inside Discord's
3 seconds; when the database is slow the list is just empty and typing still works.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from adapters.discord.interact import deps_of, lookup
from adapters.discord.render import clip
from commsbot.domain.model import ComponentStatus, Incident
from commsbot.services.components import component_names
from commsbot.services.deps import Deps
from commsbot.services.drafts import pending_drafts
from commsbot.services.incidents import list_incidents

MAX_CHOICES = 25  # Discord shows at most 25
MAX_CHOICE = 100  # a choice's name and value are at most 100 characters

Choice = app_commands.Choice


def _choice(name: str, value: str) -> Choice[str] | None:
    if len(value) > MAX_CHOICE:
        return None
    return Choice(name=clip(name, MAX_CHOICE), value=value)


def _recent_incidents(deps: Deps) -> list[Incident]:
    """Open incidents first, then recovered ones, each newest first."""
    found = [snap.incident for snap in list_incidents(deps, limit=MAX_CHOICES)]
    return sorted(found, key=lambda i: (i.resolved_at is not None, -i.number))


def _keep(choices: list[Choice[str] | None]) -> list[Choice[str]]:
    return [c for c in choices if c is not None][:MAX_CHOICES]


async def incidents(interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
    """Open incidents first: ``INC-3 · investigating · ChatGPT unavailable`` → ``INC-3``."""
    found = await lookup(deps_of(interaction), _recent_incidents) or []
    typed = current.strip().casefold()
    return _keep(
        [
            _choice(f"{i.ref} · {i.status.value} · {i.title}", i.ref)
            for i in found
            if not typed or typed in f"{i.ref} {i.title} {i.number}".casefold()
        ]
    )


async def drafts(interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
    """Pending drafts with the version shown, so approving one approves what was read."""
    found = await lookup(deps_of(interaction), pending_drafts) or []
    typed = current.strip().casefold()
    result: list[Choice[str] | None] = []
    for item in found:
        d = item.draft
        kind = "postmortem" if d.postmortem else d.status.value
        label = f"{item.incident.incident.ref} v{d.version} · {kind} · {' '.join(d.body.split())}"
        if not typed or typed in f"{label} {d.id}".casefold():
            result.append(_choice(label, f"{d.id}:{d.version}"))
    return _keep(result)


def _segments(current: str) -> tuple[str, str]:
    """``"ChatGPT, AP"`` → (``"ChatGPT, "``, ``"AP"``): what is done, what is being typed."""
    head, sep, last = current.rpartition(",")
    return (f"{head}{sep} " if sep else ""), last.strip()


async def _suggest(
    interaction: discord.Interaction[Any], current: str, *, bare: bool
) -> list[Choice[str]]:
    names = await lookup(deps_of(interaction), component_names) or []
    done, typing = _segments(current)
    name, eq, status = typing.partition("=")
    statuses = [s.value for s in ComponentStatus]
    result: list[Choice[str] | None] = []
    if eq:
        matches = [n for n in names if n.casefold() == name.strip().casefold()] or [name.strip()]
        for full in matches:
            for value in statuses:
                if value.startswith(status.strip().lower()):
                    result.append(_choice(f"{done}{full}={value}", f"{done}{full}={value}"))
        return _keep(result)
    matches = [n for n in names if n.casefold().startswith(name.casefold())]
    matches += [n for n in names if name.casefold() in n.casefold() and n not in matches]
    for full in matches:
        if bare:
            result.append(_choice(f"{done}{full}", f"{done}{full}"))
        if len(matches) <= 3 or not bare:
            for value in statuses:
                result.append(_choice(f"{done}{full}={value}", f"{done}{full}={value}"))
    return _keep(result)


async def component_impacts(
    interaction: discord.Interaction[Any], current: str
) -> list[Choice[str]]:
    """For ``declare``: ``Name`` (the severity's impact) or ``Name=status``."""
    return await _suggest(interaction, current, bare=True)


async def component_changes(
    interaction: discord.Interaction[Any], current: str
) -> list[Choice[str]]:
    """For ``update``: ``Name=status``."""
    return await _suggest(interaction, current, bare=False)

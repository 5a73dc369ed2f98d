"""``/incident``: declare, update, status, list, approve, reject, edit, handoff, timeline, help.

Each command defers at once (Discord wants an answer within 3 seconds), calls one use case in a
worker thread and answers the person who asked, privately. Permissions are the core's policy,
not Discord's: the commands are visible to everyone in a server and the core refuses whoever
may not act, saying why.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from adapters.discord import complete, replies
from adapters.discord.interact import actor_from, call_core, reply
from commsbot.domain.errors import InvalidInput
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import (
    ComponentStatus,
    Severity,
    parse_choice,
    parse_component_changes,
)
from commsbot.maintenance.views import MaintenanceDraftResult, MaintenancePublished
from commsbot.services.deps import Deps
from commsbot.services.drafts import approve_any_draft, propose_update, reject_any_draft
from commsbot.services.incidents import declare, edit_incident, list_incidents, show_incident
from commsbot.services.results import Declared, DraftResult, IncidentEdited, Published

Interaction = discord.Interaction[Any]
Choice = app_commands.Choice

SEVERITY_CHOICES = [
    Choice(name="sev1 · critical, updates every 30 min", value="sev1"),
    Choice(name="sev2 · major", value="sev2"),
    Choice(name="sev3 · minor", value="sev3"),
    Choice(name="sev4 · low", value="sev4"),
]
STATUS_CHOICES = [Choice(name=s.label, value=s.value) for s in Status]


def split_items(text: str | None) -> list[str]:
    """``"ChatGPT, API=partial_outage"`` → ``["ChatGPT", "API=partial_outage"]``."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def parse_impacts(text: str | None) -> dict[str, ComponentStatus | None]:
    """Components as typed for ``declare``: ``Name`` (the severity's impact) or ``Name=status``."""
    impacts: dict[str, ComponentStatus | None] = {}
    for item in split_items(text):
        if "=" in item:
            impacts.update(parse_component_changes([item]))
        else:
            impacts[item] = None
    return impacts


def parse_draft_ref(text: str, version: int | None) -> tuple[str, int | None]:
    """``"k2v9x0q7ab1c:2"`` (as autocomplete fills it) or a bare draft id, plus ``version``."""
    draft_id, sep, typed = text.strip().partition(":")
    if not draft_id:
        raise InvalidInput("no draft given; pick one from the list or paste its id")
    if sep and version is None:
        if not typed.strip().isdigit():
            raise InvalidInput(f"{text!r} is not a draft; write ID or ID:VERSION")
        version = int(typed)
    return draft_id, version


@app_commands.guild_only()
class IncidentCommands(app_commands.Group):
    """The ``/incident`` group; one instance per client."""

    def __init__(self) -> None:
        super().__init__(
            name="incident",
            description="Declare incidents, draft public updates, approve them.",
        )

    @app_commands.command(description="Open an incident; its acknowledgment is drafted.")
    @app_commands.describe(
        title="The incident's public name",
        severity="Sets the update cadence and who approves",
        components="Affected components: Name or Name=status, comma-separated",
        body="The acknowledgment's text (default: the template)",
        next_update="Next update in/by: 45m, 16:30 or ISO (default: the severity's cadence)",
    )
    @app_commands.choices(severity=SEVERITY_CHOICES)
    @app_commands.autocomplete(components=complete.component_impacts)
    async def declare(
        self,
        interaction: Interaction,
        title: app_commands.Range[str, 1, 200],
        severity: str = "sev2",
        components: str | None = None,
        body: str | None = None,
        next_update: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = actor_from(interaction.user)

        def run(deps: Deps) -> Declared:
            return declare(
                deps,
                title=title,
                severity=parse_choice(Severity, severity, what="severity"),
                components=parse_impacts(components),
                actor=actor,
                body=body,
                next_update=next_update,
            )

        result = await call_core(interaction, run)
        if result is not None:
            await reply(interaction, replies.declared(result))

    @app_commands.command(description="Draft a public update; someone else approves it.")
    @app_commands.describe(
        incident="INC-42, 42 or the incident id",
        status="The status it sets (default: unchanged)",
        body="The text (default: the template for the status)",
        components="Component changes: Name=status, comma-separated",
        reason="Why, when reopening a recovered incident",
        postmortem="This is the root-cause analysis of a recovered incident",
        next_update="Next update in/by: 45m, 16:30 or ISO (default: the severity's cadence)",
    )
    @app_commands.choices(status=STATUS_CHOICES)
    @app_commands.autocomplete(incident=complete.incidents, components=complete.component_changes)
    async def update(
        self,
        interaction: Interaction,
        incident: str,
        status: str | None = None,
        body: str | None = None,
        components: str | None = None,
        reason: str | None = None,
        postmortem: bool = False,
        next_update: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = actor_from(interaction.user)

        def run(deps: Deps) -> DraftResult:
            return propose_update(
                deps,
                incident_ref=incident,
                status=parse_choice(Status, status, what="status") if status else None,
                actor=actor,
                body=body,
                component_changes=parse_component_changes(split_items(components)),
                reason=reason,
                postmortem=postmortem,
                next_update=next_update,
            )

        result = await call_core(interaction, run)
        if result is not None:
            await reply(interaction, replies.drafted(result))

    @app_commands.command(description="Where an incident stands: status, components, drafts.")
    @app_commands.describe(incident="INC-42, 42 or the incident id")
    @app_commands.autocomplete(incident=complete.incidents)
    async def status(self, interaction: Interaction, incident: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        detail = await call_core(interaction, lambda d: show_incident(d, incident_ref=incident))
        if detail is not None:
            await reply(interaction, None, embed=replies.status_embed(detail))

    @app_commands.command(name="list", description="Incidents, newest first.")
    @app_commands.describe(open_only="Only incidents not yet recovered (default: yes)")
    async def list_(self, interaction: Interaction, open_only: bool = True) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        snaps = await call_core(interaction, lambda d: list_incidents(d, open_only=open_only))
        if snaps is not None:
            await reply(interaction, None, embed=replies.list_embed(snaps, open_only=open_only))

    @app_commands.command(description="Approve a draft, which publishes it.")
    @app_commands.describe(
        draft="The draft (the list shows each pending one with its version)",
        version="The version you read; refused if it was edited since",
    )
    @app_commands.autocomplete(draft=complete.drafts)
    async def approve(
        self, interaction: Interaction, draft: str, version: int | None = None
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = actor_from(interaction.user)

        def run(deps: Deps) -> Published | MaintenancePublished:
            draft_id, wanted = parse_draft_ref(draft, version)
            return approve_any_draft(deps, draft_id=draft_id, actor=actor, version=wanted)

        published = await call_core(interaction, run)
        if published is not None:
            await reply(interaction, replies.published(published))

    @app_commands.command(description="Reject a draft (or withdraw your own) with a reason.")
    @app_commands.describe(draft="The draft", reason="Why it should not go out")
    @app_commands.autocomplete(draft=complete.drafts)
    async def reject(
        self, interaction: Interaction, draft: str, reason: app_commands.Range[str, 1, 1000]
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = actor_from(interaction.user)

        def run(deps: Deps) -> DraftResult | MaintenanceDraftResult:
            draft_id, _ = parse_draft_ref(draft, None)
            return reject_any_draft(deps, draft_id=draft_id, actor=actor, reason=reason)

        result = await call_core(interaction, run)
        if result is not None:
            await reply(interaction, replies.rejected(result))

    @app_commands.command(description="Change an incident's title or severity.")
    @app_commands.describe(
        incident="INC-42, 42 or the incident id",
        title="The new title (the status page shows it with the next published update)",
        severity="The new severity: sets the cadence and who approves from now on",
    )
    @app_commands.choices(severity=SEVERITY_CHOICES)
    @app_commands.autocomplete(incident=complete.incidents)
    async def edit(
        self,
        interaction: Interaction,
        incident: str,
        title: app_commands.Range[str, 1, 200] | None = None,
        severity: str | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = actor_from(interaction.user)

        def run(deps: Deps) -> IncidentEdited:
            return edit_incident(
                deps,
                incident_ref=incident,
                actor=actor,
                title=title,
                severity=parse_choice(Severity, severity, what="severity") if severity else None,
            )

        result = await call_core(interaction, run)
        if result is not None:
            await reply(interaction, replies.edited(result))

    @app_commands.command(description="Hand the incident over to a new commander.")
    @app_commands.describe(
        incident="INC-42, 42 or the incident id", to="Who takes over (default: you)"
    )
    @app_commands.autocomplete(incident=complete.incidents)
    async def handoff(
        self, interaction: Interaction, incident: str, to: discord.User | None = None
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = actor_from(interaction.user)
        commander = f"discord:{(to or interaction.user).id}"

        def run(deps: Deps) -> IncidentEdited:
            return edit_incident(deps, incident_ref=incident, actor=actor, commander=commander)

        result = await call_core(interaction, run)
        if result is not None:
            await reply(interaction, replies.edited(result))

    @app_commands.command(description="An incident's timeline, latest entries last.")
    @app_commands.describe(incident="INC-42, 42 or the incident id")
    @app_commands.autocomplete(incident=complete.incidents)
    async def timeline(self, interaction: Interaction, incident: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        detail = await call_core(interaction, lambda d: show_incident(d, incident_ref=incident))
        if detail is not None:
            await reply(interaction, None, embed=replies.timeline_embed(detail))

    @app_commands.command(name="help", description="What each /incident command does.")
    async def help_(self, interaction: Interaction) -> None:
        lines = [
            f"`/incident {cmd.name}` — {cmd.description}"
            for cmd in self.walk_commands()
            if isinstance(cmd, app_commands.Command)
        ]
        await reply(interaction, replies.help_text(lines))

"""``/incident``: parse the text, acknowledge at once, call one use case, answer.

Slack waits 3 seconds for the acknowledgment; nothing slow happens before it. Modals are opened
right after it (a ``trigger_id`` lives 3 seconds), before any database work.
"""

from __future__ import annotations

import logging

from slack_bolt.context.ack.async_ack import AsyncAck

from adapters.slack import forms, modals, replies
from adapters.slack.blocks import escape
from adapters.slack.interact import FAILED, Context, Where
from adapters.slack.parse import (
    ME,
    Approve,
    Command,
    Declare,
    EditIncident,
    Help,
    ListIncidents,
    Note,
    Reject,
    ShowStatus,
    Timeline,
    Update,
    UsageError,
    help_text,
    parse,
)
from adapters.slack.render import Message
from adapters.slack.webapi import open_view
from adapters.slack.wire import SlashCommand
from commsbot.domain.model import Severity
from commsbot.domain.policy import Actor
from commsbot.services import drafts, incidents

log = logging.getLogger("commsbot.slack")


class Commands:
    """The ``/incident`` listener (register ``on_command`` with ``app.command(...)``)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def on_command(self, ack: AsyncAck, command: SlashCommand) -> None:
        self.ctx.inflight.track()
        name = command.get("command") or self.ctx.command
        try:
            parsed = parse(command.get("text") or "")
        except UsageError as exc:
            await ack(text=escape(exc.render(name)), response_type="ephemeral")
            return
        if isinstance(parsed, Help):
            await ack(text=escape(help_text(name, parsed.topic)), response_type="ephemeral")
            return
        await ack()
        where = Where(
            user_id=command["user_id"],
            channel_id=command.get("channel_id"),
            response_url=command.get("response_url"),
        )
        failed = f"{FAILED} Check `{name} status` before trying again."
        await self.ctx.guard(where, self._run(parsed, command, where), failed=failed)

    async def _run(self, cmd: Command, command: SlashCommand, where: Where) -> None:
        meta: forms.Meta = {"c": where.channel_id, "r": where.response_url}
        if isinstance(cmd, Declare) and cmd.title is None:
            view = forms.declare_view(
                catalogue=self.ctx.catalogue, severity=cmd.severity, meta=meta
            )
            await open_view(self.ctx.client, trigger_id=command["trigger_id"], view=view)
        elif isinstance(cmd, Update) and cmd.wants_modal:
            await modals.open_update_form(
                self.ctx, trigger_id=command["trigger_id"], incident_ref=cmd.incident, meta=meta
            )
        else:
            actor = await self.ctx.actors.actor(command["user_id"], name=command.get("user_name"))
            message, in_channel = await self._answer(cmd, actor)
            await self.ctx.tell(where, message, in_channel=in_channel)

    async def _answer(self, cmd: Command, actor: Actor) -> tuple[Message, bool]:
        """Call the use case ``cmd`` names; its answer, and whether the channel sees it."""
        ctx, zone, name = self.ctx, self.ctx.zone, self.ctx.command
        match cmd:
            case Declare(title=str(title)):
                declared = await ctx.act(
                    incidents.declare,
                    title=title,
                    severity=cmd.severity or Severity.SEV2,
                    components=cmd.components,
                    actor=actor,
                )
                channel = ctx.approvals_channel
                return replies.declared(declared, command=name, approvals_channel=channel), True
            case Update(incident=str(ref)):
                drafted = await ctx.act(
                    drafts.propose_update,
                    incident_ref=ref,
                    status=cmd.status,  # None ("progress", "postmortem"): the core decides
                    actor=actor,
                    body=cmd.body,
                    component_changes=cmd.components or None,
                    reason=cmd.reason,
                    postmortem=cmd.postmortem,
                )
                return replies.proposed(drafted, command=name), False
            case ShowStatus(incident=None):
                snaps = await ctx.call(incidents.list_incidents, open_only=True)
                return replies.incident_list(snaps, open_only=True, zone=zone), False
            case ShowStatus(incident=str(ref)):
                detail = await ctx.call(incidents.show_incident, incident_ref=ref)
                return replies.incident_status(detail, zone=zone, command=name), False
            case ListIncidents(open_only=open_only):
                snaps = await ctx.call(incidents.list_incidents, open_only=open_only, limit=15)
                return replies.incident_list(snaps, open_only=open_only, zone=zone), False
            case Approve(draft_id=draft_id, version=version):
                published = await ctx.act(
                    drafts.approve_any_draft, draft_id=draft_id, actor=actor, version=version
                )
                return replies.published(published), False
            case Reject(draft_id=draft_id, reason=reason):
                rejected = await ctx.act(
                    drafts.reject_any_draft, draft_id=draft_id, actor=actor, reason=reason
                )
                return replies.rejected(rejected), False
            case Timeline(incident=ref):
                detail = await ctx.call(incidents.show_incident, incident_ref=ref)
                return replies.timeline(detail, zone=zone), False
            case Note(incident=ref, text=text):
                await ctx.act(incidents.add_note, incident_ref=ref, text=text, actor=actor)
                return replies.noted(ref), False
            case EditIncident(incident=ref, severity=severity, title=title, commander=who):
                edited = await ctx.act(
                    incidents.edit_incident,
                    incident_ref=ref,
                    actor=actor,
                    title=title,
                    severity=severity,
                    commander=actor.id if who == ME else who,
                )
                return replies.incident_edited(edited), False
        raise AssertionError(f"unhandled command {cmd!r}")

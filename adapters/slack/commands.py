"""``/incident``: parse, acknowledge at once, then call the use case and answer.

Slack waits 3 seconds for the acknowledgment; nothing slow happens before it. Modals are opened
right after it (a ``trigger_id`` lives 3 seconds), before any database work.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from adapters.slack import modals, replies
from adapters.slack.blocks import escape
from adapters.slack.cards import Message
from adapters.slack.errors import CALL_ERRORS, describe
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
from adapters.slack.surface import Surface, Where
from adapters.slack.views import open_update_form
from commsbot.domain.errors import CommsbotError
from commsbot.domain.model import Severity
from commsbot.domain.policy import Actor
from commsbot.services import drafts, incidents
from commsbot.services.deps import Deps
from commsbot.services.views import DraftResult

log = logging.getLogger("commsbot.slack")


class SlashCommand:
    """The ``/incident`` listener (register ``on_command`` with ``app.command(...)``)."""

    def __init__(self, surface: Surface) -> None:
        self.s = surface

    async def on_command(self, ack: AsyncAck, command: dict[str, Any]) -> None:
        self.s.inflight.track()
        name = command.get("command") or self.s.command
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
        try:
            await self._run(parsed, command, where)
        except CommsbotError as exc:
            await self.s.tell(where, replies.refusal(exc))
        except CALL_ERRORS as exc:
            log.warning("/incident %s: Slack call failed: %s", type(parsed).__name__, describe(exc))
        except Exception:
            log.exception("/incident failed")
            await self.s.tell(
                where,
                replies.plain_message(
                    ":warning: commsbot failed to do that (the error is in its log). Check "
                    f"`{name} status` before trying again."
                ),
            )

    async def _run(self, cmd: Command, command: dict[str, Any], where: Where) -> None:
        s = self.s
        meta = {"c": where.channel_id, "r": where.response_url}
        if isinstance(cmd, Declare) and cmd.title is None:
            view = modals.declare_view(
                catalogue=s.catalogue, severity=cmd.severity, title=None, meta=meta
            )
            await s.client.views_open(trigger_id=command["trigger_id"], view=view)
            return
        if isinstance(cmd, Update) and cmd.wants_modal:
            await open_update_form(
                s, trigger_id=command["trigger_id"], incident_ref=cmd.incident, meta=meta
            )
            return
        actor = await s.actors.actor(command["user_id"], name=command.get("user_name"))
        message, in_channel = await self._answer(cmd, actor)
        await s.tell(where, message, in_channel=in_channel)

    async def _answer(self, cmd: Command, actor: Actor) -> tuple[Message, bool]:
        s, zone, name = self.s, self.s.zone, self.s.command
        match cmd:
            case Declare(title=str(title)):
                declared = await s.act(
                    incidents.declare,
                    title=title,
                    severity=cmd.severity or Severity.SEV2,
                    components=cmd.components,
                    actor=actor,
                )
                message = replies.declared(
                    declared, command=name, approvals_channel=s.approvals_channel
                )
                return message, True
            case Update():
                result = await s.act(propose_from_text, cmd=cmd, actor=actor)
                return replies.proposed(result, command=name), False
            case ShowStatus(incident=None):
                snaps = await s.call(incidents.list_incidents, open_only=True)
                return replies.open_status(snaps, zone=zone), False
            case ShowStatus(incident=str(ref)):
                detail = await s.call(incidents.show_incident, incident_ref=ref)
                return replies.incident_status(detail, zone=zone, command=name), False
            case ListIncidents(open_only=open_only):
                snaps = await s.call(incidents.list_incidents, open_only=open_only, limit=15)
                return replies.incident_list(snaps, open_only=open_only, zone=zone), False
            case Approve(draft_id=draft_id, version=version):
                published = await s.act(
                    drafts.approve_draft, draft_id=draft_id, actor=actor, version=version
                )
                return replies.published(published), False
            case Reject(draft_id=draft_id, reason=reason):
                rejected = await s.act(
                    drafts.reject_draft, draft_id=draft_id, actor=actor, reason=reason
                )
                return replies.rejected(rejected), False
            case Timeline(incident=ref):
                detail = await s.call(incidents.show_incident, incident_ref=ref)
                return replies.timeline(detail, zone=zone), False
            case Note(incident=ref, text=text):
                await s.act(incidents.add_note, incident_ref=ref, text=text, actor=actor)
                return replies.noted(ref), False
            case EditIncident(incident=ref, severity=severity, title=title, commander=who):
                edited = await s.act(
                    incidents.edit_incident,
                    incident_ref=ref,
                    actor=actor,
                    title=title,
                    severity=severity,
                    commander=actor.id if who == ME else who,
                )
                return replies.incident_edited(edited), False
        raise AssertionError(f"unhandled command {cmd!r}")


def propose_from_text(deps: Deps, *, cmd: Update, actor: Actor) -> DraftResult:
    """``/incident update INC-1 STATUS …``; ``progress`` keeps the incident's current status."""
    assert cmd.incident is not None
    status = cmd.status
    if status is None:
        status = incidents.show_incident(deps, incident_ref=cmd.incident).incident.incident.status
    return drafts.propose_update(
        deps,
        incident_ref=cmd.incident,
        status=status,
        actor=actor,
        body=cmd.body,
        component_changes=cmd.components or None,
        reason=cmd.reason,
        postmortem=cmd.postmortem,
    )

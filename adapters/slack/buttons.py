"""The controls on commsbot's messages: Approve / Edit / Reject, and a reminder's Draft update /
Snooze / Cancel. Acknowledge, call one use case as the person who pressed, settle the message.

A refusal (not an approver, the author approving their own draft, a stale version) is shown
only to the person who pressed, and changes nothing. Each control's ``value`` carries what it
acts on (draft and version, reminder), so the controls work after a restart.
"""

from __future__ import annotations

from datetime import timedelta

from slack_bolt.context.ack.async_ack import AsyncAck

from adapters.slack import forms, modals, replies
from adapters.slack.blocks import mention
from adapters.slack.interact import Context, Where
from adapters.slack.render import (
    APPROVAL_CONTROLS,
    REMINDER_CONTROLS,
    parse_draft_value,
    when,
)
from adapters.slack.webapi import open_view, settle_message
from adapters.slack.wire import Action, BlockActions
from commsbot.maintenance.views import MaintenancePublished
from commsbot.services import drafts, reminders

# --- parse: what a press says -------------------------------------------------------------


def _where(body: BlockActions) -> Where:
    channel, _ = _message(body)
    return Where(
        user_id=body["user"]["id"], channel_id=channel, response_url=body.get("response_url")
    )


def _message(body: BlockActions) -> tuple[str | None, str | None]:
    """The (channel, ts) of the message whose control was pressed."""
    container, shown = body.get("container"), body.get("message")
    channel = container.get("channel_id") if container else None
    ts = container.get("message_ts") if container else None
    if channel is None and "channel" in body:
        channel = body["channel"]["id"]
    return channel, ts or (shown["ts"] if shown else None)


def _chosen(action: Action) -> str:
    """A button's value, or the value of the option chosen in a select."""
    return action.get("value") or (action.get("selected_option") or {"value": ""})["value"]


class Buttons:
    """Listeners for the controls on the messages commsbot posts."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def _settle(self, body: BlockActions, *, controls: tuple[str, ...], note: str) -> None:
        """Replace the pressed message's controls by what became of it (who, when)."""
        channel, ts = _message(body)
        if channel and ts:
            await settle_message(
                self.ctx.client,
                channel=channel,
                ts=ts,
                controls=controls,
                note=note,
                shown=body.get("message"),
            )

    async def on_approve(self, ack: AsyncAck, body: BlockActions, action: Action) -> None:
        self.ctx.inflight.track()
        await ack()
        where, draft = _where(body), parse_draft_value(_chosen(action))
        if draft is None:
            await self.ctx.tell(where, replies.plain_message("This button carries no draft."))
            return
        await self.ctx.guard(where, self._approve(body, where, *draft))

    async def on_approve_quiet(self, ack: AsyncAck, body: BlockActions, action: Action) -> None:
        """ "Approve without notifying subscribers": published everywhere but to them."""
        self.ctx.inflight.track()
        await ack()
        where, draft = _where(body), parse_draft_value(_chosen(action))
        if draft is None:
            await self.ctx.tell(where, replies.plain_message("This button carries no draft."))
            return
        await self.ctx.guard(where, self._approve(body, where, *draft, quiet=True))

    async def _approve(
        self, body: BlockActions, where: Where, draft_id: str, version: int, *, quiet: bool = False
    ) -> None:
        actor = await self.ctx.actor(body["user"])
        result = await self.ctx.act(
            drafts.approve_any_draft,
            draft_id=draft_id,
            actor=actor,
            version=version,
            notify_subscribers=not quiet,
        )
        if isinstance(result, MaintenancePublished):
            at, what = result.notice.published_at, f"{result.maintenance.ref} notice"
            seq = result.notice.seq
        else:
            at, what, seq = result.update.published_at, "update", result.update.seq
        note = (
            f":white_check_mark: *Approved and published* by {mention(actor.id)} at "
            f"{when(at, self.ctx.zone)} ({what} #{seq})"
            + (" without notifying subscribers" if quiet else "")
        )
        await self._settle(body, controls=(APPROVAL_CONTROLS, REMINDER_CONTROLS), note=note)
        await self.ctx.tell(where, replies.published(result))

    async def on_edit(self, ack: AsyncAck, body: BlockActions, action: Action) -> None:
        self.ctx.inflight.track()
        await ack()
        draft = parse_draft_value(_chosen(action))
        if draft is None:
            return
        where = _where(body)
        channel, ts = _message(body)
        meta: forms.Meta = {"r": where.response_url, "c": channel, "ch": channel, "ts": ts}
        trigger = body.get("trigger_id", "")
        opening = modals.open_edit_form(
            self.ctx, trigger_id=trigger, draft_id=draft[0], version=draft[1], meta=meta
        )
        await self.ctx.guard(where, opening)

    async def on_reject(self, ack: AsyncAck, body: BlockActions, action: Action) -> None:
        self.ctx.inflight.track()
        await ack()
        draft = parse_draft_value(_chosen(action))
        if draft is None:
            return
        where = _where(body)
        channel, ts = _message(body)
        draft_id, version = draft
        meta: forms.Meta = {
            "d": draft_id,
            "v": version,
            "r": where.response_url,
            "c": channel,
            "ch": channel,
            "ts": ts,
        }
        view = forms.reject_view(draft_id=draft_id, version=version, meta=meta)
        opening = open_view(self.ctx.client, trigger_id=body.get("trigger_id", ""), view=view)
        await self.ctx.guard(where, opening)

    async def on_reminder_draft(self, ack: AsyncAck, body: BlockActions, action: Action) -> None:
        self.ctx.inflight.track()
        await ack()
        _, _, incident_id = _chosen(action).partition(":")
        where = _where(body)
        meta: forms.Meta = {"r": where.response_url, "c": where.channel_id}
        opening = modals.open_update_form(
            self.ctx,
            trigger_id=body.get("trigger_id", ""),
            incident_ref=incident_id or None,
            meta=meta,
        )
        await self.ctx.guard(where, opening)

    async def on_reminder_snooze(self, ack: AsyncAck, body: BlockActions, action: Action) -> None:
        self.ctx.inflight.track()
        await ack()
        reminder_id, _, minutes = _chosen(action).rpartition(":")
        if reminder_id and minutes.isdigit():
            await self.ctx.guard(_where(body), self._snooze(body, reminder_id, int(minutes)))

    async def _snooze(self, body: BlockActions, reminder_id: str, minutes: int) -> None:
        actor = await self.ctx.actor(body["user"])
        await self.ctx.act(
            reminders.snooze_reminder,
            reminder_id=reminder_id,
            duration=timedelta(minutes=minutes),
            actor=actor,
        )
        note = f":zzz: Snoozed for {minutes} min by {mention(actor.id)}"
        await self._settle(body, controls=(REMINDER_CONTROLS,), note=note)

    async def on_reminder_cancel(self, ack: AsyncAck, body: BlockActions, action: Action) -> None:
        self.ctx.inflight.track()
        await ack()
        await self.ctx.guard(_where(body), self._cancel(body, _chosen(action)))

    async def _cancel(self, body: BlockActions, reminder_id: str) -> None:
        actor = await self.ctx.actor(body["user"])
        await self.ctx.act(reminders.cancel_reminder, reminder_id=reminder_id, actor=actor)
        note = f":no_bell: Reminder cancelled by {mention(actor.id)}"
        await self._settle(body, controls=(REMINDER_CONTROLS,), note=note)

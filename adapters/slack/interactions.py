"""Buttons and selects: acknowledge, ask the core, show the outcome.

A refusal (not an approver, the author approving their own draft, a stale version) is shown
only to the person who pressed, and changes nothing. Each control's ``value`` carries what it
acts on (draft and version, reminder), so the controls work after a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from adapters.slack import forms, internal, modals, replies
from adapters.slack.blocks import mention
from adapters.slack.cards import when
from adapters.slack.errors import CALL_ERRORS, describe
from adapters.slack.history import settle_message
from adapters.slack.surface import Surface, Where
from adapters.slack.views import (
    on_status_changed,
    open_edit_form,
    open_update_form,
    show_update_form,
)
from commsbot.domain.errors import CommsbotError
from commsbot.domain.policy import Actor
from commsbot.services import drafts, reminders

log = logging.getLogger("commsbot.slack")

Body = dict[str, Any]


def _user(body: Body) -> tuple[str, str | None]:
    user = body.get("user") or {}
    return str(user.get("id")), user.get("username") or user.get("name")


def _where(body: Body) -> Where:
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    return Where(user_id=_user(body)[0], channel_id=channel, response_url=body.get("response_url"))


def _message_ref(body: Body) -> tuple[str | None, str | None]:
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    return channel, ts


class Interactions:
    """Listeners for the buttons and modals commsbot posts."""

    def __init__(self, surface: Surface) -> None:
        self.s = surface

    async def _actor(self, body: Body) -> Actor:
        user_id, name = _user(body)
        return await self.s.actors.actor(user_id, name=name)

    async def _guard(self, where: Where, work: Awaitable[None]) -> None:
        """Run ``work``; a refusal goes to the presser, a failure to the log."""
        try:
            await work
        except CommsbotError as exc:
            await self.s.tell(where, replies.refusal(exc))
        except CALL_ERRORS as exc:
            log.warning("Slack call failed: %s", describe(exc))
        except Exception:
            log.exception("Slack interaction failed")
            await self.s.tell(
                where,
                replies.plain_message(
                    ":warning: commsbot failed to do that (the error is in its log)."
                ),
            )

    # --- approval buttons ------------------------------------------------------------------

    async def on_approve(self, ack: AsyncAck, body: Body, action: Body) -> None:
        self.s.inflight.track()
        await ack()
        where = _where(body)
        parsed = internal.parse_draft_value(str(action.get("value", "")))
        if parsed is None:
            await self.s.tell(where, replies.plain_message("This button carries no draft."))
            return
        await self._guard(where, self._approve(body, where, *parsed))

    async def _approve(self, body: Body, where: Where, draft_id: str, version: int) -> None:
        actor = await self._actor(body)
        result = await self.s.act(
            drafts.approve_draft, draft_id=draft_id, actor=actor, version=version
        )
        update = result.update
        note = (
            f":white_check_mark: *Approved and published* by {mention(actor.id)} at "
            f"{when(update.published_at, self.s.zone)} (update #{update.seq})"
        )
        await self._settle(
            body, controls=(internal.APPROVAL_CONTROLS, internal.REMINDER_CONTROLS), note=note
        )
        await self.s.tell(where, replies.published(result))

    async def _settle(
        self,
        body: Body,
        *,
        controls: tuple[str, ...],
        note: str,
        channel: str | None = None,
        ts: str | None = None,
    ) -> None:
        """Replace a message's controls by what became of it (who, when)."""
        if channel is None or ts is None:
            channel, ts = _message_ref(body)
        if channel and ts:
            await settle_message(
                self.s.client,
                channel=channel,
                ts=ts,
                controls=controls,
                note=note,
                shown=body.get("message"),
            )

    async def on_edit(self, ack: AsyncAck, body: Body, action: Body) -> None:
        self.s.inflight.track()
        await ack()
        where = _where(body)
        parsed = internal.parse_draft_value(str(action.get("value", "")))
        if parsed is None:
            return
        channel, ts = _message_ref(body)
        meta = {"r": where.response_url, "c": channel, "ch": channel, "ts": ts}
        await self._guard(
            where,
            open_edit_form(
                self.s,
                trigger_id=body["trigger_id"],
                draft_id=parsed[0],
                version=parsed[1],
                meta=meta,
            ),
        )

    async def on_reject(self, ack: AsyncAck, body: Body, action: Body) -> None:
        self.s.inflight.track()
        await ack()
        parsed = internal.parse_draft_value(str(action.get("value", "")))
        if parsed is None:
            return
        where = _where(body)
        channel, ts = _message_ref(body)
        view = modals.reject_view(
            draft_id=parsed[0],
            version=parsed[1],
            meta={
                "d": parsed[0],
                "v": parsed[1],
                "r": where.response_url,
                "c": channel,
                "ch": channel,
                "ts": ts,
            },
        )
        await self._guard(where, self._open(body["trigger_id"], view))

    async def _open(self, trigger_id: str, view: Body) -> None:
        await self.s.client.views_open(trigger_id=trigger_id, view=view)

    # --- form controls ---------------------------------------------------------------------

    async def on_status_changed(self, ack: AsyncAck, body: Body, action: Body) -> None:
        self.s.inflight.track()
        await ack()
        choice = (action.get("selected_option") or {}).get("value")
        view = body.get("view") or {}
        if choice:
            await self._guard(_where(body), on_status_changed(self.s, view, str(choice)))

    async def on_incident_picked(self, ack: AsyncAck, body: Body, action: Body) -> None:
        self.s.inflight.track()
        await ack()
        chosen = (action.get("selected_option") or {}).get("value")
        view = body.get("view") or {}
        if chosen:
            await self._guard(
                _where(body),
                show_update_form(
                    self.s,
                    view_id=view["id"],
                    view_hash=view.get("hash"),
                    incident_ref=str(chosen),
                    meta=forms.unpack(view),
                ),
            )

    # --- reminders -------------------------------------------------------------------------

    async def on_reminder_draft(self, ack: AsyncAck, body: Body, action: Body) -> None:
        self.s.inflight.track()
        await ack()
        _, _, incident_id = str(action.get("value", "")).partition(":")
        where = _where(body)
        meta = {"r": where.response_url, "c": where.channel_id}
        await self._guard(
            where,
            open_update_form(
                self.s, trigger_id=body["trigger_id"], incident_ref=incident_id or None, meta=meta
            ),
        )

    async def on_reminder_snooze(self, ack: AsyncAck, body: Body, action: Body) -> None:
        self.s.inflight.track()
        await ack()
        value = str((action.get("selected_option") or {}).get("value", ""))
        reminder_id, _, minutes = value.rpartition(":")
        if not reminder_id or not minutes.isdigit():
            return

        async def snooze() -> None:
            actor = await self._actor(body)
            await self.s.act(
                reminders.snooze_reminder,
                reminder_id=reminder_id,
                duration=timedelta(minutes=int(minutes)),
                actor=actor,
            )
            note = f":zzz: Snoozed for {minutes} min by {mention(actor.id)}"
            await self._settle(body, controls=(internal.REMINDER_CONTROLS,), note=note)

        await self._guard(_where(body), snooze())

    async def on_reminder_cancel(self, ack: AsyncAck, body: Body, action: Body) -> None:
        self.s.inflight.track()
        await ack()
        reminder_id = str(action.get("value", ""))

        async def cancel() -> None:
            actor = await self._actor(body)
            await self.s.act(reminders.cancel_reminder, reminder_id=reminder_id, actor=actor)
            note = f":no_bell: Reminder cancelled by {mention(actor.id)}"
            await self._settle(body, controls=(internal.REMINDER_CONTROLS,), note=note)

        await self._guard(_where(body), cancel())

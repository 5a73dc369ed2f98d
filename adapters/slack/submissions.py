"""Modal submissions: declare, update, edit, reject.

A submission waits up to ``SUBMIT_BUDGET`` seconds for the core, so that a refusal shows inside
the still-open form (``response_action: errors``) with the person's input kept; past that the
form closes and the answer follows — Slack's 3-second limit holds either way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from adapters.slack import forms, internal, queries, replies
from adapters.slack.blocks import escape, mention
from adapters.slack.cards import Message, when
from adapters.slack.history import settle_message
from adapters.slack.surface import SUBMIT_BUDGET, Surface, Where
from commsbot.domain.errors import CommsbotError, GuardFailed, InvalidInput, InvalidTransition
from commsbot.domain.policy import Actor
from commsbot.services import drafts, incidents

log = logging.getLogger("commsbot.slack")

Body = dict[str, Any]


def _error_block(exc: CommsbotError, view: Body) -> str:
    """The form field a refusal belongs next to."""
    blocks = [b.get("block_id") for b in view.get("blocks") or [] if b.get("type") == "input"]
    ids = [str(b) for b in blocks if b]
    text = str(exc).lower()
    if "component" in text:
        for bid in ids:
            if bid.startswith("comp:") or bid == "components":
                return bid
    if isinstance(exc, InvalidTransition | GuardFailed) and "status" in ids:
        return "status"
    if isinstance(exc, InvalidInput) and ("title" in text) and "title" in ids:
        return "title"
    if isinstance(exc, InvalidInput) and "reason" in text and "reason" in ids:
        return "reason"
    if forms.NEXT_UPDATE in ids and "next update time" in text:
        return forms.NEXT_UPDATE
    if isinstance(exc, InvalidInput):
        for bid in ids:
            if bid.startswith("body"):
                return bid
    return ids[0] if ids else "status"


class Submissions:
    """Listeners for the modals' submit buttons."""

    def __init__(self, surface: Surface) -> None:
        self.s = surface

    async def _actor(self, body: Body) -> Actor:
        user = body.get("user") or {}
        name = user.get("username") or user.get("name")
        return await self.s.actors.actor(str(user.get("id")), name=name)

    async def _submit(
        self, ack: AsyncAck, view: Body, where: Where, work: Callable[[], Awaitable[Message]]
    ) -> None:
        task = self.s.inflight.spawn(work())
        done, _ = await asyncio.wait({task}, timeout=SUBMIT_BUDGET)
        if task in done and isinstance(task.exception(), CommsbotError):
            exc = task.exception()
            assert isinstance(exc, CommsbotError)
            await ack(response_action="errors", errors={_error_block(exc, view): str(exc)[:1500]})
            return
        await ack()
        try:
            message = await task
        except CommsbotError as exc:
            message = replies.plain_message(
                f"{replies.refusal_text(exc)}\nNothing was saved: the form had to close before "
                "commsbot could check it (Slack waits 3 seconds); run the command again."
            )
        except Exception:
            log.exception("Slack form failed")
            message = replies.plain_message(
                ":warning: commsbot failed to save that (the error is in its log)."
            )
        await self.s.tell(where, message)

    def _submission(self, body: Body, view: Body) -> tuple[dict[str, Any], Where]:
        meta = forms.unpack(view)
        channel = meta.get("c")
        return meta, Where(
            user_id=str((body.get("user") or {}).get("id")),
            channel_id=str(channel) if channel else None,
            response_url=meta.get("r") or None,
        )

    async def on_declare(self, ack: AsyncAck, body: Body, view: Body) -> None:
        self.s.inflight.track()
        try:
            form = forms.read_declare(view)
        except forms.FormErrors as exc:
            await ack(response_action="errors", errors=exc.errors)
            return
        _, where = self._submission(body, view)

        async def work() -> Message:
            actor = await self._actor(body)
            declared = await self.s.act(
                incidents.declare,
                title=form.title,
                severity=form.severity,
                components=form.components,
                actor=actor,
                body=form.body,
                next_update=form.next_update,
            )
            return replies.declared(
                declared, command=self.s.command, approvals_channel=self.s.approvals_channel
            )

        await self._submit(ack, view, where, work)

    async def on_update(self, ack: AsyncAck, body: Body, view: Body) -> None:
        self.s.inflight.track()
        try:
            form = forms.read_update(view)
        except forms.FormErrors as exc:
            await ack(response_action="errors", errors=exc.errors)
            return
        meta, where = self._submission(body, view)

        async def work() -> Message:
            actor = await self._actor(body)
            result = await self.s.act(
                queries.propose_from_form, incident_id=str(meta.get("i")), form=form, actor=actor
            )
            return replies.proposed(result, command=self.s.command)

        await self._submit(ack, view, where, work)

    async def on_edit(self, ack: AsyncAck, body: Body, view: Body) -> None:
        self.s.inflight.track()
        try:
            form = forms.read_update(view)
        except forms.FormErrors as exc:
            await ack(response_action="errors", errors=exc.errors)
            return
        meta, where = self._submission(body, view)

        async def work() -> Message:
            actor = await self._actor(body)
            result = await self.s.act(
                queries.edit_from_form,
                draft_id=str(meta.get("d")),
                version=int(meta.get("v", 0)),
                form=form,
                actor=actor,
            )
            return replies.proposed(result, command=self.s.command, edited=True)

        await self._submit(ack, view, where, work)

    async def on_reject(self, ack: AsyncAck, body: Body, view: Body) -> None:
        self.s.inflight.track()
        try:
            reason = forms.read_reason(view)
        except forms.FormErrors as exc:
            await ack(response_action="errors", errors=exc.errors)
            return
        meta, where = self._submission(body, view)
        draft_id = str(meta.get("d"))

        async def work() -> Message:
            actor = await self._actor(body)
            result = await self.s.act(
                drafts.reject_draft, draft_id=draft_id, actor=actor, reason=reason
            )
            d = result.draft
            at = when(d.decided_at, self.s.zone) if d.decided_at else "now"
            note = f":x: *Rejected* by {mention(actor.id)} at {at}: {escape(d.decision_note or '')}"
            if meta.get("ch") and meta.get("ts"):
                await settle_message(
                    self.s.client,
                    channel=str(meta["ch"]),
                    ts=str(meta["ts"]),
                    controls=(internal.APPROVAL_CONTROLS, internal.REMINDER_CONTROLS),
                    note=note,
                )
            return replies.rejected(result)

        await self._submit(ack, view, where, work)

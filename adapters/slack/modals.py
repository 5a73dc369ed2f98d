"""A modal's life: opening the forms, refreshing them while open, and their submissions.

A ``trigger_id`` lives 3 seconds, so the update and edit forms open first with "Loading…" and are
replaced (``views.update``) once the incident or draft has been read. A submission is read into a
typed form (:mod:`.forms`), handed to one use case, and answered through
:meth:`Context.submit <adapters.slack.interact.Context.submit>`: a refusal within 2 seconds shows
inside the still-open form, next to its field.
"""

from __future__ import annotations

import dataclasses

from slack_bolt.context.ack.async_ack import AsyncAck

from adapters.slack import forms, render, replies
from adapters.slack.blocks import escape, escaped_truncated, mention
from adapters.slack.forms import POSTMORTEM, Meta, UpdateForm
from adapters.slack.interact import Context, Where
from adapters.slack.render import Message, when
from adapters.slack.webapi import open_view, settle_message, update_view
from adapters.slack.wire import Action, BlockActions, ModalView, View, ViewSubmission
from commsbot.domain.errors import CommsbotError
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import DraftState, IncidentSnapshot
from commsbot.domain.policy import Actor
from commsbot.services import drafts, incidents

# --- opening -------------------------------------------------------------------------------


async def _loading(ctx: Context, trigger_id: str, title: str) -> tuple[str, str]:
    """Open the placeholder modal at once; its (view id, hash)."""
    opened = await open_view(ctx.client, trigger_id=trigger_id, view=forms.loading_view(title))
    return opened["id"], opened["hash"]


async def open_update_form(
    ctx: Context, *, trigger_id: str, incident_ref: str | None, meta: Meta
) -> None:
    """``/incident update [INC]`` and the reminders' "Draft update" button."""
    view_id, view_hash = await _loading(ctx, trigger_id, "Draft an update")
    await show_update_form(ctx, view_id, view_hash, incident_ref=incident_ref, meta=meta)


async def show_update_form(
    ctx: Context, view_id: str, view_hash: str | None, *, incident_ref: str | None, meta: Meta
) -> None:
    """Turn an open modal into the update form of ``incident_ref`` (None: the only open
    incident, else a choice among them)."""
    try:
        if incident_ref is None:
            snaps = await ctx.call(incidents.list_incidents, open_only=True, limit=100)
            if len(snaps) == 1:
                view = _update_form(ctx, snaps[0], meta)
            else:
                view = _pick(snaps, meta, command=ctx.command)
        else:
            detail = await ctx.call(incidents.show_incident, incident_ref=incident_ref)
            view = _update_form(ctx, detail.incident, meta)
    except CommsbotError as exc:
        view = forms.message_view("Draft an update", escape(str(exc)))
    await update_view(ctx.client, view_id=view_id, view_hash=view_hash, view=view)


def _pick(snaps: list[IncidentSnapshot], meta: Meta, *, command: str) -> ModalView:
    if not snaps:
        return forms.message_view(
            "Draft an update",
            f"No incident is open. `{command} declare` opens one; "
            f"`{command} update INC-42` drafts an update of a recovered one.",
        )
    options = [
        (sn.incident.id, f"{sn.incident.ref} {sn.incident.status.value}: {sn.incident.title}")
        for sn in snaps
    ]
    return forms.pick_view(options, meta)


def _update_form(
    ctx: Context, snap: IncidentSnapshot, meta: Meta, *, form: UpdateForm | None = None
) -> ModalView:
    """The update form for ``snap``; without ``form``, the current status and its wording."""
    incident = snap.incident
    if form is None:
        choice = POSTMORTEM if incident.status is Status.RECOVERED else incident.status.value
        form = UpdateForm(choice=choice, body=_template(ctx, snap, choice))
        # "h" remembers the template text the form was filled with, to tell it from typed text.
        meta = {**meta, "h": forms.fingerprint(form.body)}
    heading = (
        f"*{incident.ref} · {escaped_truncated(incident.title, 200)}* — now "
        f"{incident.status.label}. The draft waits for a second person's approval."
    )
    return forms.update_view(
        callback_id=forms.UPDATE,
        heading=heading,
        choices=forms.status_choices(incident.status),
        form=form,
        catalogue=ctx.catalogue,
        current=snap.components,
        meta={**meta, "i": incident.id},
    )


def _template(ctx: Context, snap: IncidentSnapshot, choice: str) -> str:
    incident = snap.incident
    status = incident.status if choice == POSTMORTEM else Status(choice)
    return drafts.default_body(ctx.deps, incident, status, postmortem=choice == POSTMORTEM)


async def open_edit_form(
    ctx: Context, *, trigger_id: str, draft_id: str, version: int, meta: Meta
) -> None:
    """The approval message's Edit button: the draft's current version in the update form."""
    view_id, view_hash = await _loading(ctx, trigger_id, "Edit the draft")
    try:
        found = await ctx.call(drafts.get_draft, draft_id=draft_id)
    except CommsbotError as exc:
        view = forms.message_view("Edit the draft", escape(str(exc)))
        await update_view(ctx.client, view_id=view_id, view_hash=view_hash, view=view)
        return
    draft, i = found.draft, found.incident.incident
    if draft.state is not DraftState.PENDING:
        who = f" by {mention(draft.decided_by)}" if draft.decided_by else ""
        text = (
            f"Draft `{escape(draft.id)}` was already {draft.state.value}{who}; "
            "propose a new update instead."
        )
        view = forms.message_view("Edit the draft", text)
        await update_view(ctx.client, view_id=view_id, view_hash=view_hash, view=view)
        return
    note = ""
    if draft.version != version:
        note = f" This message showed v{version}; you are editing the current v{draft.version}."
    heading = (
        f"*{i.ref} · {escaped_truncated(i.title, 200)}* — draft `{escape(draft.id)}` "
        f"v{draft.version} by {', '.join(mention(a) for a in draft.authors)}. Saving a change "
        f"makes a new version that someone other than you must approve.{note}"
    )
    promise = (
        f"Now: {ctx.deps.renderer.promise_format(ctx.deps.clock.now())(draft.next_update_by)}; "
        "empty keeps it."
        if draft.next_update_by is not None
        else "Now: none promised; empty keeps it so."
    )
    view = forms.update_view(
        callback_id=forms.EDIT,
        heading=heading,
        choices=forms.status_choices(i.status, postmortem_only=draft.postmortem),
        form=UpdateForm(
            choice=POSTMORTEM if draft.postmortem else draft.status.value,
            body=draft.body_source,
            reason=draft.reason,
            components={n: st.value for n, st in draft.component_changes.items()},
        ),
        catalogue=ctx.catalogue,
        current=found.incident.components,
        meta={**meta, "d": draft.id, "v": draft.version, "i": i.id},
        promise_hint=promise,
    )
    await update_view(ctx.client, view_id=view_id, view_hash=view_hash, view=view)


# --- listeners -----------------------------------------------------------------------------


def _where(body: BlockActions, meta: Meta) -> Where:
    return Where(user_id=body["user"]["id"], channel_id=meta.get("c"), response_url=meta.get("r"))


class Modals:
    """Listeners for the selects inside forms and for the forms' submit buttons."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def on_status_changed(self, ack: AsyncAck, body: BlockActions, action: Action) -> None:
        """The update form's status changed: swap in that status's wording, unless the text
        was edited (edit forms keep the author's text)."""
        self.ctx.inflight.track()
        await ack()
        choice = (action.get("selected_option") or {"value": ""})["value"]
        view = body.get("view")
        meta = forms.unpack(view) if view else {}
        if view and choice and view.get("callback_id") == forms.UPDATE and meta.get("i"):
            await self.ctx.guard(_where(body, meta), self._refresh(view, meta, choice))

    async def _refresh(self, view: View, meta: Meta, choice: str) -> None:
        snap = (await self.ctx.call(incidents.show_incident, incident_ref=meta["i"])).incident
        shown = forms.read_update(view, strict=False)
        edited = bool(shown.body) and forms.fingerprint(shown.body) != meta.get("h")
        text = shown.body if edited else _template(self.ctx, snap, choice)
        form = dataclasses.replace(shown, choice=choice, body=text)
        kept: Meta = {"c": meta.get("c"), "r": meta.get("r"), "h": meta.get("h")}
        if not edited:
            kept["h"] = forms.fingerprint(text)
        refreshed = _update_form(self.ctx, snap, kept, form=form)
        await update_view(
            self.ctx.client, view_id=view["id"], view_hash=view.get("hash"), view=refreshed
        )

    async def on_incident_picked(self, ack: AsyncAck, body: BlockActions, action: Action) -> None:
        self.ctx.inflight.track()
        await ack()
        chosen = (action.get("selected_option") or {"value": ""})["value"]
        view = body.get("view")
        if view and chosen:
            meta = forms.unpack(view)
            work = show_update_form(
                self.ctx, view["id"], view.get("hash"), incident_ref=chosen, meta=meta
            )
            await self.ctx.guard(_where(body, meta), work)

    async def on_declare(self, ack: AsyncAck, body: ViewSubmission) -> None:
        await self.ctx.submit(ack, body, forms.read_declare, self._declare)

    async def _declare(self, form: forms.DeclareForm, meta: Meta, actor: Actor) -> Message:
        declared = await self.ctx.act(
            incidents.declare,
            title=form.title,
            severity=form.severity,
            components=form.components,
            actor=actor,
            body=form.body,
            next_update=form.next_update,
        )
        channel = self.ctx.approvals_channel
        return replies.declared(declared, command=self.ctx.command, approvals_channel=channel)

    async def on_update(self, ack: AsyncAck, body: ViewSubmission) -> None:
        await self.ctx.submit(ack, body, forms.read_update, self._update)

    async def _update(self, form: UpdateForm, meta: Meta, actor: Actor) -> Message:
        ref = meta.get("i", "")
        snap = (await self.ctx.call(incidents.show_incident, incident_ref=ref)).incident
        drafted = await self.ctx.act(
            drafts.propose_update,
            incident_ref=ref,
            status=form.status,  # None (the postmortem): the core decides
            actor=actor,
            body=form.body,
            component_changes=forms.changes_against(form.components, snap.components) or None,
            reason=form.reason,
            postmortem=form.postmortem,
            next_update=form.next_update,
        )
        return replies.proposed(drafted, command=self.ctx.command)

    async def on_edit(self, ack: AsyncAck, body: ViewSubmission) -> None:
        await self.ctx.submit(ack, body, forms.read_update, self._edit)

    async def _edit(self, form: UpdateForm, meta: Meta, actor: Actor) -> Message:
        current = await self.ctx.call(drafts.get_draft, draft_id=meta.get("d", ""))
        edited = await self.ctx.act(
            drafts.edit_draft,
            draft_id=meta.get("d", ""),
            actor=actor,
            body=form.body,
            status=form.status,
            component_changes=forms.changes_against(form.components, current.incident.components),
            reason=form.reason,
            version=meta.get("v", 0),
            next_update=form.next_update,
        )
        return replies.proposed(edited, command=self.ctx.command, edited=True)

    async def on_reject(self, ack: AsyncAck, body: ViewSubmission) -> None:
        await self.ctx.submit(ack, body, forms.read_reason, self._reject)

    async def _reject(self, reason: str, meta: Meta, actor: Actor) -> Message:
        rejected = await self.ctx.act(
            drafts.reject_any_draft, draft_id=meta.get("d", ""), actor=actor, reason=reason
        )
        d = rejected.draft
        at = when(d.decided_at, self.ctx.zone) if d.decided_at else "now"
        note = f":x: *Rejected* by {mention(actor.id)} at {at}: {escape(d.decision_note or '')}"
        channel, ts = meta.get("ch"), meta.get("ts")
        if channel and ts:
            controls = (render.APPROVAL_CONTROLS, render.REMINDER_CONTROLS)
            await settle_message(
                self.ctx.client, channel=channel, ts=ts, controls=controls, note=note
            )
        return replies.rejected(rejected)

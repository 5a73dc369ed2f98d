"""Opening and refreshing the update and edit forms.

A ``trigger_id`` lives 3 seconds, so the modal opens first with "Loading…" and is replaced
(``views.update``) once the incident or draft has been read.
"""

from __future__ import annotations

import hashlib
from typing import Any

from adapters.slack import forms, modals, queries
from adapters.slack.blocks import escape, escaped_truncated, mention
from adapters.slack.forms import POSTMORTEM, UpdateForm
from adapters.slack.surface import Surface
from commsbot.domain.errors import CommsbotError
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import DraftState, IncidentSnapshot
from commsbot.services import incidents
from commsbot.services.drafts import default_body


def fingerprint(text: str | None) -> str:
    """A short hash of prefilled text: was it left as it was?"""
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()[:12]


async def open_loading(s: Surface, *, trigger_id: str, title: str) -> tuple[str, str]:
    """Open the placeholder modal at once; returns its (view id, hash)."""
    resp = await s.client.views_open(trigger_id=trigger_id, view=modals.loading_view(title))
    view = resp.get("view") or {}
    return str(view.get("id")), str(view.get("hash"))


async def open_update_form(
    s: Surface, *, trigger_id: str, incident_ref: str | None, meta: dict[str, Any]
) -> None:
    """``/incident update [INC]`` and the reminders' "Draft update" button."""
    view_id, view_hash = await open_loading(s, trigger_id=trigger_id, title="Draft an update")
    await show_update_form(
        s, view_id=view_id, view_hash=view_hash, incident_ref=incident_ref, meta=meta
    )


async def show_update_form(
    s: Surface,
    *,
    view_id: str,
    view_hash: str | None,
    incident_ref: str | None,
    meta: dict[str, Any],
) -> None:
    try:
        if incident_ref is None:
            snaps = await s.call(incidents.list_incidents, open_only=True, limit=100)
            if len(snaps) != 1:
                view = _pick_or_none(snaps, meta, command=s.command)
                await s.client.views_update(view_id=view_id, hash=view_hash, view=view)
                return
            snap = snaps[0]
        else:
            snap = await s.call(queries.load_incident, incident_ref=incident_ref)
    except CommsbotError as exc:
        view = modals.message_view("Draft an update", escape(str(exc)))
        await s.client.views_update(view_id=view_id, hash=view_hash, view=view)
        return
    await s.client.views_update(view_id=view_id, hash=view_hash, view=update_form(s, snap, meta))


def _pick_or_none(
    snaps: list[IncidentSnapshot], meta: dict[str, Any], *, command: str
) -> dict[str, Any]:
    if not snaps:
        return modals.message_view(
            "Draft an update",
            f"No incident is open. `{command} declare` opens one; "
            f"`{command} update INC-42` drafts an update of a recovered one.",
        )
    options = [
        (sn.incident.id, f"{sn.incident.ref} {sn.incident.status.value}: {sn.incident.title}")
        for sn in snaps
    ]
    return modals.pick_view(options, meta)


def update_form(
    s: Surface,
    snap: IncidentSnapshot,
    meta: dict[str, Any],
    *,
    choice: str | None = None,
    form: UpdateForm | None = None,
    template: str | None = None,
) -> dict[str, Any]:
    """The update form for ``snap``, its text prefilled from the template for ``choice``."""
    incident = snap.incident
    recovered = incident.status is Status.RECOVERED
    choice = choice or (POSTMORTEM if recovered else incident.status.value)
    status = incident.status if choice == POSTMORTEM else Status(choice)
    body = default_body(s.deps, incident, status, postmortem=choice == POSTMORTEM)
    if form is None:
        form = UpdateForm(choice=choice, body=body)
        template = body
    # "h" remembers the template text the form was filled with, to tell it from typed text.
    meta = {**meta, "i": incident.id, "h": fingerprint(template) if template else meta.get("h")}
    heading = (
        f"*{incident.ref} · {escaped_truncated(incident.title, 200)}* — now "
        f"{incident.status.label}. The draft waits for a second person's approval."
    )
    return modals.update_view(
        callback_id=modals.UPDATE,
        heading=heading,
        choices=modals.status_choices(incident.status),
        form=form,
        catalogue=s.catalogue,
        current=snap.components,
        meta=meta,
    )


async def open_edit_form(
    s: Surface, *, trigger_id: str, draft_id: str, version: int, meta: dict[str, Any]
) -> None:
    """The approval message's Edit button."""
    view_id, view_hash = await open_loading(s, trigger_id=trigger_id, title="Edit the draft")
    try:
        draft, snap = await s.call(queries.load_draft, draft_id=draft_id)
    except CommsbotError as exc:
        view = modals.message_view("Edit the draft", escape(str(exc)))
        await s.client.views_update(view_id=view_id, hash=view_hash, view=view)
        return
    if draft.state is not DraftState.PENDING:
        who = f" by {mention(draft.decided_by)}" if draft.decided_by else ""
        text = (
            f"Draft `{escape(draft.id)}` was already {draft.state.value}{who}; "
            "propose a new update instead."
        )
        await s.client.views_update(
            view_id=view_id, hash=view_hash, view=modals.message_view("Edit the draft", text)
        )
        return
    note = ""
    if draft.version != version:
        note = f" This message showed v{version}; you are editing the current v{draft.version}."
    form = UpdateForm(
        choice=POSTMORTEM if draft.postmortem else draft.status.value,
        body=draft.body_source,
        reason=draft.reason,
        components={n: st.value for n, st in draft.component_changes.items()},
    )
    i = snap.incident
    heading = (
        f"*{i.ref} · {escaped_truncated(i.title, 200)}* — draft `{escape(draft.id)}` "
        f"v{draft.version} by {', '.join(mention(a) for a in draft.authors)}. Saving a change "
        f"makes a new version that someone other than you must approve.{note}"
    )
    promise = (
        f"Now: {s.deps.renderer.show_time(draft.next_update_by)}; empty keeps it."
        if draft.next_update_by is not None
        else "Now: none promised; empty keeps it so."
    )
    view = modals.update_view(
        callback_id=modals.EDIT,
        heading=heading,
        choices=modals.status_choices(i.status, postmortem_only=draft.postmortem),
        form=form,
        catalogue=s.catalogue,
        current=snap.components,
        meta={**meta, "d": draft.id, "v": draft.version, "i": i.id},
        promise_hint=promise,
    )
    await s.client.views_update(view_id=view_id, hash=view_hash, view=view)


async def on_status_changed(s: Surface, view: dict[str, Any], choice: str) -> None:
    """The status select changed: swap in that status's wording unless the text was edited."""
    meta = forms.unpack(view)
    if view.get("callback_id") != modals.UPDATE or not meta.get("i"):
        return  # edit forms keep the author's text
    snap = await s.call(queries.load_incident, incident_ref=str(meta["i"]))
    typed = forms.current_body(view)
    edited = bool(typed) and fingerprint(typed) != meta.get("h")
    if edited:
        body = typed
    else:
        status = snap.incident.status if choice == POSTMORTEM else Status(choice)
        body = default_body(s.deps, snap.incident, status, postmortem=choice == POSTMORTEM)
    form = UpdateForm(
        choice=choice,
        body=body,
        reason=forms.current_reason(view),
        components=forms.chosen_components(view),
        next_update=forms.current_next_update(view),
    )
    base = {k: v for k, v in meta.items() if k in ("c", "r", "h")}
    view_out = update_form(s, snap, base, form=form, template=None if edited else body)
    await s.client.views_update(view_id=view["id"], hash=view.get("hash"), view=view_out)

"""Persistent buttons: Approve / Edit / Reject on approval requests, Snooze / Cancel on reminders.

Each button is a ``DynamicItem`` whose ``custom_id`` carries what it acts on
(``commsbot:approve:<draft>:<version>``), so a button pressed days later, after any number of
restarts, still works; the version makes an approval of text that was edited since stale, and
the core refuses it. The core also decides who may press what: a refusal is shown to the
person who pressed, and the message stays as it was.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Self

import discord
from discord import ui

from adapters.discord import render
from adapters.discord.interact import actor_from, call_core, deps_of, reply
from commsbot.domain.errors import CommsbotError
from commsbot.maintenance.views import MaintenancePublished
from commsbot.services.drafts import (
    approve_any_draft,
    edit_draft,
    get_draft,
    reject_any_draft,
)

DRAFT = r"(?P<draft>[A-Za-z0-9_-]{1,40}):(?P<version>[0-9]{1,9})"
REMINDER = r"(?P<reminder>[A-Za-z0-9_-]{1,60})"
MAX_TEXT_INPUT = 4000  # Discord's limit for a text input's value
MODAL_TIMEOUT = 15 * 60.0  # an interaction token lives 15 minutes
SNOOZE = timedelta(minutes=30)

Button = ui.Button[ui.View]


def _first_embed(interaction: discord.Interaction[Any]) -> discord.Embed | None:
    message = interaction.message
    return message.embeds[0] if message is not None and message.embeds else None


async def _mark(
    interaction: discord.Interaction[Any], *, verdict: str, note: str | None = None
) -> None:
    """Show on the message who decided what and when, and take its buttons away."""
    actor = actor_from(interaction.user)
    embed = render.decided_embed(
        _first_embed(interaction),
        verdict=verdict,
        who=render.person(actor.id),
        at=discord.utils.utcnow(),
        note=note,
    )
    await interaction.edit_original_response(embed=embed, view=None)


async def _act_on_reminder(
    interaction: discord.Interaction[Any],
    use_case: Callable[..., object],
    *,
    verdict: str,
    **kwargs: object,
) -> None:
    """Run a reminder use case as the person who pressed, then mark the message."""
    await interaction.response.defer()
    done = await call_core(interaction, use_case, actor=actor_from(interaction.user), **kwargs)
    if done is not None:
        await _mark(interaction, verdict=verdict)


class ApproveButton(ui.DynamicItem[Button], template=f"commsbot:approve:{DRAFT}"):
    """Approve (which publishes) the version of the draft the message shows."""

    #: False for "Approve without notifying subscribers".
    notify_subscribers = True

    def __init__(self, draft_id: str, version: int) -> None:
        super().__init__(self._button(draft_id, version))
        self.draft_id = draft_id
        self.version = version

    @staticmethod
    def _button(draft_id: str, version: int) -> Button:
        return ui.Button(
            label="Approve",
            style=discord.ButtonStyle.success,
            custom_id=f"commsbot:approve:{draft_id}:{version}",
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["draft"], int(match["version"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer()
        published = await call_core(
            interaction,
            approve_any_draft,
            draft_id=self.draft_id,
            actor=actor_from(interaction.user),
            version=self.version,
            notify_subscribers=self.notify_subscribers,
        )
        if isinstance(published, MaintenancePublished):
            m = published.maintenance
            await _mark(
                interaction,
                verdict=f"Approved: published as {m.ref} notice {published.notice.seq}",
            )
        elif published is not None:
            snap = published.incident.incident
            quiet = "" if self.notify_subscribers else " without notifying subscribers"
            await _mark(
                interaction,
                verdict=f"Approved: published as {snap.ref} update {published.update.seq}{quiet}",
            )


class QuietApproveButton(ApproveButton, template=f"commsbot:approve-quiet:{DRAFT}"):
    """Approve without notifying subscribers (shown when approving would notify some)."""

    notify_subscribers = False

    @staticmethod
    def _button(draft_id: str, version: int) -> Button:
        return ui.Button(
            label="Approve without notifying subscribers",
            style=discord.ButtonStyle.secondary,
            custom_id=f"commsbot:approve-quiet:{draft_id}:{version}",
        )


class EditButton(ui.DynamicItem[Button], template=f"commsbot:edit:{DRAFT}"):
    """Open the draft's current text in a box; saving makes a new version to approve."""

    def __init__(self, draft_id: str, version: int) -> None:
        super().__init__(
            ui.Button(
                label="Edit",
                style=discord.ButtonStyle.secondary,
                custom_id=f"commsbot:edit:{draft_id}:{version}",
            )
        )
        self.draft_id = draft_id
        self.version = version

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["draft"], int(match["version"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        # A modal must be the first answer, within 3 seconds: read the draft with a deadline.
        try:
            found = await asyncio.wait_for(
                asyncio.to_thread(get_draft, deps_of(interaction), draft_id=self.draft_id), 2.0
            )
            found.draft.ensure_pending("edit")
        except CommsbotError as exc:
            await reply(interaction, str(exc))
            return
        except TimeoutError:
            await reply(interaction, "The database is slow to answer; press Edit again.")
            return
        body = found.draft.body_source
        if len(body) > MAX_TEXT_INPUT:
            await reply(
                interaction,
                f"Draft {self.draft_id} is {len(body)} characters long and Discord's edit box "
                f"holds {MAX_TEXT_INPUT}; edit it with `commsbot update edit {self.draft_id} "
                "--body …` instead.",
            )
            return
        promised = found.draft.next_update_by
        deps = deps_of(interaction)
        show = deps.renderer.promise_format(deps.clock.now())
        now = show(promised) if promised is not None else "none"
        modal = EditDraftModal(
            draft_id=self.draft_id,
            version=found.draft.version,
            ref=found.incident.incident.ref,
            body=body,
            promise=now,
        )
        await interaction.response.send_modal(modal)


class EditDraftModal(ui.Modal):
    """The draft's text, prefilled; saving edits exactly the version that was opened."""

    def __init__(
        self, *, draft_id: str, version: int, ref: str, body: str, promise: str = "none"
    ) -> None:
        super().__init__(
            title=render.clip(f"Edit {ref} draft (version {version})", 45),
            timeout=MODAL_TIMEOUT,
            custom_id=f"commsbot:edit-draft:{draft_id}:{version}",
        )
        self.draft_id = draft_id
        self.version = version
        self.body: ui.TextInput[Self] = ui.TextInput(
            style=discord.TextStyle.paragraph,
            default=body,
            max_length=MAX_TEXT_INPUT,
            custom_id="body",
        )
        self.add_item(
            ui.Label(
                text="What the public will read",
                description="{next_update_by} becomes the promised time when approved.",
                component=self.body,
            )
        )
        self.next_update: ui.TextInput[Self] = ui.TextInput(
            style=discord.TextStyle.short,
            required=False,
            max_length=64,
            placeholder="45m, 1h30m or 16:30",
            custom_id="next_update",
        )
        self.add_item(
            ui.Label(
                text="Next update in / by",
                description=render.clip(f"Now: {promise}. Empty keeps it.", 100),
                component=self.next_update,
            )
        )

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await interaction.response.defer()
        actor = actor_from(interaction.user)
        edited = await call_core(
            interaction,
            edit_draft,
            draft_id=self.draft_id,
            actor=actor,
            body=self.body.value,
            version=self.version,
            next_update=self.next_update.value or None,
        )
        if edited is None:
            return
        draft = edited.draft
        note = f"Edited by {render.person(actor.id)} {render.timestamp(draft.updated_at)}"
        await interaction.edit_original_response(
            embed=render.draft_embed(ref=edited.incident.incident.ref, draft=draft, note=note),
            view=approval_view(draft.id, draft.version),
        )
        await reply(
            interaction,
            f"Saved as version {draft.version}; someone other than "
            f"{render.person(draft.last_editor)} must approve it.",
        )


class RejectButton(ui.DynamicItem[Button], template=f"commsbot:reject:{DRAFT}"):
    """Ask for a reason, then reject (or, for its author, withdraw) the draft."""

    def __init__(self, draft_id: str, version: int) -> None:
        super().__init__(
            ui.Button(
                label="Reject",
                style=discord.ButtonStyle.danger,
                custom_id=f"commsbot:reject:{draft_id}:{version}",
            )
        )
        self.draft_id = draft_id
        self.version = version

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["draft"], int(match["version"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_modal(RejectDraftModal(draft_id=self.draft_id))


class RejectDraftModal(ui.Modal, title="Reject this draft"):
    """Why the draft should not go out (the author reads it)."""

    def __init__(self, *, draft_id: str) -> None:
        super().__init__(timeout=MODAL_TIMEOUT, custom_id=f"commsbot:reject-draft:{draft_id}")
        self.draft_id = draft_id
        self.reason: ui.TextInput[Self] = ui.TextInput(
            style=discord.TextStyle.paragraph, max_length=1000, custom_id="reason"
        )
        self.add_item(ui.Label(text="Why should it not go out?", component=self.reason))

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await interaction.response.defer()
        rejected = await call_core(
            interaction,
            reject_any_draft,
            draft_id=self.draft_id,
            actor=actor_from(interaction.user),
            reason=self.reason.value,
        )
        if rejected is not None:
            await _mark(interaction, verdict="Rejected", note=self.reason.value)


class SnoozeButton(ui.DynamicItem[Button], template=f"commsbot:snooze:{REMINDER}"):
    """Have the reminder fire again in 30 minutes."""

    def __init__(self, reminder_id: str) -> None:
        super().__init__(
            ui.Button(
                label="Snooze 30 min",
                style=discord.ButtonStyle.secondary,
                custom_id=f"commsbot:snooze:{reminder_id}",
            )
        )
        self.reminder_id = reminder_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["reminder"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        from commsbot.services.reminders import snooze_reminder

        await _act_on_reminder(
            interaction,
            snooze_reminder,
            verdict="Snoozed for 30 minutes",
            reminder_id=self.reminder_id,
            duration=SNOOZE,
        )


class CancelReminderButton(ui.DynamicItem[Button], template=f"commsbot:cancel:{REMINDER}"):
    """Stop the reminder for good."""

    def __init__(self, reminder_id: str) -> None:
        super().__init__(
            ui.Button(
                label="Cancel reminder",
                style=discord.ButtonStyle.danger,
                custom_id=f"commsbot:cancel:{reminder_id}",
            )
        )
        self.reminder_id = reminder_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["reminder"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        from commsbot.services.reminders import cancel_reminder

        await _act_on_reminder(
            interaction, cancel_reminder, verdict="Reminder cancelled", reminder_id=self.reminder_id
        )


#: Registered with ``Client.add_dynamic_items`` in ``setup_hook``.
DYNAMIC_ITEMS: tuple[type[ui.DynamicItem[Any]], ...] = (
    ApproveButton,
    QuietApproveButton,
    EditButton,
    RejectButton,
    SnoozeButton,
    CancelReminderButton,
)


def approval_view(draft_id: str, version: int, *, subscribers: int | None = None) -> ui.View:
    """Approve / Edit / Reject for one version of a draft (and "Approve without notifying
    subscribers" when approving would notify some)."""
    view = ui.View(timeout=None)
    view.add_item(ApproveButton(draft_id, version))
    if subscribers:
        view.add_item(QuietApproveButton(draft_id, version))
    view.add_item(EditButton(draft_id, version))
    view.add_item(RejectButton(draft_id, version))
    return view


def reminder_view(reminder_id: str) -> ui.View:
    """Snooze / Cancel for one reminder."""
    view = ui.View(timeout=None)
    view.add_item(SnoozeButton(reminder_id))
    view.add_item(CancelReminderButton(reminder_id))
    return view

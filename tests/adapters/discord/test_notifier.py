"""Internal notices: approval requests with buttons, reminders, decisions, dead deliveries."""

from __future__ import annotations

from dataclasses import replace

import pytest

from commsbot.delivery.ports import DeliveryFailed, Notice
from commsbot.domain.model import DraftState
from tests.adapters.discord.bot import SAM_M, declare_as_maya, discord_bot, team_settings
from tests.adapters.discord.fake_discord import APPROVALS_CHANNEL
from tests.adapters.discord.helpers import APPROVER_ROLE, SAM, buttons_of, press, run
from tests.unit.fakes import make_deps


def test_an_approval_request_pings_only_its_audience_and_carries_persistent_buttons() -> None:
    async def scenario() -> None:
        deps, _, _ = make_deps(team_settings())
        async with discord_bot(deps) as bot:
            notice = Notice(
                kind="approval_requested",
                incident_id="i1",
                incident_ref="INC-7",
                text="@everyone Maya drafted: We're investigating…",
                draft_id="k2v9x0q7ab1c",
                draft_version=3,
                audience=(f"discord-role:{APPROVER_ROLE}", f"discord:{SAM}", "alice", "slack:U1"),
            )
            first = await bot.notifier.notify(notice)
            again = await bot.notifier.notify(notice)  # a retry: Discord returns the first post
            assert first == again
            posts = bot.fake.posts(APPROVALS_CHANNEL)
            assert posts[0].body["nonce"] == posts[1].body["nonce"]
            body = posts[0].body
            assert body["allowed_mentions"] == {
                "parse": [],
                "users": [SAM],
                "roles": [APPROVER_ROLE],
            }
            assert body["content"].startswith(f"<@{SAM}> <@&{APPROVER_ROLE}> INC-7")
            [message] = bot.fake.in_channel(APPROVALS_CHANNEL)
            ids = buttons_of(message)
            assert ids == [
                "commsbot:approve:k2v9x0q7ab1c:3",
                "commsbot:edit:k2v9x0q7ab1c:3",
                "commsbot:reject:k2v9x0q7ab1c:3",
            ]
            assert all(len(i) <= 100 for i in ids)
            assert message["embeds"][0]["title"].startswith("INC-7: draft waits for approval")

    run(scenario)


def test_a_decision_made_elsewhere_marks_the_approval_request_instead_of_posting_again() -> None:
    async def scenario() -> None:
        deps, _, _ = make_deps(team_settings())
        async with discord_bot(deps) as bot:
            message = await bot.request_approval(draft_id="d1", version=1)
            receipt = await bot.notifier.notify(
                Notice(
                    kind="draft_decided",
                    incident_id="i",
                    incident_ref="INC-1",
                    text="sam approved draft d1 (version 1) from the CLI; published as update 1",
                    draft_id="d1",
                    draft_version=1,
                    # The outbox's record of where the request went (see test_end_to_end).
                    request_message_id=f"{APPROVALS_CHANNEL}/{message['id']}",
                )
            )
            assert receipt.note == "approval request marked as decided"
            assert len(bot.fake.posts(APPROVALS_CHANNEL)) == 1
            assert message["components"] == []
            assert message["embeds"][0]["fields"][-1]["value"].startswith("sam approved")

    run(scenario)


def test_reminders_carry_snooze_and_cancel_and_dead_deliveries_carry_nothing() -> None:
    async def scenario() -> None:
        deps, _, _ = make_deps(team_settings())
        async with discord_bot(deps) as bot:
            await bot.notifier.notify(
                Notice(
                    kind="reminder",
                    incident_id="i",
                    incident_ref="INC-1",
                    text="The next update of INC-1 is due at 3:46 PM.",
                    reminder_id="r123",
                )
            )
            await bot.notifier.notify(
                Notice(
                    kind="delivery_dead",
                    incident_id="i",
                    incident_ref="INC-1",
                    text="Update 2 never reached status-webhook: 410 Gone",
                )
            )
            reminder, dead = bot.fake.in_channel(APPROVALS_CHANNEL)
            assert buttons_of(reminder) == ["commsbot:snooze:r123", "commsbot:cancel:r123"]
            assert buttons_of(dead) == []
            for post in bot.fake.posts(APPROVALS_CHANNEL):
                assert post.body["allowed_mentions"]["parse"] == []

    run(scenario)


def test_a_button_pressed_after_a_restart_still_works() -> None:
    async def scenario() -> None:
        deps, data, _ = make_deps(team_settings())
        draft = declare_as_maya(deps).draft
        async with discord_bot(deps) as before:
            message = await before.request_approval(draft_id=draft.id, version=1)
        # A new process: a new client that never saw the message, only its custom_ids.
        async with discord_bot(deps) as after:
            await after.dispatch(press(f"commsbot:approve:{draft.id}:1", SAM_M, message))
        assert data.drafts[draft.id].state is DraftState.PUBLISHED

    run(scenario)


def test_an_approval_request_retried_after_discord_forgot_its_nonce_is_not_posted_twice() -> None:
    async def scenario() -> None:
        deps, _, _ = make_deps(team_settings())
        async with discord_bot(deps) as bot:
            bot.fake.nonce_seconds = 0.0
            bot.fake.drop("POST", rf"/api/v10/channels/{APPROVALS_CHANNEL}/messages")
            notice = Notice(
                kind="approval_requested",
                incident_id="i1",
                incident_ref="INC-7",
                text="Maya drafted: We're investigating…",
                draft_id="k2v9x0q7ab1c",
                draft_version=1,
                key="nk2v9x0q7ab1c0123456789",
            )
            with pytest.raises(DeliveryFailed) as failed:
                await bot.notifier.notify(notice)
            assert failed.value.ambiguous
            receipt = await bot.notifier.notify(replace(notice, maybe_sent=True))
            [message] = bot.fake.in_channel(APPROVALS_CHANNEL)
            assert receipt.message_id == f"{APPROVALS_CHANNEL}/{message['id']}"
            assert len(bot.fake.posts(APPROVALS_CHANNEL)) == 1
            footer = message["embeds"][0]["footer"]["text"]
            assert footer == "draft k2v9x0q7ab1c · nk2v9x0q7ab1c0123456789"

    run(scenario)

"""/incident commands and approval buttons, driven by real-format interaction payloads through
discord.py's own dispatch (CommandTree, dynamic items, modals) against the fake API."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from commsbot.domain.lifecycle import Status
from commsbot.domain.model import ComponentStatus, DraftState
from commsbot.services.drafts import edit_draft
from tests.adapters.discord.bot import (
    ALEX_M,
    MAYA_ACTOR,
    MAYA_M,
    SAM_M,
    declare_as_maya,
    discord_bot,
    team_settings,
)
from tests.adapters.discord.fake_discord import APP_ID, GUILD_ID
from tests.adapters.discord.helpers import (
    APPROVER_ROLE,
    MAYA,
    SAM,
    buttons_of,
    command,
    option,
    press,
    run,
    submit,
    user_option,
)
from tests.unit.fakes import make_deps

EPHEMERAL = 64


def _texts(calls: list[Any]) -> str:
    return "\n".join(
        str((c.body or {}).get("content") or (c.body or {}).get("data", {}).get("content") or "")
        for c in calls
    )


def test_start_registers_incident_with_every_subcommand_and_its_choices() -> None:
    async def scenario() -> None:
        deps, _, _ = make_deps(team_settings())
        async with discord_bot(deps) as bot:
            [group] = bot.fake.commands[str(GUILD_ID)]
            assert group["name"] == "incident"
            subs = {o["name"]: o for o in group["options"]}
            assert set(subs) == {
                "declare",
                "update",
                "status",
                "list",
                "approve",
                "reject",
                "edit",
                "handoff",
                "timeline",
                "help",
            }
            declare_opts = {o["name"]: o for o in subs["declare"]["options"]}
            assert [c["value"] for c in declare_opts["severity"]["choices"]] == [
                "sev1",
                "sev2",
                "sev3",
                "sev4",
            ]
            assert declare_opts["components"]["autocomplete"] is True
            assert declare_opts["next_update"]["required"] is False
            update_opts = {o["name"]: o for o in subs["update"]["options"]}
            assert [c["value"] for c in update_opts["status"]["choices"]] == [
                "investigating",
                "identified",
                "fixing",
                "recovered",
            ]
            assert update_opts["incident"]["autocomplete"] is True
            assert "next_update" in update_opts
            assert {o["name"]: o for o in subs["approve"]["options"]}["draft"]["autocomplete"]

    run(scenario)


def test_declare_defers_privately_then_answers_and_the_core_records_the_discord_actor() -> None:
    async def scenario() -> None:
        deps, data, _ = make_deps(team_settings())
        async with discord_bot(deps) as bot:
            payload = command(
                "declare",
                MAYA_M,
                option("title", "ChatGPT, API and Sora unavailable"),
                option("severity", "sev1"),
                option("components", "ChatGPT, API=partial_outage"),
            )
            await bot.dispatch(payload)
            callback, followup = bot.answers(payload)
            assert callback.path.endswith("/callback")
            assert callback.body == {"type": 5, "data": {"flags": EPHEMERAL}}  # thinking, private
            assert followup.path == f"/api/v10/webhooks/{APP_ID}/{payload['token']}"
            assert followup.body["flags"] == EPHEMERAL
            assert "Declared **INC-1** (sev1, investigating)" in followup.body["content"]
        [incident] = data.incidents.values()
        assert incident.commander == f"discord:{MAYA}"
        [draft] = data.drafts.values()
        assert draft.author == f"discord:{MAYA}"
        assert draft.component_changes == {
            "ChatGPT": ComponentStatus.MAJOR_OUTAGE,
            "API": ComponentStatus.PARTIAL_OUTAGE,
        }

    run(scenario)


def test_someone_outside_the_responders_is_refused_privately_and_nothing_is_written() -> None:
    async def scenario() -> None:
        deps, data, _ = make_deps(team_settings())
        async with discord_bot(deps) as bot:
            payload = command("declare", ALEX_M, option("title", "Outage"))
            await bot.dispatch(payload)
            _, followup = bot.answers(payload)
            assert followup.body["flags"] == EPHEMERAL
            assert "Alex may not declare an incident" in followup.body["content"]
        assert data.incidents == {}

    run(scenario)


def test_a_non_approver_pressing_approve_is_refused_and_the_request_stays() -> None:
    async def scenario() -> None:
        deps, data, _ = make_deps(team_settings())
        draft = declare_as_maya(deps).draft
        async with discord_bot(deps) as bot:
            message = await bot.request_approval(draft_id=draft.id, version=1)
            approve_id = f"commsbot:approve:{draft.id}:1"
            assert buttons_of(message) == [
                approve_id,
                f"commsbot:edit:{draft.id}:1",
                f"commsbot:reject:{draft.id}:1",
            ]
            payload = press(approve_id, ALEX_M, message)
            await bot.dispatch(payload)
            callback, followup = bot.answers(payload)
            assert callback.body == {"type": 6}  # acknowledged, message untouched
            assert followup.body["flags"] == EPHEMERAL
            assert "may not approve" in followup.body["content"]
            assert f"discord-role:{APPROVER_ROLE}" in followup.body["content"]
            assert not [c for c in bot.answers(payload) if c.method == "PATCH"]
        assert data.updates == {}
        assert data.drafts[draft.id].state is DraftState.PENDING

    run(scenario)


def test_the_author_cannot_approve_their_own_draft_under_the_two_person_rule() -> None:
    async def scenario() -> None:
        deps, data, _ = make_deps(team_settings())
        draft = declare_as_maya(deps).draft
        maya_approver = dict(MAYA_M, roles=[str(APPROVER_ROLE)])  # an approver, but the author
        async with discord_bot(deps) as bot:
            message = await bot.request_approval(draft_id=draft.id, version=1)
            payload = press(f"commsbot:approve:{draft.id}:1", maya_approver, message)
            await bot.dispatch(payload)
            assert "someone else must read and approve" in _texts(bot.answers(payload))
        assert data.updates == {}

    run(scenario)


def test_an_approver_publishes_with_the_button_and_the_request_shows_who_and_when() -> None:
    async def scenario() -> None:
        deps, data, _ = make_deps(team_settings())
        draft = declare_as_maya(deps).draft
        async with discord_bot(deps) as bot:
            message = await bot.request_approval(draft_id=draft.id, version=1)
            payload = press(f"commsbot:approve:{draft.id}:1", SAM_M, message)
            await bot.dispatch(payload)
            [edit] = [c for c in bot.answers(payload) if c.method == "PATCH"]
            assert edit.path.endswith("/messages/@original")
            assert edit.body["components"] == []  # no more buttons
            [embed] = edit.body["embeds"]
            decided = embed["fields"][-1]
            assert decided["name"] == "Approved: published as INC-1 update 1"
            assert decided["value"].startswith(f"<@{SAM}> · <t:")
        [update] = data.updates.values()
        assert update.approver == f"discord:{SAM}"

    run(scenario)


def test_edit_opens_the_text_saving_makes_version_2_and_the_old_approve_is_stale() -> None:
    async def scenario() -> None:
        deps, data, _ = make_deps(team_settings())
        draft = declare_as_maya(deps).draft
        async with discord_bot(deps) as bot:
            message = await bot.request_approval(draft_id=draft.id, version=1)
            as_first_posted = copy.deepcopy(message)  # e.g. a screen not yet refreshed
            opened = press(f"commsbot:edit:{draft.id}:1", SAM_M, message)
            await bot.dispatch(opened)
            [modal] = bot.answers(opened)
            assert modal.body["type"] == 9
            assert modal.body["data"]["custom_id"] == f"commsbot:edit-draft:{draft.id}:1"
            [label, promise] = modal.body["data"]["components"]
            # Prefilled as written: the promised time is the placeholder the draft fills in.
            assert label["component"]["value"] == draft.body_source
            assert "{next_update_by}" in draft.body_source
            assert promise["component"]["custom_id"] == "next_update"
            assert "3:46 PM PST" in promise["description"]

            saved = submit(
                f"commsbot:edit-draft:{draft.id}:1",
                SAM_M,
                {
                    "body": "We know the cause. Next update by {next_update_by}.",
                    "next_update": "1h",
                },
                message,
            )
            await bot.dispatch(saved)
            edit = next(c for c in bot.answers(saved) if c.method == "PATCH")
            assert f"commsbot:approve:{draft.id}:2" in buttons_of(edit.body)
            shown = edit.body["embeds"][0]["description"]
            assert shown == "We know the cause. Next update by 4:16 PM PST."
            assert "version 2" in _texts(bot.answers(saved))

            maya_approver = dict(MAYA_M, roles=[str(APPROVER_ROLE)])
            stale = press(f"commsbot:approve:{draft.id}:1", maya_approver, as_first_posted)
            await bot.dispatch(stale)
            assert "is now at version 2" in _texts(bot.answers(stale))
            assert data.updates == {}

            # Sam changed the text: Sam may not approve it, the first author may.
            now_shown = bot.fake.messages[int(message["id"])]
            own = press(f"commsbot:approve:{draft.id}:2", SAM_M, now_shown)
            await bot.dispatch(own)
            assert "someone else must read and approve this version" in _texts(bot.answers(own))
            assert data.updates == {}
            theirs = press(f"commsbot:approve:{draft.id}:2", maya_approver, now_shown)
            await bot.dispatch(theirs)
            [update] = data.updates.values()
            assert update.authors == (f"discord:{MAYA}", f"discord:{SAM}")
            assert update.approver == f"discord:{MAYA}"
            assert update.body == "We know the cause. Next update by 4:16 PM PST."
            assert update.next_update_by == draft.created_at + timedelta(hours=1)
            assert message is now_shown  # edited in place

    run(scenario)


def test_an_approver_who_edits_cannot_approve_the_edit_but_the_author_can() -> None:
    async def scenario() -> None:
        deps, data, _ = make_deps(team_settings())
        draft = declare_as_maya(deps).draft
        maya_approver = dict(MAYA_M, roles=[str(APPROVER_ROLE)])
        async with discord_bot(deps) as bot:
            message = await bot.request_approval(draft_id=draft.id, version=1)
            await bot.dispatch(press(f"commsbot:edit:{draft.id}:1", SAM_M, message))
            saved = submit(
                f"commsbot:edit-draft:{draft.id}:1", SAM_M, {"body": "Sam's words."}, message
            )
            await bot.dispatch(saved)
            own = press(f"commsbot:approve:{draft.id}:2", SAM_M, message)
            await bot.dispatch(own)
            assert "sam may not approve draft" in _texts(bot.answers(own)).lower()
            assert data.updates == {}
            theirs = press(f"commsbot:approve:{draft.id}:2", maya_approver, message)
            await bot.dispatch(theirs)
        [update] = data.updates.values()
        assert update.body == "Sam's words."
        assert update.approver == f"discord:{MAYA}"

    run(scenario)


def test_reject_asks_why_then_marks_the_request_rejected() -> None:
    async def scenario() -> None:
        deps, data, _ = make_deps(team_settings())
        draft = declare_as_maya(deps).draft
        async with discord_bot(deps) as bot:
            message = await bot.request_approval(draft_id=draft.id, version=1)
            opened = press(f"commsbot:reject:{draft.id}:1", SAM_M, message)
            await bot.dispatch(opened)
            assert bot.answers(opened)[0].body["type"] == 9
            why = submit(
                f"commsbot:reject-draft:{draft.id}", SAM_M, {"reason": "say when"}, message
            )
            await bot.dispatch(why)
            [edit] = [c for c in bot.answers(why) if c.method == "PATCH"]
            names = [f["name"] for f in edit.body["embeds"][0]["fields"]]
            assert names[-2:] == ["Rejected", "Note"]
        assert data.drafts[draft.id].state is DraftState.REJECTED
        assert data.drafts[draft.id].decision_note == "say when"

    run(scenario)


def test_approve_command_takes_the_version_autocomplete_showed() -> None:
    async def scenario() -> None:
        deps, data, _ = make_deps(team_settings())
        draft = declare_as_maya(deps).draft
        async with discord_bot(deps) as bot:
            ask = command("approve", SAM_M, option("draft", "INC", focused=True), kind=4)
            await bot.dispatch(ask)
            [answer] = bot.answers(ask)
            assert answer.body["type"] == 8
            [choice] = answer.body["data"]["choices"]
            assert choice["value"] == f"{draft.id}:1"
            assert choice["name"].startswith("INC-1 v1 · investigating · We're investigating")

            edit_draft(deps, draft_id=draft.id, actor=MAYA_ACTOR, body="Edited meanwhile.")
            stale = command("approve", SAM_M, option("draft", choice["value"]))
            await bot.dispatch(stale)
            assert "is now at version 2" in _texts(bot.answers(stale))
            ok = command("approve", SAM_M, option("draft", f"{draft.id}:2"))
            await bot.dispatch(ok)
            assert "Published **INC-1** update 1" in _texts(bot.answers(ok))
        assert len(data.updates) == 1

    run(scenario)


def test_status_list_timeline_and_help_answer_privately() -> None:
    async def scenario() -> None:
        deps, _, _ = make_deps(team_settings())
        declare_as_maya(deps)
        async with discord_bot(deps) as bot:
            status = command("status", ALEX_M, option("incident", "INC-1"))
            listing = command("list", ALEX_M)
            timeline = command("timeline", ALEX_M, option("incident", "1"))
            helping = command("help", ALEX_M)
            for payload in (status, listing, timeline, helping):
                await bot.dispatch(payload)
            embed = bot.answers(status)[-1].body["embeds"][0]
            assert embed["title"].startswith("INC-1 · Investigating")
            assert "version 1" in embed["fields"][-1]["value"]
            assert (
                "**INC-1** · investigating · sev1"
                in (bot.answers(listing)[-1].body["embeds"][0]["description"])
            )
            assert "**declared**" in bot.answers(timeline)[-1].body["embeds"][0]["description"]
            [answer] = bot.answers(helping)
            assert answer.body["data"]["flags"] == EPHEMERAL
            for name in ("declare", "update", "approve", "reject", "timeline", "help"):
                assert f"`/incident {name}`" in answer.body["data"]["content"]

    run(scenario)


def test_an_update_without_a_status_keeps_the_current_one_in_one_transaction() -> None:
    async def scenario() -> None:
        deps, data, _ = make_deps(team_settings())
        declare_as_maya(deps)
        async with discord_bot(deps) as bot:
            opened = data.units_of_work
            update = command(
                "update", MAYA_M, option("incident", "INC-1"), option("body", "Still looking.")
            )
            await bot.dispatch(update)
            [draft] = [d for d in data.drafts.values() if d.body == "Still looking."]
            assert draft.status is Status.INVESTIGATING
            assert data.units_of_work == opened + 1

    run(scenario)


def test_an_incident_is_edited_and_handed_off_from_discord() -> None:
    async def scenario() -> None:
        deps, data, _ = make_deps(team_settings())
        declare_as_maya(deps)
        async with discord_bot(deps) as bot:
            edit = command(
                "edit",
                MAYA_M,
                option("incident", "INC-1"),
                option("title", "ChatGPT down in the EU"),
                option("severity", "sev2"),
            )
            await bot.dispatch(edit)
            answer = _texts(bot.answers(edit))
            assert "Changed **INC-1** (retitled, severity)" in answer
            [incident] = data.incidents.values()
            assert (incident.title, incident.severity.value) == ("ChatGPT down in the EU", "sev2")

            picked, resolved = user_option("to", SAM_M)
            handoff = command(
                "handoff", MAYA_M, option("incident", "INC-1"), picked, resolved=resolved
            )
            await bot.dispatch(handoff)
            assert data.incidents[incident.id].commander == f"discord:{SAM}"
            assert f"commander <@{SAM}>" in _texts(bot.answers(handoff))
            takeover = command("handoff", MAYA_M, option("incident", "INC-1"))
            await bot.dispatch(takeover)  # no one picked: whoever asked takes over
            assert data.incidents[incident.id].commander == f"discord:{MAYA}"
            actions = [(e.actor, e.action) for e in data.timeline][-4:]
            assert actions == [
                (f"discord:{MAYA}", "retitled"),
                (f"discord:{MAYA}", "severity"),
                (f"discord:{MAYA}", "handoff"),
                (f"discord:{MAYA}", "handoff"),
            ]

            written = len(data.timeline)
            refused = command(
                "edit", ALEX_M, option("incident", "INC-1"), option("severity", "sev1")
            )
            await bot.dispatch(refused)
            assert "may not edit an incident" in _texts(bot.answers(refused))
            same = command("edit", MAYA_M, option("incident", "INC-1"), option("severity", "sev2"))
            await bot.dispatch(same)
            assert "nothing to change: INC-1 already has severity sev2" in _texts(bot.answers(same))
            bad = command("edit", MAYA_M, option("incident", "INC-1"), option("severity", "sev7"))
            await bot.dispatch(bad)
            assert "unknown severity 'sev7'" in _texts(bot.answers(bad))
            assert len(data.timeline) == written

    run(scenario)


def test_approve_without_notifying_subscribers_is_offered_and_publishes_quietly() -> None:
    from adapters.discord.buttons import approval_view

    ids = [item.custom_id for item in approval_view("d1", 2, subscribers=3).children]  # type: ignore[attr-defined]
    assert ids == [
        "commsbot:approve:d1:2",
        "commsbot:approve-quiet:d1:2",
        "commsbot:edit:d1:2",
        "commsbot:reject:d1:2",
    ]
    plain = [item.custom_id for item in approval_view("d1", 2, subscribers=0).children]  # type: ignore[attr-defined]
    assert "commsbot:approve-quiet:d1:2" not in plain

    async def scenario() -> None:
        deps, data, _ = make_deps(team_settings())
        draft = declare_as_maya(deps).draft
        async with discord_bot(deps) as bot:
            message = await bot.request_approval(draft_id=draft.id, version=1)
            # Subscriptions are off in these fakes: add the button a subscriber count above 0
            # would have shown.
            quiet_id = f"commsbot:approve-quiet:{draft.id}:1"
            row = message["components"][0]["components"]
            row.insert(1, {**row[0], "custom_id": quiet_id, "style": 2})
            payload = press(quiet_id, SAM_M, message)
            await bot.dispatch(payload)
            [edit] = [c for c in bot.answers(payload) if c.method == "PATCH"]
            [embed] = edit.body["embeds"]
            assert embed["fields"][-1]["name"].endswith("without notifying subscribers")
        [update] = data.updates.values()
        assert update.deliver_notifications is False

    run(scenario)

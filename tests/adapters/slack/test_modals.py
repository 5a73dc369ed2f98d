"""The declare, update, edit and reject forms: opened within the trigger's life, submitted."""

from __future__ import annotations

import json
from typing import Any

import pytest

from commsbot.domain.lifecycle import Status
from commsbot.domain.model import ComponentStatus, DraftState
from tests.adapters.slack.fake_slack import readable
from tests.adapters.slack.scenario import settings, world

CATALOGUE = settings(components=[{"name": "ChatGPT"}, {"name": "API"}, {"name": "Sora"}])


def inputs(view: dict[str, Any]) -> list[str]:
    return [b["block_id"] for b in view["blocks"] if b["type"] == "input"]


async def test_declare_without_a_title_opens_the_form_before_any_other_work() -> None:
    async with world(CATALOGUE) as w:
        await w.command("declare sev1")
        # The modal is the first Web API call after the acknowledgment (a trigger lives 3 s).
        assert [c.method for c in w.slack.calls][:2] == ["auth.test", "views.open"]
        view = w.last_view()
        assert view["callback_id"] == "commsbot.declare"
        assert inputs(view) == [
            "title",
            "severity",
            "comp:ChatGPT",
            "comp:API",
            "comp:Sora",
            "body",
            "next_update",
        ]
        severity = view["blocks"][1]["element"]
        assert severity["initial_option"]["value"] == "sev1"
        assert json.loads(view["private_metadata"])["c"] == "C0GENERAL"


async def test_declare_form_submitted_opens_the_incident_with_each_impact() -> None:
    async with world(CATALOGUE) as w:
        await w.command("declare")
        view = w.last_view()
        response = await w.submit(
            view["id"],
            {
                "title": "ChatGPT, API and Sora unavailable",
                "severity": "sev1",
                "comp:ChatGPT": "default",
                "comp:API": "major_outage",
                "comp:Sora": "partial_outage",
                "next_update": "45m",
            },
            user_id="U0MAYA",
        )
        assert response.status == 200
        assert response.body == ""  # the form closes
        [incident] = w.data.incidents.values()
        assert incident.title == "ChatGPT, API and Sora unavailable"
        [draft] = w.data.drafts.values()
        assert draft.component_changes == {
            "ChatGPT": ComponentStatus.MAJOR_OUTAGE,
            "API": ComponentStatus.MAJOR_OUTAGE,
            "Sora": ComponentStatus.PARTIAL_OUTAGE,
        }
        assert "We're investigating an issue affecting ChatGPT, API and Sora" in draft.body
        assert draft.body.endswith("We'll post an update by 4:01 PM PST.")  # 3:16 PM + 45m
        # The answer goes back where the command was typed, through its response URL.
        assert w.slack.responses[-1]["_url"].startswith("cmd")
        assert "declared *INC-1*" in w.last_answer()


async def test_declare_form_errors_show_next_to_the_fields_and_keep_the_form_open() -> None:
    async with world() as w:
        await w.command("declare")
        view = w.last_view()
        assert "components" in inputs(view)  # no catalogue: free text
        response = await w.submit(
            view["id"], {"title": None, "components": "API=broken"}, user_id="U0MAYA"
        )
        errors = json.loads(response.body)
        assert errors["response_action"] == "errors"
        assert errors["errors"]["title"] == "Give the incident a title"
        assert errors["errors"]["severity"] == "Choose a severity"
        assert "unknown status 'broken'" in errors["errors"]["components"]
        assert not w.data.incidents


async def test_a_core_refusal_of_a_form_shows_inside_it() -> None:
    config = settings(approval={"responders": ["slack:U0SAM"]})
    async with world(config) as w:
        await w.command("declare")
        view = w.last_view()
        response = await w.submit(
            view["id"], {"title": "Down", "severity": "sev2"}, user_id="U0MAYA"
        )
        errors = json.loads(response.body)["errors"]
        assert "maya may not declare an incident" in errors["title"]
        assert not w.data.incidents


async def test_a_refusal_shows_next_to_the_field_it_names_whatever_words_it_holds() -> None:
    # What was typed is quoted in the refusal; words in it ("title", "component") must not
    # move the refusal next to another field: the core's error names its field.
    async with world() as w:
        await w.command("declare")
        view = w.last_view()
        typed = {"title": "Down", "severity": "sev2", "next_update": "title"}
        response = await w.submit(view["id"], typed, user_id="U0MAYA")
        errors = json.loads(response.body)["errors"]
        assert list(errors) == ["next_update"]
        assert "'title' is not a next update time" in errors["next_update"]
        await w.submit(view["id"], {**typed, "next_update": None}, user_id="U0MAYA")
        await w.command("update INC-1")
        view = w.last_view()
        response = await w.submit(view["id"], {"next_update": "component"}, user_id="U0MAYA")
        errors = json.loads(response.body)["errors"]
        assert list(errors) == ["next_update"]
        assert "'component' is not a next update time" in errors["next_update"]


async def test_update_form_loads_then_fills_in_the_template_for_the_chosen_status() -> None:
    async with world(CATALOGUE) as w:
        await w.command("declare sev1 ChatGPT unavailable | ChatGPT")
        [ack] = w.data.drafts.values()
        await w.command(f"approve {ack.id}", user_id="U0SAM")
        await w.command("update INC-1")
        opened = w.slack.to("views.open")[-1]["view"]
        assert "Loading" in readable(opened)
        view = w.last_view()
        assert view["callback_id"] == "commsbot.update"
        body_block = next(b for b in view["blocks"] if b.get("block_id", "").startswith("body:"))
        assert "We're investigating" in body_block["element"]["initial_value"]
        chatgpt = next(b for b in view["blocks"] if b.get("block_id") == "comp:ChatGPT")
        assert chatgpt["element"]["initial_option"]["value"] == "major_outage"
        # Choosing "identified" swaps in that status's wording (the text was not edited).
        await w.change(view["id"], "commsbot.modal.status", "identified", user_id="U0MAYA")
        view = w.last_view()
        body_block = next(b for b in view["blocks"] if b.get("block_id", "").startswith("body:"))
        assert body_block["block_id"] == "body:identified"
        assert "identified" in body_block["element"]["initial_value"].lower()
        await w.submit(view["id"], {"comp:ChatGPT": "partial_outage"}, user_id="U0MAYA")
        draft = list(w.data.drafts.values())[-1]
        assert draft.status is Status.IDENTIFIED
        assert draft.component_changes == {"ChatGPT": ComponentStatus.PARTIAL_OUTAGE}
        assert "Drafted an update (Identified) for *INC-1*" in w.last_answer()


async def test_typed_text_survives_a_status_change() -> None:
    async with world() as w:
        await w.command("declare sev1 ChatGPT unavailable")
        await w.command("update 1")
        view = w.last_view()
        body_id = next(b for b in inputs(view) if b.startswith("body:"))
        view["blocks"][2]["element"]["initial_value"] = "My own words."  # what the user typed
        await w.change(view["id"], "commsbot.modal.status", "fixing", user_id="U0MAYA")
        view = w.last_view()
        body = next(b for b in view["blocks"] if b.get("block_id", "").startswith("body:"))
        assert body["element"]["initial_value"] == "My own words."
        assert body_id == "body:investigating"


async def test_update_without_an_incident_picks_among_the_open_ones() -> None:
    async with world() as w:
        await w.command("update")
        assert "No incident is open" in readable(w.last_view())
        await w.command("declare sev1 One")
        await w.command("declare sev2 Two")
        await w.command("update")
        view = w.last_view()
        assert view["callback_id"] == "commsbot.pick"
        incident_id = next(i.id for i in w.data.incidents.values() if i.title == "Two")
        await w.change(view["id"], "commsbot.modal.incident", incident_id, user_id="U0MAYA")
        view = w.last_view()
        assert view["callback_id"] == "commsbot.update"
        assert "INC-2 · Two" in readable(view)


async def test_a_refused_update_form_names_the_allowed_moves_next_to_the_status() -> None:
    async with world() as w:
        await w.command("declare sev1 ChatGPT unavailable | ChatGPT")
        [ack] = w.data.drafts.values()
        await w.command(f"approve {ack.id}", user_id="U0SAM")
        await w.command("update INC-1")
        view = w.last_view()
        response = await w.submit(
            view["id"], {"status": "recovered", "components": None}, user_id="U0MAYA"
        )
        errors = json.loads(response.body)["errors"]
        assert "cannot mark INC-1 recovered while ChatGPT" in errors["status"]


async def test_edit_button_opens_the_draft_and_saving_asks_again() -> None:
    async with world() as w:
        await w.command("declare sev1 ChatGPT unavailable | ChatGPT")
        [ts] = await w.post_approval_requests()
        await w.click("C0APPROVE", ts, "commsbot.edit", user_id="U0SAM")
        view = w.last_view()
        assert view["callback_id"] == "commsbot.edit"
        body = next(b for b in view["blocks"] if b.get("block_id", "").startswith("body:"))
        assert "We're investigating an issue affecting ChatGPT" in body["element"]["initial_value"]
        await w.submit(
            view["id"], {body["block_id"]: "Errors on ChatGPT; we're on it."}, user_id="U0SAM"
        )
        [draft] = w.data.drafts.values()
        assert draft.version == 2
        assert draft.body == "Errors on ChatGPT; we're on it."
        assert "now v2" in w.last_answer()
        [new] = await w.post_approval_requests()
        assert "Superseded" in readable(w.slack.message("C0APPROVE", ts))
        assert f"{draft.id}:2" in json.dumps(w.slack.message("C0APPROVE", new)["blocks"])


async def test_reject_button_asks_why_and_the_message_says_who_rejected() -> None:
    async with world() as w:
        await w.command("declare sev1 ChatGPT unavailable | ChatGPT")
        [ts] = await w.post_approval_requests()
        await w.click("C0APPROVE", ts, "commsbot.reject", user_id="U0SAM")
        view = w.last_view()
        assert view["callback_id"] == "commsbot.reject"
        response = await w.submit(view["id"], {"reason": None}, user_id="U0SAM")
        assert json.loads(response.body)["errors"]["reason"]
        await w.submit(view["id"], {"reason": "say when it started"}, user_id="U0SAM")
        [draft] = w.data.drafts.values()
        assert draft.state is DraftState.REJECTED
        message = w.slack.message("C0APPROVE", ts)
        assert "Rejected* by <@U0SAM>" in readable(message)
        assert "say when it started" in readable(message)
        assert not [b for b in message["blocks"] if b["type"] == "actions"]


async def test_a_large_catalogue_gets_free_text_and_the_form_stays_within_limits() -> None:
    many = settings(components=[{"name": f"Service {i:03d}"} for i in range(120)])
    async with world(many) as w:
        await w.command("declare")
        view = w.last_view()
        assert len(view["blocks"]) <= 100
        assert "components" in inputs(view)
        assert len(view["private_metadata"]) <= 3000
        assert len(view["title"]["text"]) <= 24


async def test_update_form_for_an_unknown_incident_says_so() -> None:
    async with world() as w:
        await w.command("update INC-42")
        assert "INC-42" in readable(w.last_view())
        assert w.last_view().get("callback_id") is None  # nothing to submit


async def test_a_slow_core_closes_the_form_in_time_and_answers_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import adapters.slack.interact as interact

    monkeypatch.setattr(interact, "SUBMIT_BUDGET", 0.0)
    config = settings(approval={"responders": ["slack:U0SAM"]})
    async with world(config) as w:
        await w.command("declare", user_id="U0SAM")
        view = w.last_view()
        response = await w.submit(
            view["id"], {"title": "Down", "severity": "sev2"}, user_id="U0MAYA"
        )
        assert response.body == ""  # acknowledged without waiting for the core
        assert "maya may not declare an incident" in w.last_answer()
        assert "Nothing was saved" in w.last_answer()
        response = await w.submit(
            view["id"], {"title": "Down", "severity": "sev2"}, user_id="U0SAM"
        )
        assert response.body == ""
        assert "declared *INC-1*" in w.last_answer()

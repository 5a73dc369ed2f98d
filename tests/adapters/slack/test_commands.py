"""``/incident`` end to end: signed slash commands through Bolt, answers as a person sees them."""

from __future__ import annotations

from adapters.slack.webapi import response_url_via
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import ComponentStatus, DraftState
from tests.adapters.slack.scenario import settings, world


async def test_help_is_the_acknowledgment_itself() -> None:
    async with world() as w:
        response = await w.command("help")
        assert response.status == 200
        assert "/incident declare" in response.body
        assert "/incident approve DRAFT [vN]" in response.body
        assert not w.slack.responses  # nothing else was sent


async def test_unknown_and_malformed_subcommands_get_the_right_usage_at_once() -> None:
    async with world() as w:
        response = await w.command("frobnicate the dns")
        assert response.status == 200
        assert "unknown subcommand 'frobnicate'" in response.body
        assert "/incident declare" in response.body  # the list of subcommands
        response = await w.command("update tomorrow identified")
        assert "update needs an incident such as INC-42; got 'tomorrow'" in response.body
        assert "Usage: `/incident update [INCIDENT]" in response.body
        response = await w.command("approve")
        assert "Usage: `/incident approve DRAFT [vN]`" in response.body
        assert not w.data.incidents
        assert not w.slack.responses


async def test_declare_with_text_drafts_the_acknowledgment_and_says_so_in_channel() -> None:
    async with world() as w:
        response = await w.command("declare sev1 ChatGPT, API and Sora unavailable")
        assert response.status == 200
        assert response.body == ""  # acknowledged at once, answered after
        [answer] = w.slack.responses
        assert answer["response_type"] == "in_channel"
        text = w.last_answer()
        assert "declared *INC-1* (sev1): ChatGPT, API and Sora unavailable" in text
        assert "<@U0MAYA>" in text
        assert "<#C0APPROVE>" in text
        [incident] = w.data.incidents.values()
        assert incident.commander == "slack:U0MAYA"
        [draft] = w.data.drafts.values()
        assert draft.author == "slack:U0MAYA"
        assert draft.state is DraftState.PENDING


async def test_declare_with_components_and_their_impact() -> None:
    async with world() as w:
        await w.command("declare sev2 Slow logins | Login=degraded_performance, API")
        [incident] = w.data.incidents.values()
        assert incident.components == ["Login", "API"]
        [draft] = w.data.drafts.values()
        assert draft.component_changes == {
            "Login": ComponentStatus.DEGRADED_PERFORMANCE,
            "API": ComponentStatus.PARTIAL_OUTAGE,  # sev2's default impact
        }


async def test_slack_escaped_text_is_stored_plain_and_shown_escaped() -> None:
    async with world() as w:
        # Slack sends what the user typed with & < > escaped; a mass mention arrives like this.
        await w.command("declare sev3 &lt;!channel&gt; R&amp;D portal &lt;down&gt;")
        [incident] = w.data.incidents.values()
        assert incident.title == "<!channel> R&D portal <down>"
        text = w.last_answer()
        assert "&lt;\u200b!channel&gt; R&amp;D portal &lt;down&gt;" in text
        assert "<!channel>" not in text


async def test_a_core_refusal_is_shown_only_to_the_person_and_changes_nothing() -> None:
    config = settings(
        components=[{"name": "ChatGPT"}, {"name": "API"}],
        approval={"responders": ["slack:U0MAYA"]},
    )
    async with world(config) as w:
        await w.command("declare sev1 Outage | Sora")
        assert "unknown component 'Sora'; configured components are: ChatGPT, API" in (
            w.last_answer()
        )
        assert w.slack.responses[-1]["response_type"] == "ephemeral"
        await w.command("declare sev1 Outage | API", user_id="U0ALEX")
        assert "alex may not declare an incident" in w.last_answer()
        assert "<@U0MAYA>" in w.last_answer()
        assert not w.data.incidents


async def test_status_list_timeline_and_note() -> None:
    async with world() as w:
        await w.command("declare sev1 ChatGPT unavailable | ChatGPT")
        await w.command("declare sev3 Slow search | Search")
        await w.command("status")
        text = w.last_answer()
        assert "*INC-1* ChatGPT unavailable — Investigating, sev1" in text
        assert "*INC-2* Slow search" in text
        await w.command("status INC-1")
        text = w.last_answer()
        assert "Nothing published yet" in text
        assert "Waiting for approval:* draft `id0000000002` v1 by <@U0MAYA>" in text
        assert "/incident approve id0000000002 v1" in text
        await w.command("note INC-1 DNS errors from kube-dns")
        assert "Noted on the timeline of *INC-1*" in w.last_answer()
        await w.command("timeline inc-1")
        text = w.last_answer()
        assert "*declared*" in text
        assert "DNS errors from kube-dns" in text
        await w.command("list")
        assert "*Recent incidents*" in w.last_answer()
        await w.command("status INC-99")
        assert "INC-99" in w.last_answer()


async def test_update_approve_and_reject_with_text() -> None:
    async with world() as w:
        await w.command("declare sev1 ChatGPT unavailable | ChatGPT")
        [ack] = w.data.drafts.values()
        await w.command(f"approve {ack.id} v1", user_id="U0SAM")
        assert "Published update #1 of *INC-1* (Investigating)" in w.last_answer()
        await w.command("update INC-1 identified We found the cause | ChatGPT=partial_outage")
        text = w.last_answer()
        assert "Drafted an update (Identified) for *INC-1*" in text
        assert "> We found the cause" in text
        draft = next(d for d in w.data.drafts.values() if d.status is Status.IDENTIFIED)
        assert draft.component_changes == {"ChatGPT": ComponentStatus.PARTIAL_OUTAGE}
        await w.command(f"reject {draft.id} say when it started", user_id="U0SAM")
        assert "Rejected draft" in w.last_answer()
        assert w.data.drafts[draft.id].state is DraftState.REJECTED
        opened = w.data.units_of_work
        await w.command("update INC-1 progress Still rolling back")
        progress = list(w.data.drafts.values())[-1]
        assert progress.status is Status.INVESTIGATING
        assert progress.body == "Still rolling back"
        # The core picks the current status in the use case's one transaction.
        assert w.data.units_of_work == opened + 1


async def test_approving_your_own_draft_by_text_is_refused() -> None:
    async with world() as w:
        await w.command("declare sev1 ChatGPT unavailable")
        [ack] = w.data.drafts.values()
        await w.command(f"approve {ack.id}")
        assert "maya may not approve draft" in w.last_answer()
        assert not w.data.updates


async def test_answers_fall_back_when_the_response_url_has_expired() -> None:
    async with world() as w:
        body = w.command_body("status").replace("%2Fcmd", "%2Fexpired")
        await w.dispatch(body)
        [ephemeral] = w.slack.to("chat.postEphemeral")
        assert ephemeral["channel"] == "C0GENERAL"
        assert ephemeral["user"] == "U0MAYA"
        assert "No open incidents" in w.slack.ephemerals()[0]
        # Typed where the bot is not a member: the answer comes by direct message.
        body = w.command_body("status", channel="C0ELSEWHERE")
        await w.dispatch(body.replace("%2Fcmd", "%2Fexpired"))
        [dm] = [m for m in w.slack.to("chat.postMessage") if m["channel"] == "U0MAYA"]
        assert "No open incidents" in dm["text"]


async def test_answers_to_a_response_url_go_where_slack_api_url_points() -> None:
    async with world() as w:
        # Slack's response URL names hooks.slack.com; SLACK_API_URL points at this fake, so
        # the answer must come here too (a proxy sees it, a test can check it).
        await w.command("status")
        [answer] = w.slack.responses
        assert answer["_url"].startswith("cmd")
        assert answer["response_type"] == "ephemeral"
        assert "No open incidents" in w.last_answer()
        assert w.slack.to("chat.postEphemeral") == []  # no fallback was needed


def test_response_urls_follow_slack_api_url_and_its_path_prefix() -> None:
    hook = "https://hooks.slack.com/commands/T0ACME/8223458436195/B6zXnLZqUFEp?x=1"
    assert response_url_via(hook, api_url="https://slack.com/api/") == hook
    assert response_url_via(hook, api_url="http://127.0.0.1:8089/api/") == (
        "http://127.0.0.1:8089/commands/T0ACME/8223458436195/B6zXnLZqUFEp?x=1"
    )
    assert response_url_via(hook, api_url="https://egress.acme.example/slack/api/") == (
        "https://egress.acme.example/slack/commands/T0ACME/8223458436195/B6zXnLZqUFEp?x=1"
    )


async def test_an_incident_is_edited_and_handed_off_from_slack() -> None:
    config = settings(approval={"responders": ["slack:U0MAYA", "slack:U0SAM"]})
    async with world(config) as w:
        await w.command("declare sev3 Slow logins | Login")
        [ack] = w.data.drafts.values()
        await w.command(f"approve {ack.id}", user_id="U0SAM")

        await w.command("edit INC-1 sev1 Logins fail in the EU")
        answer = w.last_answer()
        assert "Changed *INC-1* (retitled, severity)" in answer
        assert "The status page shows “Slow logins” until the next update is published." in answer
        assert w.slack.responses[-1]["response_type"] == "ephemeral"
        await w.command("handoff INC-1 me", user_id="U0SAM")
        [incident] = w.data.incidents.values()
        assert (incident.title, incident.severity.value) == ("Logins fail in the EU", "sev1")
        assert incident.commander == "slack:U0SAM"
        actions = [(e.actor, e.action) for e in w.data.timeline][-3:]
        assert actions == [
            ("slack:U0MAYA", "retitled"),
            ("slack:U0MAYA", "severity"),
            ("slack:U0SAM", "handoff"),
        ]
        written = len(w.data.timeline)

        # Mistyped: the usage comes straight back in the acknowledgment.
        assert "unknown severity 'sev9'" in (await w.command("edit INC-1 sev9")).body
        assert "Copy member ID" in (await w.command("handoff INC-1 @maya")).body
        await w.command("edit INC-1 sev1")
        assert "nothing to change: INC-1 already has severity sev1" in w.last_answer()
        await w.command("handoff INC-1 me", user_id="U0ALEX")
        assert "alex may not edit an incident" in w.last_answer()
        assert w.data.incidents[incident.id].commander == "slack:U0SAM"
        assert len(w.data.timeline) == written  # the refusals wrote nothing

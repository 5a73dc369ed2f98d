"""Who is acting: Slack users as actors, with the configured user groups they belong to."""

from __future__ import annotations

from commsbot.domain.model import DraftState
from tests.adapters.slack.fake_slack import Failure
from tests.adapters.slack.scenario import settings, world

GROUPS = settings(approval={"approvers": ["slack-group:S0COMMS"]})


async def test_a_member_of_an_approver_group_may_approve() -> None:
    async with world(GROUPS) as w:
        w.slack.usergroups = {"S0COMMS": ["U0SAM", "U0KIM"]}
        await w.command("declare sev1 ChatGPT unavailable")
        [ts] = await w.post_approval_requests()
        await w.click("C0APPROVE", ts, "commsbot.approve", user_id="U0ALEX")
        assert "approvers are <!subteam^S0COMMS>" in w.last_answer()
        await w.click("C0APPROVE", ts, "commsbot.approve", user_id="U0SAM")
        [draft] = w.data.drafts.values()
        assert draft.state is DraftState.PUBLISHED
        # Memberships are cached briefly: one lookup served the three requests.
        assert w.slack.to("usergroups.users.list") == [{"usergroup": "S0COMMS"}]


async def test_a_failed_group_lookup_grants_nothing() -> None:
    async with world(GROUPS) as w:
        w.slack.usergroups = {"S0COMMS": ["U0SAM"]}
        w.slack.fail("usergroups.users.list", Failure(status=200, error="missing_scope"))
        await w.command("declare sev1 ChatGPT unavailable")
        [ts] = await w.post_approval_requests()
        await w.click("C0APPROVE", ts, "commsbot.approve", user_id="U0SAM")
        [draft] = w.data.drafts.values()
        assert draft.state is DraftState.PENDING
        assert "sam may not approve" in w.last_answer()


async def test_no_group_lookups_when_no_group_is_configured() -> None:
    async with world() as w:
        await w.command("declare sev1 ChatGPT unavailable")
        [ts] = await w.post_approval_requests()
        await w.click("C0APPROVE", ts, "commsbot.approve", user_id="U0SAM")
        assert w.slack.to("usergroups.users.list") == []

"""A Slack status channel behind the real dispatcher and store: what a retry sends.

The destination is built from the configuration through the registry, as ``commsbot run``
does, and talks to the fake Slack Web API on loopback; the clock is moved by hand.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from commsbot.services.corrections import propose_correction
from commsbot.services.drafts import approve_draft
from tests.adapters.slack.fake_slack import Failure, FakeSlack, readable
from tests.adapters.slack.scenario import TOKEN
from tests.delivery.support import COMMS, IC, World, advance_until, eventually, running, world

ORIGINAL = "We're investigating an issue affecting ChatGPT."
CORRECTED = "We're investigating an issue affecting ChatGPT and the API."


def states(w: World) -> list[str]:
    return [r.state.value for r in w.deliveries("slack-status")]


async def test_a_retry_of_the_original_posts_what_was_approved_then_the_correction_edits_it(
    migrated: Engine,
) -> None:
    slack = await FakeSlack().start()
    try:
        w = world(
            migrated,
            [
                {
                    "name": "slack-status",
                    "type": "slack",
                    "channel": "C0STATUS",
                    "backoff_base_seconds": 2,
                    "backoff_cap_seconds": 60,
                }
            ],
        )
        slack.fail("chat.postMessage", Failure(status=503))
        update_id = w.declare_and_publish(ORIGINAL)
        env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": slack.api_url}
        async with running(w.dispatcher(environ=env)) as dispatcher:
            await eventually(lambda: states(w) == ["retrying"], what="the first failure")
            fix = propose_correction(w.deps, update_ref=update_id, body=CORRECTED, actor=IC)
            approve_draft(w.deps, draft_id=fix.draft.id, actor=COMMS)
            dispatcher.wake()
            await advance_until(
                w.clock, lambda: states(w) == ["sent", "sent"], what="original, then correction"
            )

        failed, card, reply = slack.to("chat.postMessage")
        assert (failed["text"], failed["blocks"]) == (card["text"], card["blocks"])
        for post in (failed, card, reply):
            assert ORIGINAL in readable(post)
            assert CORRECTED not in readable(post)
            assert "corrected" not in readable(post)
        [root] = slack.top_level("C0STATUS")
        [posted] = slack.thread("C0STATUS", root["ts"])
        assert "(corrected)" in readable(posted)  # then edited in place by the correction
        assert CORRECTED in readable(posted)
        assert CORRECTED in readable(slack.message("C0STATUS", root["ts"]))
        edits = [u for u in slack.to("chat.update") if u["ts"] == posted["ts"]]
        assert len(edits) == 1
    finally:
        await slack.stop()

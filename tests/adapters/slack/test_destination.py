"""Status channels: the live card, the thread, idempotent retries, failures, escaping, limits."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

from adapters.slack.config import SlackSecrets
from adapters.slack.destination import CARD_EVENT, UPDATE_EVENT, SlackDestination
from adapters.slack.webapi import web_client
from commsbot.delivery.ports import DeliveryFailed, Outbound
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import ComponentStatus, Severity
from commsbot.domain.policy import Actor
from commsbot.services import drafts, incidents
from commsbot.services.deps import Deps
from commsbot.services.results import Published
from tests.adapters.slack.fake_slack import Failure, FakeSlack, readable
from tests.adapters.slack.scenario import TOKEN, settings
from tests.unit.fakes import make_deps

MAYA, SAM = Actor("slack:U0MAYA"), Actor("slack:U0SAM")
LINK = "https://status.acme.example/incidents/abc"


@dataclass
class Room:
    slack: FakeSlack
    dest: SlackDestination
    deps: Deps
    n: int = 0

    def declare(self, title: str = "ChatGPT, API and Sora unavailable", **kw: Any) -> Published:
        comps = kw.pop("components", {"ChatGPT": None, "API": None, "Sora": None})
        made = incidents.declare(
            self.deps, title=title, severity=Severity.SEV1, components=comps, actor=MAYA, **kw
        )
        return drafts.approve_draft(self.deps, draft_id=made.draft.id, actor=SAM)

    def publish(self, status: Status, body: str, **changes: ComponentStatus) -> Published:
        draft = drafts.propose_update(
            self.deps,
            incident_ref="INC-1",
            status=status,
            actor=MAYA,
            body=body,
            component_changes=changes or None,
        )
        return drafts.approve_draft(self.deps, draft_id=draft.draft.id, actor=SAM)

    def outbound(self, published: Published, **kw: Any) -> Outbound:
        self.n += 1
        return Outbound(
            delivery_id=f"d{self.n}",
            key=f"u{published.update.id}k{self.n}"[:25],
            incident=published.incident,
            update=published.update,
            link=LINK,
            **kw,
        )


@contextlib.asynccontextmanager
async def room() -> AsyncIterator[Room]:
    slack = await FakeSlack().start()
    deps, _, _ = make_deps(settings())
    secrets = SlackSecrets(
        bot_token=TOKEN, signing_secret=None, app_token=None, api_url=slack.api_url
    )
    dest = SlackDestination(
        name="status",
        channel="C0STATUS",
        client=web_client(secrets, retries=False),
        zone=deps.settings.zone,
    )
    try:
        yield Room(slack=slack, dest=dest, deps=deps)
    finally:
        await slack.stop()


async def test_first_update_posts_the_card_and_starts_its_thread() -> None:
    async with room() as r:
        item = r.outbound(r.declare())
        receipt = await r.dest.deliver(item)
        [card] = r.slack.top_level("C0STATUS")
        assert receipt.thread_id == card["ts"]
        assert card["metadata"]["event_type"] == CARD_EVENT
        text = readable(card)
        assert "INC-1 · ChatGPT, API and Sora unavailable" in text
        assert "*Status:* Investigating" in text
        assert "*ChatGPT*\nMajor outage" in text
        assert "We're investigating an issue affecting ChatGPT, API and Sora" in text
        assert "Next update by <!date^" in text
        assert f"<{LINK}|" in text
        [reply] = r.slack.thread("C0STATUS", card["ts"])
        assert receipt.message_id == reply["ts"]
        assert reply["reply_broadcast"] is False  # the card itself is new in the channel
        assert reply["metadata"]["event_type"] == UPDATE_EVENT
        assert reply["metadata"]["event_payload"]["key"] == item.key
        for call in r.slack.to("chat.postMessage"):
            assert call["parse"] == "none"
            assert "link_names" not in call
            assert call["unfurl_links"] is False


async def test_a_promise_on_another_day_shows_its_date_on_the_card_and_thread() -> None:
    async with room() as r:
        item = r.outbound(r.declare(next_update="2d"))
        await r.dest.deliver(item)
        [card] = r.slack.top_level("C0STATUS")
        [reply] = r.slack.thread("C0STATUS", card["ts"])
        for text in (readable(card), readable(reply)):
            assert "We'll post an update by Dec 13 3:16 PM PST." in text
            assert "^{date_short_pretty} {time}|Dec 13 3:16 PM PST>" in text


async def test_later_updates_edit_the_card_and_reply_in_its_thread() -> None:
    async with room() as r:
        receipt = await r.dest.deliver(r.outbound(r.declare()))
        root = receipt.thread_id
        assert root is not None
        identified = r.publish(
            Status.IDENTIFIED, "We found the cause.", API=ComponentStatus.PARTIAL_OUTAGE
        )
        second = await r.dest.deliver(r.outbound(identified, thread_id=root))
        assert second.thread_id == root
        [update_call] = r.slack.to("chat.update")
        assert update_call["ts"] == root
        assert update_call["parse"] == "none"
        card = r.slack.message("C0STATUS", root)
        assert "*Status:* Identified" in readable(card)
        assert "*API*\nPartial outage" in readable(card)
        assert "We found the cause." in readable(card)
        replies = r.slack.thread("C0STATUS", root)
        assert [m["reply_broadcast"] for m in replies] == [False, True]  # the move is broadcast
        assert "API*: Major outage → Partial outage" in readable(replies[1])
        progress = r.publish(Status.IDENTIFIED, "Still on it.")
        await r.dest.deliver(r.outbound(progress, thread_id=root))
        assert r.slack.thread("C0STATUS", root)[-1]["reply_broadcast"] is False
        assert len(r.slack.top_level("C0STATUS")) == 2  # the card and the broadcast move


async def test_a_retry_after_an_applied_failure_does_not_post_twice() -> None:
    async with room() as r:
        first = r.outbound(r.declare())
        r.slack.fail("chat.postMessage", Failure(status=500, apply=True))  # the card went out
        with pytest.raises(DeliveryFailed) as failed:
            await r.dest.deliver(first)
        assert failed.value.retryable
        assert failed.value.ambiguous
        r.slack.fail("chat.postMessage", Failure(drop=True))  # the reply went out, no answer
        with pytest.raises(DeliveryFailed) as failed:
            await r.dest.deliver(replace(first, attempt=2, maybe_sent=True))
        assert failed.value.ambiguous
        receipt = await r.dest.deliver(replace(first, attempt=3, maybe_sent=True))
        [card] = r.slack.top_level("C0STATUS")
        [reply] = r.slack.thread("C0STATUS", card["ts"])
        assert (receipt.thread_id, receipt.message_id) == (card["ts"], reply["ts"])
        assert reply["reply_broadcast"] is False
        assert len(r.slack.to("chat.postMessage")) == 2  # the card and the reply, once each
        history = r.slack.to("conversations.history")
        assert history
        assert all(h["include_all_metadata"] in ("true", True, "1") for h in history)


async def test_slack_failures_become_delivery_failures_the_engine_understands() -> None:
    async with room() as r:
        item = r.outbound(r.declare())
        r.slack.fail("chat.postMessage", Failure(status=429, retry_after=7))
        with pytest.raises(DeliveryFailed) as failed:
            await r.dest.deliver(item)
        assert failed.value.retryable
        assert failed.value.retry_after == 7
        r.slack.fail("chat.postMessage", Failure(status=200, error="ratelimited"))
        with pytest.raises(DeliveryFailed) as failed:
            await r.dest.deliver(item)
        assert failed.value.retryable
        assert failed.value.retry_after == 1.0
        r.slack.fail("chat.postMessage", Failure(status=503))
        with pytest.raises(DeliveryFailed) as failed:
            await r.dest.deliver(item)
        assert failed.value.retryable
        assert failed.value.ambiguous
        r.slack.channels.discard("C0STATUS")
        with pytest.raises(DeliveryFailed) as failed:
            await r.dest.deliver(item)
        assert not failed.value.retryable
        assert "channel_not_found" in str(failed.value)
        assert "invited" in str(failed.value)
        assert r.slack.messages["C0STATUS"] == []


async def test_a_correction_edits_the_reply_and_the_card() -> None:
    async with room() as r:
        first = r.declare()
        receipt = await r.dest.deliver(r.outbound(first))
        fixed = replace(first.update, body="We're investigating errors on ChatGPT and the API.")
        item = replace(
            r.outbound(first),
            update=fixed,
            is_correction=True,
            correction_of=receipt.message_id,
            thread_id=receipt.thread_id,
        )
        again = await r.dest.deliver(item)
        assert again.message_id == receipt.message_id
        reply = r.slack.message("C0STATUS", str(receipt.message_id))
        assert "_(corrected)_" in readable(reply)
        assert "errors on ChatGPT and the API" in readable(reply)
        card = r.slack.message("C0STATUS", str(receipt.thread_id))
        assert "errors on ChatGPT and the API" in readable(card)
        assert len(r.slack.to("chat.postMessage")) == 2  # nothing new posted


async def test_a_deleted_card_is_posted_again() -> None:
    async with room() as r:
        receipt = await r.dest.deliver(r.outbound(r.declare()))
        r.slack.messages["C0STATUS"].clear()  # someone deleted the thread
        identified = r.publish(Status.IDENTIFIED, "Found it.")
        again = await r.dest.deliver(r.outbound(identified, thread_id=receipt.thread_id))
        assert again.thread_id != receipt.thread_id
        [card] = r.slack.top_level("C0STATUS")
        assert card["ts"] == again.thread_id


async def test_user_text_is_escaped_no_mass_mention_no_link_injection() -> None:
    async with room() as r:
        title = "<!channel> R&D <https://evil.example|click here> down @everyone"
        first = r.declare(
            title=title, body="<!here> see <https://evil.example|the fix> & <@U0BOSS> @here"
        )
        await r.dest.deliver(r.outbound(first))
        sent = json.dumps(r.slack.to("chat.postMessage"), ensure_ascii=False)
        assert "<!channel>" not in sent
        assert "<!here>" not in sent
        assert "<https://evil.example" not in sent
        assert "<@U0BOSS>" not in sent
        # The same rule as every other surface: mentions broken with a zero-width space,
        # masked links shown with where they go.
        assert "@everyone" not in sent
        assert "@here" not in sent
        assert "&lt;\u200b!channel&gt; R&amp;D click here (https://evil.example) down" in sent
        assert "@\u200beveryone" in sent
        assert "the fix (https://evil.example) &amp; &lt;\u200b@U0BOSS&gt; @\u200bhere" in sent


async def test_block_kit_limits_hold_for_long_bodies_and_many_components() -> None:
    async with room() as r:
        comps = {f"Service {i:02d}": None for i in range(80)}
        body = ("All systems degraded. " * 450)[:9990]
        first = r.declare(title="X" * 200, components=comps, body=body)
        await r.dest.deliver(r.outbound(first))
        for call in r.slack.to("chat.postMessage"):
            assert len(call["blocks"]) <= 50
            assert len(call["text"]) <= 300
            for block in call["blocks"]:
                if "text" in block:
                    assert len(block["text"]["text"]) <= 3000
                for field in block.get("fields", []):
                    assert len(field["text"]) <= 2000
            total = sum(len(json.dumps(b)) for b in call["blocks"])
            assert total < 12_000

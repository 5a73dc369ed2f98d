"""Announcements: discord.py's real REST path against the loopback fake Discord API."""

from __future__ import annotations

import re

import pytest

from adapters.discord.destination import DiscordDestination
from adapters.discord.render import STATUS_COLOURS
from adapters.discord.rest import DiscordRest
from commsbot.delivery.ports import DeliveryFailed, Receipt
from commsbot.domain.lifecycle import Status
from tests.adapters.discord.fake_discord import (
    ANNOUNCEMENT_CHANNEL,
    TEXT_CHANNEL,
    TOKEN,
    FakeDiscord,
    limits_problem,
)
from tests.adapters.discord.helpers import fake_discord, outbound, run

NOTHING: dict[str, list[str]] = {"parse": []}


def destination(
    fake: FakeDiscord, channel: int, *, publish: bool = True, timeout: float = 20.0
) -> DiscordDestination:
    rest = DiscordRest(token=TOKEN, api_url=fake.url, timeout=timeout)
    fake.closers.append(rest.close)
    return DiscordDestination(name="discord", channel_id=channel, rest=rest, publish=publish)


def test_an_update_is_posted_as_an_embed_with_status_components_next_update_and_link() -> None:
    async def scenario() -> None:
        async with fake_discord() as fake:
            dest = destination(fake, TEXT_CHANNEL)
            receipt = await dest.deliver(outbound())
            await dest.aclose()
            [post] = fake.posts(TEXT_CHANNEL)
            body = post.body
            assert body["allowed_mentions"] == NOTHING
            assert body["nonce"] == "d-abc123-1"
            assert body["enforce_nonce"] is True
            [embed] = body["embeds"]
            assert embed["color"] == STATUS_COLOURS[Status.INVESTIGATING]
            assert embed["title"] == "Investigating: ChatGPT, API and Sora unavailable"
            assert embed["url"] == "https://status.example.com/incidents/k2v9x0q7ab1c"
            assert embed["description"].startswith("We're investigating an issue")
            fields = {f["name"]: f["value"] for f in embed["fields"]}
            assert fields["ChatGPT"] == "Operational → **Major outage**"
            assert fields["API"] == "Major outage"
            assert fields["Sora"] == "Partial outage"
            assert re.fullmatch(r"<t:\d+:t> \(<t:\d+:R>\)", fields["Next update by"])
            assert fields["Status page"] == embed["url"]
            assert embed["footer"]["text"] == "INC-1 · update 1 · sev1 · d-abc123-1"  # its key
            [stored] = fake.in_channel(TEXT_CHANNEL)
            assert receipt == Receipt(message_id=f"{TEXT_CHANNEL}/{stored['id']}")
            assert not fake.requests("POST", r".*/crosspost")

    run(scenario)


def test_posts_are_published_only_in_announcement_channels() -> None:
    async def scenario() -> None:
        async with fake_discord() as fake:
            news = destination(fake, ANNOUNCEMENT_CHANNEL)
            text = destination(fake, TEXT_CHANNEL)
            quiet = destination(fake, ANNOUNCEMENT_CHANNEL, publish=False)
            assert (await news.deliver(outbound(key="k-news"))).note is None
            await text.deliver(outbound(key="k-text"))
            await quiet.deliver(outbound(key="k-quiet"))
            [crosspost] = fake.requests("POST", r".*/crosspost")
            [published] = [m for m in fake.messages.values() if m["flags"] & 1]
            assert crosspost.path.endswith(
                f"/{ANNOUNCEMENT_CHANNEL}/messages/{published['id']}/crosspost"
            )
            assert published["embeds"][0]["title"].startswith("Investigating")
            for post in fake.posts():
                assert post.body["allowed_mentions"] == NOTHING

    run(scenario)


def test_a_refused_publish_points_at_send_messages_not_manage_messages() -> None:
    async def scenario() -> None:
        async with fake_discord() as fake:
            fake.fail(
                "POST",
                r".*/crosspost",
                status=403,
                body={"message": "Missing Permissions", "code": 50013},
            )
            receipt = await destination(fake, ANNOUNCEMENT_CHANNEL).deliver(outbound())
            assert receipt.note is not None
            assert "not published" in receipt.note
            assert "Send Messages" in receipt.note
            assert "Manage Messages" not in receipt.note  # the bot never asks for it
            assert len(fake.posts()) == 1

    run(scenario)


def test_a_retry_after_a_dropped_connection_sends_the_same_nonce_and_posts_once() -> None:
    async def scenario() -> None:
        async with fake_discord() as fake:
            fake.drop("POST", rf"/api/v10/channels/{ANNOUNCEMENT_CHANNEL}/messages")
            fake.no_history.add(ANNOUNCEMENT_CHANNEL)  # only the nonce prevents a second post
            dest = destination(fake, ANNOUNCEMENT_CHANNEL)
            with pytest.raises(DeliveryFailed) as failed:
                await dest.deliver(outbound(key="k-retry"))
            assert failed.value.ambiguous
            assert failed.value.retryable
            receipt = await dest.deliver(outbound(key="k-retry", attempt=2))
            posts = fake.posts(ANNOUNCEMENT_CHANNEL)
            assert [p.body["nonce"] for p in posts] == ["k-retry", "k-retry"]
            [message] = fake.in_channel(ANNOUNCEMENT_CHANNEL)
            assert receipt.message_id == f"{ANNOUNCEMENT_CHANNEL}/{message['id']}"
            assert message["flags"] & 1  # the retry published what the first attempt posted

    run(scenario)


def test_a_short_429_is_waited_out_then_retried_with_the_same_nonce() -> None:
    async def scenario() -> None:
        async with fake_discord() as fake:
            fake.fail(
                "POST", rf"/api/v10/channels/{TEXT_CHANNEL}/messages", status=429, retry_after=0.3
            )
            await destination(fake, TEXT_CHANNEL).deliver(outbound(key="k-429"))
            first, second = fake.posts(TEXT_CHANNEL)
            assert first.body["nonce"] == second.body["nonce"] == "k-429"
            assert second.at - first.at >= 0.3  # Discord's retry_after was honoured
            assert len(fake.in_channel(TEXT_CHANNEL)) == 1

    run(scenario)


def test_a_long_429_fails_the_delivery_with_discords_retry_after_and_posts_nothing() -> None:
    async def scenario() -> None:
        async with fake_discord() as fake:
            fake.fail(
                "POST", rf"/api/v10/channels/{TEXT_CHANNEL}/messages", status=429, retry_after=120.0
            )
            with pytest.raises(DeliveryFailed) as failed:
                await destination(fake, TEXT_CHANNEL).deliver(outbound())
            assert failed.value.retryable
            assert failed.value.retry_after == pytest.approx(120.0)
            assert len(fake.posts(TEXT_CHANNEL)) == 1  # no retry inside the delivery
            assert fake.in_channel(TEXT_CHANNEL) == []

    run(scenario)


def test_the_publish_limit_leaves_posts_up_unpublished_without_a_retry_storm() -> None:
    async def scenario() -> None:
        async with fake_discord() as fake:
            fake.fail("POST", r".*/crosspost", status=429, retry_after=3000.0, times=100)
            dest = destination(fake, ANNOUNCEMENT_CHANNEL)
            first = await dest.deliver(outbound(key="k-1"))
            second = await dest.deliver(outbound(key="k-2"))
            for receipt in (first, second):
                assert receipt.message_id is not None
                assert receipt.note is not None
                assert "publish limit" in receipt.note
            assert len(fake.in_channel(ANNOUNCEMENT_CHANNEL)) == 2  # both posted
            assert not any(m["flags"] & 1 for m in fake.messages.values())
            # One try hit the limit; the next post did not knock again until it reopens.
            assert len(fake.requests("POST", r".*/crosspost")) == 1

    run(scenario)


def test_5000_characters_with_everyone_fit_discords_limits_and_ping_nobody() -> None:
    words = "The API returns errors for some requests while we roll back. " * 85
    body = ("@everyone @here <@&1600000000000000001> " + words)[:5000]
    assert len(body) == 5000

    async def scenario() -> None:
        async with fake_discord() as fake:
            await destination(fake, TEXT_CHANNEL).deliver(outbound(body=body, title="@everyone"))
            [post] = fake.posts(TEXT_CHANNEL)
            sent = post.body
            assert limits_problem(sent) is None  # the fake would have answered 400 anyway
            assert len(sent["content"]) <= 2000
            assert "@everyone" not in sent["content"]  # neutralised, not just unallowed
            assert sent["allowed_mentions"] == NOTHING
            text = " ".join(e["description"] for e in sent["embeds"])
            assert "@everyone" not in text
            visible = text.replace("\u200b", "")  # mentions are broken by zero-width spaces
            assert " ".join(visible.split()) == " ".join(body.split())  # all of it, in order

    run(scenario)


def test_a_body_beyond_six_thousand_characters_is_cut_and_points_to_the_status_page() -> None:
    body = "Sentence about the outage. " * 370  # ~10,000 characters

    async def scenario() -> None:
        async with fake_discord() as fake:
            await destination(fake, TEXT_CHANNEL).deliver(outbound(body=body))
            [post] = fake.posts(TEXT_CHANNEL)
            assert limits_problem(post.body) is None
            last = post.body["embeds"][-1]["description"]
            assert last.endswith("continued at https://status.example.com/incidents/k2v9x0q7ab1c")

    run(scenario)


def test_a_correction_edits_the_earlier_post_and_marks_it_corrected() -> None:
    async def scenario() -> None:
        async with fake_discord() as fake:
            dest = destination(fake, ANNOUNCEMENT_CHANNEL)
            original = await dest.deliver(outbound(key="k-orig"))
            fixed = outbound(
                key="k-fix", body="Sora was not affected.", correction_of=original.message_id
            )
            receipt = await dest.deliver(fixed)
            assert receipt.message_id == original.message_id
            assert len(fake.posts()) == 1
            [edit] = fake.requests("PATCH", r"/api/v10/channels/\d+/messages/\d+")
            assert edit.body["allowed_mentions"] == NOTHING
            [message] = fake.in_channel(ANNOUNCEMENT_CHANNEL)
            assert message["embeds"][0]["title"].startswith("Corrected: Investigating")
            assert message["embeds"][0]["description"] == "Sora was not affected."
            assert message["embeds"][0]["footer"]["text"].endswith("· corrected · k-fix")

            fake.messages.clear()  # someone deleted the post: the correction is posted anew
            again = await dest.deliver(outbound(key="k-fix2", correction_of=original.message_id))
            assert again.note is not None
            assert "posted anew" in again.note
            assert len(fake.in_channel(ANNOUNCEMENT_CHANNEL)) == 1

    run(scenario)


def test_refusals_are_not_retried_and_say_what_to_fix() -> None:
    async def scenario() -> None:
        async with fake_discord() as fake:
            with pytest.raises(DeliveryFailed) as unknown:
                await destination(fake, 1299999999999999999).deliver(outbound())
            assert not unknown.value.retryable
            assert "check the channel id" in str(unknown.value)
            fake.fail(
                "GET",
                rf"/api/v10/channels/{TEXT_CHANNEL}",
                status=403,
                body={"message": "Missing Access", "code": 50001},
            )
            with pytest.raises(DeliveryFailed) as forbidden:
                await destination(fake, TEXT_CHANNEL).deliver(outbound())
            assert not forbidden.value.retryable
            assert "View Channel" in str(forbidden.value)
            wrong = DiscordRest(token="wrong", api_url=fake.url)
            bad = DiscordDestination(name="d", channel_id=TEXT_CHANNEL, rest=wrong)
            with pytest.raises(DeliveryFailed) as login:
                await bad.deliver(outbound())
            assert not login.value.retryable
            assert "DISCORD_BOT_TOKEN" in str(login.value)
            assert fake.posts() == []

    run(scenario)


def test_a_discord_outage_fails_the_attempt_within_its_timeout_as_ambiguous() -> None:
    async def scenario() -> None:
        async with fake_discord() as fake:
            fake.fail("POST", r".*/messages", status=500, times=10)
            with pytest.raises(DeliveryFailed) as failed:
                await destination(fake, TEXT_CHANNEL, timeout=1.5).deliver(outbound())
            assert failed.value.retryable
            assert failed.value.ambiguous

    run(scenario)


def test_a_retry_after_discord_forgot_the_nonce_finds_the_earlier_post_and_posts_once() -> None:
    async def scenario() -> None:
        async with fake_discord() as fake:
            fake.nonce_seconds = 0.0  # the retry comes long after: Discord forgot the nonce
            fake.drop("POST", rf"/api/v10/channels/{ANNOUNCEMENT_CHANNEL}/messages")
            dest = destination(fake, ANNOUNCEMENT_CHANNEL)
            with pytest.raises(DeliveryFailed) as failed:
                await dest.deliver(outbound(key="k-outage"))
            assert failed.value.ambiguous  # posted, but the answer was lost
            someone = fake._message(ANNOUNCEMENT_CHANNEL, {"content": "k-outage"}, author=42)
            fake.messages[int(someone["id"])] = someone  # a person quoting the key is not it

            receipt = await dest.deliver(outbound(key="k-outage", attempt=2, maybe_sent=True))

            [message] = [m for m in fake.in_channel(ANNOUNCEMENT_CHANNEL) if m is not someone]
            assert receipt.message_id == f"{ANNOUNCEMENT_CHANNEL}/{message['id']}"
            assert receipt.note is not None
            assert "earlier attempt" in receipt.note
            assert len(fake.posts(ANNOUNCEMENT_CHANNEL)) == 1  # looked, and did not post again
            [listed] = fake.requests("GET", rf"/api/v10/channels/{ANNOUNCEMENT_CHANNEL}/messages")
            assert listed.body is None
            assert message["flags"] & 1  # the retry published what the first attempt posted
            assert message["embeds"][0]["footer"]["text"] == "INC-1 · update 1 · sev1 · k-outage"

    run(scenario)


def test_without_read_message_history_a_retry_posts_with_its_nonce_and_says_so() -> None:
    async def scenario() -> None:
        async with fake_discord() as fake:
            fake.no_history.add(TEXT_CHANNEL)
            dest = destination(fake, TEXT_CHANNEL)
            receipt = await dest.deliver(outbound(key="k-blind", attempt=2))
            assert receipt.message_id is not None
            assert receipt.note is not None
            assert "Read Message History" in receipt.note
            assert len(fake.in_channel(TEXT_CHANNEL)) == 1

    run(scenario)

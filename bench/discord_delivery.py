"""Discord delivery against the loopback fake API, as ratios to a bare aiohttp POST.

What it tells: the cost discord.py's HTTPClient and commsbot's rendering add to one post, and
what publishing (crossposting) in an announcement channel adds. Bounded: 200 deliveries each,
127.0.0.1 only. Prints a Markdown table; ``--write`` also replaces the section in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _report import write_section  # noqa: E402

from adapters.discord import render  # noqa: E402
from adapters.discord.destination import DiscordDestination  # noqa: E402
from adapters.discord.rest import DiscordRest  # noqa: E402
from tests.adapters.discord.fake_discord import (  # noqa: E402
    ANNOUNCEMENT_CHANNEL,
    TEXT_CHANNEL,
    TOKEN,
)
from tests.adapters.discord.helpers import fake_discord, outbound  # noqa: E402

N = 200


async def measure() -> dict[str, float]:
    async with fake_discord() as fake:
        body = {"content": "x", "embeds": [e.to_dict() for e in render.update_embeds(outbound())]}
        url = f"{fake.url}/channels/{TEXT_CHANNEL}/messages"
        headers = {"Authorization": f"Bot {TOKEN}"}
        async with aiohttp.ClientSession() as session:
            start = time.perf_counter()
            for _ in range(N):
                async with session.post(url, json=body, headers=headers) as response:
                    await response.read()
            raw = (time.perf_counter() - start) / N
        rest = DiscordRest(token=TOKEN, api_url=fake.url)
        fake.closers.append(rest.close)
        text = DiscordDestination(name="t", channel_id=TEXT_CHANNEL, rest=rest)
        news = DiscordDestination(name="n", channel_id=ANNOUNCEMENT_CHANNEL, rest=rest)
        await text.deliver(outbound(key="warm"))
        results = {"raw": raw}
        for label, dest in (("text", text), ("announcement", news)):
            start = time.perf_counter()
            for i in range(N):
                await dest.deliver(outbound(key=f"{label[0]}-{i}"))
            results[label] = (time.perf_counter() - start) / N
        # A retry that may follow a post: it reads the channel's latest 100 messages (the
        # text channel holds 200 by now) before posting, since Discord forgets nonces.
        start = time.perf_counter()
        for i in range(N):
            await text.deliver(outbound(key=f"r-{i}", attempt=2, maybe_sent=True))
        results["retry"] = (time.perf_counter() - start) / N
        long = outbound(body="@everyone " + "An update about the outage. " * 178)
        samples = []
        for _ in range(N):
            start = time.perf_counter()
            render.update_embeds(long)
            samples.append(time.perf_counter() - start)
        results["render"] = statistics.median(samples)
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    r = asyncio.run(measure())
    table = "\n".join(
        [
            "| what (per delivery, 200 each) | ratio to a bare aiohttp POST |",
            "|---|---|",
            "| bare aiohttp POST of the same body (baseline) | 1.00 |",
            f"| post to a text channel (discord.py, nonce, render) | {r['text'] / r['raw']:.2f} |",
            f"| post + publish in an announcement channel | {r['announcement'] / r['raw']:.2f} |",
            "| retry after an ambiguous attempt: look through the latest 100 messages, then "
            f"post | {r['retry'] / r['raw']:.2f} |",
            f"| rendering a 5,000-character update alone | {r['render'] / r['raw']:.3f} |",
        ]
    )
    print(table)
    if parser.parse_args().write:
        write_section(
            "Discord delivery",
            "Against the loopback fake Discord API (`tests/adapters/discord/fake_discord.py`); "
            "`bench/discord_delivery.py`. Publishing adds one request (the crosspost) to "
            "each post in an announcement channel; a retry that may follow a post first reads "
            "the channel's latest 100 messages (the post's key ends its embed footer). "
            f"Load average at the end of the run: {os.getloadavg()[0]:.1f} on "
            f"{os.cpu_count()} cores.\n\n" + table,
        )


if __name__ == "__main__":
    main()

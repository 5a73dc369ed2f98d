"""The public page served from memory: caching headers, 304s, gzip, no database per request."""

from __future__ import annotations

import asyncio
import gzip
from typing import Any

import pytest
import sqlalchemy as sa

from commsbot.engines.statuspage import PublicPages
from commsbot.statuspage import v2
from tests.http.conftest import Stack
from tests.statuspage import scenario
from tests.statuspage.scenario import SECRET_DRAFT, SECRET_NOTE


@pytest.fixture
def world(stack: Stack) -> scenario.Built:
    built = scenario.build(stack.deps, stack.clock)
    stack.ctx.pages.refresh()
    return built


PATHS = [*v2.PATHS, "/", "/history", "/history.atom", "/history.rss"]


def test_every_public_path_is_served_with_cache_headers(stack: Stack, world: Any) -> None:
    for path in [*PATHS, f"/incidents/{world.open_id}", f"/incidents/{world.resolved_id}"]:
        response = stack.client.get(path)

        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "public, max-age=10"
        assert response.headers["etag"].startswith('"')
        assert response.headers["x-content-type-options"] == "nosniff"
    html = stack.client.get("/")
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src" not in html.headers["content-security-policy"]
    assert "default-src 'none'" in html.headers["content-security-policy"]
    assert stack.client.get("/api/v2/summary.json").headers["content-type"] == (
        "application/json; charset=utf-8"
    )
    assert (
        stack.client.get("/history.atom").headers["content-type"].startswith("application/atom+xml")
    )


def test_if_none_match_gets_304_without_a_body(stack: Stack, world: Any) -> None:
    first = stack.client.get("/api/v2/summary.json", headers={"Accept-Encoding": "identity"})
    etag = first.headers["etag"]

    again = stack.client.get(
        "/api/v2/summary.json",
        headers={"If-None-Match": f'"other", {etag}', "Accept-Encoding": "identity"},
    )
    weak = stack.client.get(
        "/api/v2/summary.json",
        headers={"If-None-Match": f"W/{etag}", "Accept-Encoding": "identity"},
    )
    stale = stack.client.get(
        "/api/v2/summary.json",
        headers={"If-None-Match": '"stale"', "Accept-Encoding": "identity"},
    )

    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert weak.status_code == 304
    assert stale.status_code == 200


def test_gzip_for_clients_that_take_it(stack: Stack, world: Any) -> None:
    plain = stack.client.get("/", headers={"Accept-Encoding": "identity"})
    # httpx decodes gzip itself; ask through the raw transport to see the bytes sent.
    packed = stack.client.get("/", headers={"Accept-Encoding": "gzip, br"})
    refused = stack.client.get("/", headers={"Accept-Encoding": "gzip;q=0"})

    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["vary"] == "Accept-Encoding"
    assert packed.content == plain.content  # decoded by the client
    assert packed.headers["etag"] != plain.headers["etag"]
    assert int(packed.headers["content-length"]) < len(plain.content)
    assert gzip.decompress(gzip.compress(plain.content)) == plain.content
    assert "content-encoding" not in refused.headers


def test_head_and_the_other_spellings_of_a_page(stack: Stack, world: Any) -> None:
    head = stack.client.head("/api/v2/status.json")
    get = stack.client.get("/api/v2/status.json", headers={"Accept-Encoding": "identity"})

    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert stack.client.get("/index.html").content == stack.client.get("/").content
    incident = f"/incidents/{world.open_id}"
    assert stack.client.get(incident + "/").content == stack.client.get(incident).content


def test_unknown_and_unpublished_incidents_are_a_404_page(stack: Stack, world: Any) -> None:
    for path in (f"/incidents/{world.unpublished_id}", "/incidents/nope", "/incidents/"):
        response = stack.client.get(path)

        assert response.status_code == 404, path
        assert response.headers["cache-control"] == "no-store"
        assert "Not found" in response.text


def test_the_page_never_shows_drafts_notes_or_approvers(stack: Stack, world: Any) -> None:
    for path in [*PATHS, f"/incidents/{world.open_id}"]:
        text = stack.client.get(path).text
        for secret in (SECRET_NOTE, SECRET_DRAFT, "sam-approver", scenario.UNPUBLISHED_TITLE):
            assert secret not in text, (path, secret)


def test_requests_do_not_touch_the_database(stack: Stack, world: Any) -> None:
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(args[2])

    sa.event.listen(stack.engine, "before_cursor_execute", seen)
    try:
        stack.ctx.pages.refresh()
        assert statements, "the listener sees the page's own queries"
        statements.clear()
        for _ in range(20):
            for path in PATHS:
                assert stack.client.get(path).status_code == 200
    finally:
        sa.event.remove(stack.engine, "before_cursor_execute", seen)

    assert statements == []


def test_a_new_rendering_answers_with_its_own_bytes_and_etags(stack: Stack, world: Any) -> None:
    """Each document's answer is prepared once per rendering: a publish must not leave the old
    body, ETag or gzip variant in place for a path asked for before."""
    before = {
        enc: stack.client.get("/api/v2/summary.json", headers={"Accept-Encoding": enc})
        for enc in ("identity", "gzip")
    }
    scenario.build(stack.deps, stack.clock)  # another incident published
    stack.ctx.pages.refresh()

    for enc, old in before.items():
        revalidated = stack.client.get(
            "/api/v2/summary.json",
            headers={"Accept-Encoding": enc, "If-None-Match": old.headers["etag"]},
        )
        assert revalidated.status_code == 200, enc  # the old ETag no longer matches
        assert revalidated.headers["etag"] != old.headers["etag"]
        assert len(revalidated.json()["incidents"]) > len(old.json()["incidents"])
        if enc == "gzip":
            assert revalidated.headers["content-encoding"] == "gzip"
        else:
            assert int(revalidated.headers["content-length"]) == len(revalidated.content)


def test_a_publish_elsewhere_is_picked_up_by_the_marker_and_only_then(stack: Stack) -> None:
    pages = stack.ctx.pages
    assert pages.refresh_if_changed() is False
    renders = pages.renders

    scenario.build(stack.deps, stack.clock)  # "another replica" publishes

    assert pages.refresh_if_changed() is True
    assert pages.refresh_if_changed() is False
    assert pages.renders == renders + 1
    incidents = stack.client.get("/api/v2/incidents.json").json()["incidents"]
    assert len(incidents) == 2


def test_the_watcher_keeps_the_last_page_when_the_database_fails() -> None:
    from commsbot.services.statuspage import load_public_data
    from tests.statuspage.scenario import fake_world

    deps, _, _, _ = fake_world()
    calls = {"n": 0}

    def marker() -> Any:
        calls["n"] += 1
        if calls["n"] > 1:
            raise OSError("database is gone")
        return 1

    pages = PublicPages(load=lambda: load_public_data(deps), marker=marker, poll_seconds=0.01)
    pages.refresh()
    kept = pages.current

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(pages.watch(stop))
        while calls["n"] < 4:
            await asyncio.sleep(0.01)
        stop.set()
        await task

    asyncio.run(run())

    assert pages.current is kept


def test_each_component_has_its_own_atom_and_rss_feed(stack: Stack, world: Any) -> None:
    import feedparser

    def titles(path: str) -> list[str]:
        response = stack.client.get(path)
        assert response.status_code == 200, path
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo
        return [e.title for e in parsed.entries]

    everything = titles("/history.atom")
    assert everything == ["ChatGPT, API and Sora unavailable", "Playground errors"]
    assert titles("/history.atom?component=Playground") == ["Playground errors"]
    assert titles("/history.atom?component=api") == ["ChatGPT, API and Sora unavailable"]
    assert titles("/history.rss?component=API") == ["ChatGPT, API and Sora unavailable"]
    feed = stack.client.get("/history.atom?component=API")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert "/history.atom?component=API" in feed.text  # its self link
    assert feedparser.parse(feed.content).feed.title == "Acme Status - Incident History - API"
    unknown = stack.client.get("/history.atom?component=Nope")
    assert unknown.status_code == 404
    assert "Feeds exist for: " in unknown.text
    assert "Playground" in unknown.text
    assert "API" in unknown.text
    # Each component's feed is cached as its own document: its own ETag, and 304 for it.
    whole = stack.client.get("/history.atom")
    assert feed.headers["etag"] != whole.headers["etag"]
    again = stack.client.get(
        "/history.atom?component=API", headers={"If-None-Match": feed.headers["etag"]}
    )
    assert again.status_code == 304
    other = stack.client.get(
        "/history.atom?component=Playground", headers={"If-None-Match": feed.headers["etag"]}
    )
    assert other.status_code == 200
    # Other paths ignore it.
    assert stack.client.get("/history?component=API").status_code == 200

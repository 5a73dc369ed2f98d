"""The Statuspage v2 JSON: strict shape of every endpoint, and what it says."""

from __future__ import annotations

import json
from typing import Any

import pytest

from commsbot.services.deps import Deps
from commsbot.services.statuspage import load_public_data
from commsbot.statuspage import v2
from commsbot.statuspage.data import component_id, group_id, public_id
from commsbot.statuspage.snapshot import render_snapshot
from tests.statuspage import shape
from tests.statuspage.scenario import (
    REJECTED,
    SECRET_DRAFT,
    SECRET_NOTE,
    UNPUBLISHED_TITLE,
    Built,
    fake_world,
)
from tests.unit.fakes import make_deps


@pytest.fixture(scope="module")
def world() -> tuple[Deps, Built, dict[str, Any]]:
    deps, _, _, built = fake_world()
    snapshot = render_snapshot(load_public_data(deps))
    docs = {p: json.loads(snapshot.documents[p].body) for p in v2.PATHS}
    return deps, built, docs


@pytest.mark.parametrize("path", v2.PATHS)
def test_every_endpoint_has_the_strict_shape(world: Any, path: str) -> None:
    shape.document(path, world[2][path])


@pytest.mark.parametrize("path", v2.PATHS)
def test_an_empty_page_has_the_strict_shape_and_empty_lists(path: str) -> None:
    deps, _, _ = make_deps()
    doc = json.loads(render_snapshot(load_public_data(deps)).documents[path].body)

    shape.document(path, doc)
    for key in ("components", "incidents", "scheduled_maintenances"):
        if key in doc:
            assert doc[key] == []
    if "status" in doc:
        assert doc["status"] == {"indicator": "none", "description": "All Systems Operational"}


def test_only_published_incidents_and_text_are_public(world: Any) -> None:
    _, built, docs = world
    text = json.dumps(docs)

    for secret in (SECRET_NOTE, SECRET_DRAFT, REJECTED, UNPUBLISHED_TITLE, "sam-approver"):
        assert secret not in text
    ids = {i["id"] for i in docs["/api/v2/incidents.json"]["incidents"]}
    assert ids == {built.open_id, built.resolved_id}


def test_summary_lists_the_unresolved_incident_with_its_updates_newest_first(world: Any) -> None:
    _, built, docs = world
    summary = docs["/api/v2/summary.json"]

    assert [i["id"] for i in summary["incidents"]] == [built.open_id]
    outage = summary["incidents"][0]
    assert outage["status"] == "identified"
    assert outage["impact"] == "critical"
    assert [u["status"] for u in outage["incident_updates"]] == ["identified", "investigating"]
    first = outage["incident_updates"][-1]
    assert first["affected_components"] == [
        {
            "code": component_id("ChatGPT"),
            "name": "ChatGPT",
            "old_status": "operational",
            "new_status": "major_outage",
        },
        {
            "code": component_id("API"),
            "name": "API",
            "old_status": "operational",
            "new_status": "major_outage",
        },
        {
            "code": component_id("Sora"),
            "name": "Sora",
            "old_status": "operational",
            "new_status": "partial_outage",
        },
    ]
    assert outage["incident_updates"][0]["affected_components"] is None
    assert summary["status"] == {"indicator": "critical", "description": "Major Service Outage"}


def test_a_resolved_incident_keeps_its_impact_and_ends_with_the_postmortem(world: Any) -> None:
    _, built, docs = world
    (blip,) = [
        i for i in docs["/api/v2/incidents.json"]["incidents"] if i["id"] == built.resolved_id
    ]

    assert blip["status"] == "postmortem"
    assert blip["impact"] == "minor"  # it was degraded_performance at worst
    assert [u["status"] for u in blip["incident_updates"]] == [
        "postmortem",
        "resolved",
        "investigating",
        "investigating",
    ]
    assert blip["resolved_at"] == blip["incident_updates"][1]["created_at"]


def test_components_come_in_order_with_their_group_row_before_the_first_child(
    world: Any,
) -> None:
    comps = world[2]["/api/v2/components.json"]["components"]

    assert [(c["name"], c["group"], c["status"]) for c in comps] == [
        ("ChatGPT", False, "major_outage"),
        ("Platform", True, "major_outage"),
        ("API", False, "major_outage"),
        ("Sora", False, "partial_outage"),
        ("Playground", False, "operational"),
    ]
    group = comps[1]
    assert group["id"] == group_id("Platform")
    assert group["components"] == [component_id("API"), component_id("Sora")]
    assert comps[2]["group_id"] == comps[3]["group_id"] == group["id"]
    assert comps[0]["description"] == "chatgpt.com and the apps"


def test_public_ids_are_stable_distinct_and_documented() -> None:
    assert component_id("API") == component_id("API")
    assert component_id("API") != component_id("api") != group_id("API")
    # Documented in commsbot/statuspage/data.py: base-36 digits of sha256("component\0" + name).
    import hashlib

    number = int.from_bytes(hashlib.sha256(b"component\0API").digest(), "big")
    digits = ""
    for _ in range(12):
        number, digit = divmod(number, 36)
        digits += "0123456789abcdefghijklmnopqrstuvwxyz"[digit]
    assert component_id("API") == digits == public_id("component", "API")


def test_the_same_data_renders_the_same_bytes_so_replicas_agree_on_etags() -> None:
    deps, _, clock, _ = fake_world()
    first = render_snapshot(load_public_data(deps))
    clock.advance(minutes=3)  # same day: nothing public changed
    second = render_snapshot(load_public_data(deps))

    for path in v2.PATHS:
        assert first.documents[path].etag == second.documents[path].etag

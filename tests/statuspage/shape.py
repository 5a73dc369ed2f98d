"""The public format of STATUSPAGE.md as checks: every key, no nulls where lists belong, ids of
12 lowercase letters and digits, timestamps with milliseconds and a zone, only allowed values."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

ID = re.compile(r"[a-z0-9]{12}")
STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")

INDICATORS = {
    "none": "All Systems Operational",
    "minor": "Partially Degraded Service",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
}
COMPONENT_STATUSES = {
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
}
INCIDENT_STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}
UNRESOLVED = {"investigating", "identified", "monitoring"}
IMPACTS = {"none", "minor", "major", "critical"}
MAINTENANCE_STATUSES = {"scheduled", "in_progress", "verifying", "completed"}

PAGE_KEYS = {"id", "name", "url", "time_zone", "updated_at"}
COMPONENT_KEYS = {
    "id", "name", "status", "created_at", "updated_at", "position", "description", "showcase",
    "start_date", "group_id", "page_id", "group", "only_show_if_degraded",
}  # fmt: skip
INCIDENT_KEYS = {
    "id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact",
    "shortlink", "started_at", "page_id", "incident_updates", "components",
}  # fmt: skip
UPDATE_KEYS = {
    "id", "status", "body", "incident_id", "created_at", "updated_at", "display_at",
    "affected_components", "deliver_notifications", "custom_tweet", "tweet_id",
}  # fmt: skip
AFFECTED_KEYS = {"code", "name", "old_status", "new_status"}
TOP_KEYS = {
    "/api/v2/summary.json": {"page", "components", "incidents", "scheduled_maintenances", "status"},
    "/api/v2/status.json": {"page", "status"},
    "/api/v2/components.json": {"page", "components"},
    "/api/v2/incidents.json": {"page", "incidents"},
    "/api/v2/incidents/unresolved.json": {"page", "incidents"},
    "/api/v2/scheduled-maintenances.json": {"page", "scheduled_maintenances"},
    "/api/v2/scheduled-maintenances/upcoming.json": {"page", "scheduled_maintenances"},
    "/api/v2/scheduled-maintenances/active.json": {"page", "scheduled_maintenances"},
}


def stamp(value: Any, *, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    assert isinstance(value, str), value
    assert STAMP.fullmatch(value), value
    # What strict readers do with it.
    assert datetime.strptime(value.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")


def an_id(value: Any) -> None:
    assert isinstance(value, str), value
    assert ID.fullmatch(value), value


def page(doc: dict[str, Any]) -> None:
    assert set(doc) == PAGE_KEYS
    an_id(doc["id"])
    assert isinstance(doc["name"], str)
    assert doc["name"]
    assert isinstance(doc["url"], str)
    assert doc["url"].startswith("http")
    assert isinstance(doc["time_zone"], str)
    stamp(doc["updated_at"])


def status(doc: dict[str, Any]) -> None:
    assert set(doc) == {"indicator", "description"}
    assert INDICATORS[doc["indicator"]] == doc["description"]


def component(doc: dict[str, Any], page_id: str) -> None:
    keys = COMPONENT_KEYS | ({"components"} if doc.get("group") else set())
    assert set(doc) == keys, set(doc) ^ keys
    an_id(doc["id"])
    assert isinstance(doc["name"], str)
    assert doc["name"]
    assert doc["status"] in COMPONENT_STATUSES
    stamp(doc["created_at"])
    stamp(doc["updated_at"])
    assert isinstance(doc["position"], int)
    assert doc["description"] is None or isinstance(doc["description"], str)
    assert isinstance(doc["showcase"], bool)
    assert doc["start_date"] is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", doc["start_date"])
    assert doc["group_id"] is None or ID.fullmatch(doc["group_id"])
    assert doc["page_id"] == page_id
    assert isinstance(doc["group"], bool)
    assert isinstance(doc["only_show_if_degraded"], bool)
    if doc["group"]:
        assert isinstance(doc["components"], list)
        assert doc["components"]
        for child in doc["components"]:
            an_id(child)
        assert doc["group_id"] is None


def update(doc: dict[str, Any], incident_id: str, *, maintenance: bool = False) -> None:
    assert set(doc) == UPDATE_KEYS, set(doc) ^ UPDATE_KEYS
    an_id(doc["id"])
    assert doc["status"] in (MAINTENANCE_STATUSES if maintenance else INCIDENT_STATUSES)
    assert isinstance(doc["body"], str)
    assert doc["body"]
    assert doc["incident_id"] == incident_id
    for key in ("created_at", "updated_at", "display_at"):
        stamp(doc[key])
    affected = doc["affected_components"]
    assert affected is None or (isinstance(affected, list) and affected)
    for item in affected or []:
        assert set(item) == AFFECTED_KEYS
        an_id(item["code"])
        assert item["old_status"] in COMPONENT_STATUSES
        assert item["new_status"] in COMPONENT_STATUSES
    assert isinstance(doc["deliver_notifications"], bool)
    assert doc["custom_tweet"] is None or isinstance(doc["custom_tweet"], str)
    assert doc["tweet_id"] is None or isinstance(doc["tweet_id"], str)


def incident(doc: dict[str, Any], page_id: str, base_url: str) -> None:
    assert set(doc) == INCIDENT_KEYS, set(doc) ^ INCIDENT_KEYS
    an_id(doc["id"])
    assert isinstance(doc["name"], str)
    assert doc["name"]
    assert doc["status"] in INCIDENT_STATUSES
    for key in ("created_at", "updated_at", "started_at"):
        stamp(doc[key])
    stamp(doc["monitoring_at"], nullable=True)
    stamp(doc["resolved_at"], nullable=True)
    assert (doc["resolved_at"] is None) == (doc["status"] in UNRESOLVED)
    assert doc["impact"] in IMPACTS
    assert doc["shortlink"] == f"{base_url}/incidents/{doc['id']}"
    assert doc["page_id"] == page_id
    assert isinstance(doc["incident_updates"], list)
    assert doc["incident_updates"]
    for item in doc["incident_updates"]:
        update(item, doc["id"])
    times = [u["display_at"] for u in doc["incident_updates"]]
    assert times == sorted(times, reverse=True), "updates newest first"
    assert doc["incident_updates"][0]["status"] == doc["status"]
    assert isinstance(doc["components"], list)
    for comp in doc["components"]:
        component(comp, page_id)


def scheduled_maintenance(doc: dict[str, Any], page_id: str, base_url: str) -> None:
    """An incident object plus ``scheduled_for``/``scheduled_until``; maintenance statuses."""
    keys = INCIDENT_KEYS | {"scheduled_for", "scheduled_until"}
    assert set(doc) == keys, set(doc) ^ keys
    an_id(doc["id"])
    assert isinstance(doc["name"], str)
    assert doc["name"]
    assert doc["status"] in MAINTENANCE_STATUSES
    for key in ("created_at", "updated_at", "started_at", "scheduled_for", "scheduled_until"):
        stamp(doc[key])
    assert doc["scheduled_for"] < doc["scheduled_until"]
    stamp(doc["monitoring_at"], nullable=True)
    stamp(doc["resolved_at"], nullable=True)
    assert (doc["resolved_at"] is None) == (doc["status"] != "completed")
    assert doc["impact"] in IMPACTS | {"maintenance"}
    assert doc["shortlink"] == f"{base_url}/incidents/{doc['id']}"
    assert doc["page_id"] == page_id
    assert isinstance(doc["incident_updates"], list)
    assert doc["incident_updates"]
    for item in doc["incident_updates"]:
        update(item, doc["id"], maintenance=True)
    times = [u["display_at"] for u in doc["incident_updates"]]
    assert times == sorted(times, reverse=True), "updates newest first"
    assert isinstance(doc["components"], list)
    for comp in doc["components"]:
        component(comp, page_id)


def document(path: str, doc: dict[str, Any]) -> None:
    """Check one endpoint's whole document."""
    assert set(doc) == TOP_KEYS[path], path
    page(doc["page"])
    page_id, base = doc["page"]["id"], doc["page"]["url"]
    for key, value in doc.items():
        assert value is not None, f"{path}: {key} is null"
    if "status" in doc:
        status(doc["status"])
    for comp in doc.get("components", []):
        component(comp, page_id)
    for inc in doc.get("incidents", []):
        incident(inc, page_id, base)
    if "incidents" in doc:
        assert isinstance(doc["incidents"], list)
    for item in doc.get("scheduled_maintenances", []):
        scheduled_maintenance(item, page_id, base)
    if "scheduled_maintenances" in doc:
        assert isinstance(doc["scheduled_maintenances"], list)
    statuses = {m["status"] for m in doc.get("scheduled_maintenances", [])}
    if path.endswith("upcoming.json"):
        assert statuses <= {"scheduled"}
    if path.endswith("active.json"):
        assert statuses <= {"in_progress", "verifying"}
    if path.endswith("summary.json"):
        assert statuses <= {"scheduled", "in_progress", "verifying"}
    if path.endswith("unresolved.json") or path.endswith("summary.json"):
        assert all(i["status"] in UNRESOLVED for i in doc["incidents"])

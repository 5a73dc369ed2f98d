"""The Statuspage API v2 documents (see STATUSPAGE.md), built from :class:`PublicData`.

Pure functions. Every key is always present, lists are ``[]`` and never ``null`` (only
``affected_components`` may be ``null``), timestamps are UTC with milliseconds and ``Z``.
Scheduled maintenances are announced ones only (nothing unapproved is public); their objects
come from :func:`commsbot.maintenance.render.scheduled_maintenance`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from commsbot.domain.model import Component, Impact, Update
from commsbot.domain.when import iso
from commsbot.maintenance import render as maintenance
from commsbot.maintenance.render import PublicMaintenance
from commsbot.statuspage.data import (
    PublicData,
    PublicIncident,
    component_id,
    group_id,
)
from commsbot.statuspage.history import worst

INDICATOR_DESCRIPTIONS = {
    Impact.NONE: "All Systems Operational",
    Impact.MINOR: "Partially Degraded Service",
    Impact.MAJOR: "Partial System Outage",
    Impact.CRITICAL: "Major Service Outage",
}

#: Path → document builder, for every JSON endpoint of the format.
PATHS = (
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
    "/api/v2/scheduled-maintenances.json",
    "/api/v2/scheduled-maintenances/upcoming.json",
    "/api/v2/scheduled-maintenances/active.json",
)


def page(data: PublicData) -> dict[str, Any]:
    return {
        "id": data.page_id,
        "name": data.page.name,
        "url": data.base_url,
        "time_zone": data.timezone,
        "updated_at": iso(data.updated_at),
    }


def indicator(data: PublicData) -> Impact:
    """The page's overall indicator: the worst unresolved incident or component."""
    impacts = [c.status.impact for c in data.components]
    impacts += [i.impact(data.all_components) for i in data.unresolved]
    return max(impacts, key=lambda i: i.rank, default=Impact.NONE)


def status(data: PublicData) -> dict[str, Any]:
    level = indicator(data)
    return {"indicator": level.value, "description": INDICATOR_DESCRIPTIONS[level]}


def component(data: PublicData, comp: Component) -> dict[str, Any]:
    """One component row (a child of a group carries ``group_id``)."""
    stamp = iso(comp.updated_at or data.updated_at)
    return {
        "id": component_id(comp.name),
        "name": comp.name,
        "status": comp.status.value,
        "created_at": stamp,
        "updated_at": stamp,
        "position": comp.position,
        "description": comp.description or None,
        "showcase": True,
        "start_date": None,
        "group_id": group_id(comp.group) if comp.group else None,
        "page_id": data.page_id,
        "group": False,
        "only_show_if_degraded": False,
    }


def _group(data: PublicData, name: str, children: Sequence[Component]) -> dict[str, Any]:
    moments = [c.updated_at for c in children if c.updated_at is not None]
    stamp = iso(max(moments, default=data.updated_at))
    return {
        "id": group_id(name),
        "name": name,
        "status": worst(c.status for c in children).value,
        "created_at": stamp,
        "updated_at": stamp,
        "position": min(c.position for c in children),
        "description": None,
        "showcase": False,
        "start_date": None,
        "group_id": None,
        "page_id": data.page_id,
        "group": True,
        "only_show_if_degraded": False,
        "components": [component_id(c.name) for c in children],
    }


def components(data: PublicData) -> list[dict[str, Any]]:
    """Every listed component in display order, each group's row just before its first child."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for comp in data.components:
        if comp.group and comp.group not in seen:
            seen.add(comp.group)
            children = [c for c in data.components if c.group == comp.group]
            rows.append(_group(data, comp.group, children))
        rows.append(component(data, comp))
    return rows


def incident_update(update: Update) -> dict[str, Any]:
    stamp = iso(update.published_at)
    affected = [
        {
            "code": component_id(c.name),
            "name": c.name,
            "old_status": c.old.value,
            "new_status": c.new.value,
        }
        for c in update.changes
    ]
    return {
        "id": update.id,
        "status": update.statuspage_status,
        "body": update.body,
        "incident_id": update.incident_id,
        "created_at": stamp,
        "updated_at": stamp,
        "display_at": stamp,
        "affected_components": affected or None,
        "deliver_notifications": update.deliver_notifications,
        "custom_tweet": None,
        "tweet_id": None,
    }


def incident(data: PublicData, item: PublicIncident) -> dict[str, Any]:
    """One incident with its updates, newest first, and its components as they are now."""
    monitoring_at = None
    for update in item.updates:
        if update.statuspage_status == "monitoring" and monitoring_at is None:
            monitoring_at = update.published_at
        elif update.statuspage_status in ("investigating", "identified"):
            monitoring_at = None  # the fix did not hold: no longer monitoring
    inc = item.incident
    named = [data.all_components[n] for n in inc.components if n in data.all_components]
    return {
        "id": inc.id,
        "name": inc.title,
        "status": item.statuspage_status,
        "created_at": iso(inc.declared_at),
        "updated_at": iso(item.last.published_at),
        "monitoring_at": iso(monitoring_at),
        "resolved_at": iso(inc.resolved_at),
        "impact": item.impact(data.all_components).value,
        "shortlink": data.incident_url(inc.id),
        "started_at": iso(inc.declared_at),
        "page_id": data.page_id,
        "incident_updates": [incident_update(u) for u in reversed(item.updates)],
        "components": [component(data, c) for c in named],
    }


def scheduled_maintenance(data: PublicData, item: PublicMaintenance) -> dict[str, Any]:
    """One ``scheduled_maintenance``: its notices newest first, its components as they are."""
    named = [
        data.all_components[n] for n in item.maintenance.components if n in data.all_components
    ]
    return maintenance.scheduled_maintenance(
        item,
        page_id=data.page_id,
        shortlink=data.incident_url(item.id),
        components=[component(data, c) for c in named],
        code=component_id,
    )


def documents(data: PublicData) -> dict[str, dict[str, Any]]:
    """Every JSON endpoint's document, by path."""
    head = page(data)
    comps = components(data)
    recent = [incident(data, i) for i in data.recent]
    unresolved = [incident(data, i) for i in data.unresolved]
    overall = status(data)
    upcoming = [scheduled_maintenance(data, m) for m in maintenance.upcoming(data.maintenances)]
    active = [scheduled_maintenance(data, m) for m in maintenance.active(data.maintenances)]
    every = [scheduled_maintenance(data, m) for m in maintenance.recent(data.maintenances)]
    return {
        "/api/v2/summary.json": {
            "page": head,
            "components": comps,
            "incidents": unresolved,
            # Statuspage's summary lists the maintenances in progress and the upcoming ones.
            "scheduled_maintenances": active + upcoming,
            "status": overall,
        },
        "/api/v2/status.json": {"page": head, "status": overall},
        "/api/v2/components.json": {"page": head, "components": comps},
        "/api/v2/incidents.json": {"page": head, "incidents": recent},
        "/api/v2/incidents/unresolved.json": {"page": head, "incidents": unresolved},
        "/api/v2/scheduled-maintenances.json": {"page": head, "scheduled_maintenances": every},
        "/api/v2/scheduled-maintenances/upcoming.json": {
            "page": head,
            "scheduled_maintenances": upcoming,
        },
        "/api/v2/scheduled-maintenances/active.json": {
            "page": head,
            "scheduled_maintenances": active,
        },
    }

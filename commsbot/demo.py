"""``commsbot demo``: the 11 December 2024 outage, replayed through the real use cases.

ChatGPT, the API and Sora were down from about 3:16 PM to 7:38 PM PST. The replay runs on a
throwaway SQLite database with a clock set to that afternoon, and shows each draft, each
approval (and the refusals four eyes on the final text make), each published update, the
reminder planned for the time it promises, and the timeline; then it writes the incident's
postmortem (Markdown, its SVG chart, HTML) into a folder it names, so the story ends on paper.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from commsbot.domain.errors import CommsbotError
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import ComponentStatus, Severity
from commsbot.domain.policy import Actor
from commsbot.domain.when import iso
from commsbot.reminders.model import ReminderKind
from commsbot.render import detail_text, draft_block, update_block
from commsbot.services.drafts import approve_draft, edit_draft, propose_update
from commsbot.services.incidents import add_note, declare, show_incident
from commsbot.services.reminders import list_reminders
from commsbot.services.results import draft_dict, update_dict
from commsbot.settings import parse_settings
from commsbot.templates import format_time

ZONE = ZoneInfo("America/Los_Angeles")
PRODUCTS = ("ChatGPT", "API", "Sora")
IC = Actor("maya", display="Maya (incident commander)")
COMMS = Actor("sam", display="Sam (comms lead)")


class ReplayClock:
    """A clock that shows the afternoon of 11 December 2024, Pacific time."""

    def __init__(self) -> None:
        self.current = self.at(15, 16)

    @staticmethod
    def at(hour: int, minute: int, second: int = 0) -> datetime:
        return datetime(2024, 12, 11, hour, minute, second, tzinfo=ZONE).astimezone(UTC)

    def set(self, hour: int, minute: int, second: int = 0) -> None:
        self.current = self.at(hour, minute, second)

    def now(self) -> datetime:
        return self.current


def replay(*, as_json: bool, out: TextIO, postmortem_dir: Path) -> None:
    """Run the replay and print it (as text, or as one JSON object), then write the incident's
    postmortem into ``postmortem_dir`` (made if missing; the files are replaced whole).

    Raises:
        NotWritten: ``postmortem_dir`` cannot be written (nothing there was changed).
    """
    from commsbot.bootstrap import build
    from commsbot.engines.documents import write_postmortem
    from commsbot.services.postmortems import load_postmortem

    steps: list[dict[str, Any]] = []
    clock = ReplayClock()
    with tempfile.TemporaryDirectory(prefix="commsbot-demo-") as folder:
        settings = parse_settings(
            {
                "timezone": "America/Los_Angeles",
                "database_url": f"sqlite:///{Path(folder) / 'demo.db'}",
                "page": {"name": "OpenAI (demo)"},
                "components": [{"name": name} for name in PRODUCTS],
            }
        )
        deps = build(settings, clock=clock).deps

        def say(kind: str, text: str, data: dict[str, Any] | None = None) -> None:
            steps.append({"at": clock.now().isoformat(), "step": kind, **(data or {})})
            if not as_json:
                stamp = clock.now().astimezone(ZONE).strftime("%-I:%M %p")
                out.write(f"\n[{stamp}] {text}\n")

        def refused(kind: str, attempt: Callable[[], object]) -> None:
            try:
                attempt()
            except CommsbotError as exc:
                say(kind, f"refused, as it should be: {exc}", {"refused": str(exc)})
            else:  # pragma: no cover - the replay checks its own story
                raise AssertionError(f"{kind} should have been refused")

        def publish(draft_id: str, version: int | None = None, approver: Actor = COMMS) -> None:
            published = approve_draft(deps, draft_id=draft_id, actor=approver, version=version)
            block = "\n".join(update_block(published.update, ZONE))
            # The promise kept: the reminder is planned for the time the text states.
            due = [
                r.reminder
                for r in list_reminders(deps, incident_ref=published.incident.incident.ref)
                if r.reminder.kind is ReminderKind.UPDATE_DUE
            ]
            planned = "".join(
                f"\nreminder planned: next update due {format_time(r.due_at, ZONE)}" for r in due
            )
            say(
                "published",
                f"{approver.name} approves; published:\n{block}{planned}",
                {
                    "update": update_dict(published.update),
                    "update_due_reminders": [iso(r.due_at) for r in due],
                },
            )

        def drafted(kind: str, draft: Any, by: Actor = IC) -> None:
            block = "\n".join(draft_block(draft, ZONE))
            verb = "edits" if kind == "edited" else "drafts"
            say(kind, f"{by.name} {verb}:\n{block}", {"draft": draft_dict(draft)})

        declared = declare(
            deps,
            title="ChatGPT, API and Sora unavailable",
            severity=Severity.SEV1,
            components=dict.fromkeys(PRODUCTS, ComponentStatus.MAJOR_OUTAGE),
            actor=IC,
        )
        incident = declared.incident.incident.ref
        drafted("declared", declared.draft)
        refused("self-approval", lambda: approve_draft(deps, draft_id=declared.draft.id, actor=IC))
        clock.set(15, 19)
        publish(declared.draft.id)

        clock.set(15, 52)
        add_note(
            deps,
            incident_ref=incident,
            text="Control plane API servers at 100% CPU; DNS lookups from workloads failing",
            actor=IC,
        )
        identified = propose_update(deps, incident_ref=incident, status=Status.IDENTIFIED, actor=IC)
        drafted("drafted", identified.draft)
        clock.set(15, 55)
        # The comms lead rewrites the wording and the promise: now someone else must approve.
        edited = edit_draft(
            deps,
            draft_id=identified.draft.id,
            actor=COMMS,
            body="We've identified the issue: a new telemetry service overloaded part of our "
            "infrastructure, which broke service discovery. We're working on a fix for ChatGPT, "
            "API and Sora. Next update by {next_update_by}.",
            next_update="16:25",
        )
        drafted("edited", edited.draft, by=COMMS)
        refused(
            "stale approval",
            lambda: approve_draft(deps, draft_id=identified.draft.id, actor=IC, version=1),
        )
        refused(
            "editor's approval",
            lambda: approve_draft(
                deps, draft_id=identified.draft.id, actor=COMMS, version=edited.draft.version
            ),
        )
        clock.set(15, 57)
        publish(identified.draft.id, version=edited.draft.version, approver=IC)

        clock.set(17, 40)
        fixing = propose_update(
            deps,
            incident_ref=incident,
            status=Status.FIXING,
            actor=IC,
            component_changes=dict.fromkeys(PRODUCTS, ComponentStatus.PARTIAL_OUTAGE),
        )
        drafted("drafted", fixing.draft)
        clock.set(17, 43)
        publish(fixing.draft.id)

        # Recovered at 7:38 PM PST, as the story is told (DESIGN.md): the recovery's text (which
        # states the time it was drafted), its publication and the postmortem all say so.
        clock.set(19, 38)
        refused(
            "recovery with components down",
            lambda: propose_update(deps, incident_ref=incident, status=Status.RECOVERED, actor=IC),
        )
        recovered = propose_update(
            deps,
            incident_ref=incident,
            status=Status.RECOVERED,
            actor=IC,
            component_changes=dict.fromkeys(PRODUCTS, ComponentStatus.OPERATIONAL),
        )
        drafted("drafted", recovered.draft)
        clock.set(19, 38, 20)
        publish(recovered.draft.id)

        detail = show_incident(deps, incident_ref=incident)
        files = write_postmortem(
            load_postmortem(deps, incident_ref=incident), directory=postmortem_dir, zone=ZONE
        )
        written = [p for p in (files.markdown, files.chart, files.html) if p is not None]
        if as_json:
            out.write(
                json.dumps(
                    {"incident": detail.as_dict(), "steps": steps, "postmortem": files.as_dict()}
                )
                + "\n"
            )
        else:
            out.write("\n" + "=" * 72 + "\n" + detail_text(detail, ZONE) + "\n")
            out.write(
                f"\nThe postmortem of {incident}, written from its timeline "
                "(commsbot postmortem does this for any incident):\n"
                + "".join(f"  {p}\n" for p in written)
            )

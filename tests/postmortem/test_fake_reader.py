"""The in-memory fakes read postmortems as the store does (for unit tests of the use cases)."""

from __future__ import annotations

from datetime import timedelta

from commsbot.domain.model import ComponentStatus, Severity
from commsbot.domain.policy import Actor
from commsbot.services.drafts import approve_draft
from commsbot.services.incidents import declare
from commsbot.services.postmortems import load_postmortem, team_metrics
from tests.unit.fakes import make_deps


def test_load_postmortem_on_the_fakes_gives_the_published_update_and_its_figures() -> None:
    deps, _, clock = make_deps()
    made = declare(deps, title="API down", severity=Severity.SEV2, actor=Actor("maya"),
                   components={"API": ComponentStatus.MAJOR_OUTAGE})  # fmt: skip
    clock.advance(minutes=4)
    approve_draft(deps, draft_id=made.draft.id, actor=Actor("sam"))

    facts = load_postmortem(deps, incident_ref="INC-1")

    [update] = facts.updates
    assert (update.seq, update.approver, update.authors) == (1, "sam", ("maya",))
    assert update.published_at - update.drafted_at == timedelta(minutes=4)
    sev2 = team_metrics(deps).by_severity[Severity.SEV2]
    assert (sev2.incidents, sev2.time_to_first_update.total) == (1, 240.0)

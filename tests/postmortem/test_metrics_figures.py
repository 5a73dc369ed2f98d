"""The comms figures /metrics exposes, folded by severity: known answers on hand-built incidents,
and the report's start parsed from what people type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from commsbot.domain.errors import InvalidInput
from commsbot.domain.model import Severity
from commsbot.postmortem.metrics import Histogram, comms_metrics
from commsbot.postmortem.report import parse_since
from tests.postmortem import fixtures as fx

INF = float("inf")


def buckets(histogram: Histogram) -> dict[float, int]:
    return dict(histogram.cumulative())


def test_sev1_histograms_and_counters_known_answers() -> None:
    # Dec 11 (recovered, RCA on time) and an open sev1 whose one promise is overdue.
    sev1 = comms_metrics([fx.dec11(with_rca=True), fx.still_open()]).by_severity[Severity.SEV1]

    assert sev1.incidents == 2
    # First public update after 3 and 4 minutes.
    first = sev1.time_to_first_update
    assert (first.count, first.total) == (2, 420.0)
    assert buckets(first)[120.0] == 0
    assert buckets(first)[300.0] == 2
    # Approvals: 3, 5, 3, 2 min (the RCA's left out) and 4 min.
    approvals = sev1.approval_latency
    assert (approvals.count, approvals.total) == (5, 1020.0)
    assert (buckets(approvals)[60.0], buckets(approvals)[120.0], buckets(approvals)[300.0]) == (
        0, 1, 5,
    )  # fmt: skip
    # Promises: 8 and 78 min late, one kept, one overdue by 16 min so far.
    assert (sev1.promises_kept, sev1.promises_broken) == (1, 3)
    late = sev1.update_lateness
    assert (late.count, late.total) == (4, (0 + 8 + 78 + 16) * 60.0)
    assert buckets(late) == {
        0.0: 1, 60.0: 1, 300.0: 1, 600.0: 2, 900.0: 2, 1800.0: 3, 3600.0: 3, 7200.0: 4, INF: 4,
    }  # fmt: skip
    # Recovered after 4 h 22 min; the open one has no time to recover yet.
    assert (sev1.time_to_recover.count, sev1.time_to_recover.total) == (1, 262 * 60.0)
    assert buckets(sev1.time_to_recover)[4 * 3600.0] == 0
    assert buckets(sev1.time_to_recover)[8 * 3600.0] == 1
    assert (sev1.rca_on_time, sev1.rca_late) == (1, 0)


def test_every_severity_is_there_and_each_incident_counts_once() -> None:
    found = comms_metrics(
        [fx.reopened(), fx.corrected(), fx.no_update(), fx.sev4_quiet()]
    ).by_severity
    assert set(found) == set(Severity)
    sev2, sev3, sev4 = found[Severity.SEV2], found[Severity.SEV3], found[Severity.SEV4]
    # Reopened (twice): kept once, 15 min late once; nothing published for the third.
    assert (sev2.incidents, sev2.promises_kept, sev2.promises_broken) == (3, 2, 2)
    assert sev2.time_to_first_update.count == 2
    assert sev2.time_to_recover.total == 2 * 105 * 60.0
    assert (sev2.rca_on_time, sev2.rca_late) == (0, 0)  # due on the 5th: not yet judged
    assert sev3.incidents == 0
    assert sev3.time_to_first_update.cumulative()[-1] == (INF, 0)
    assert (sev4.incidents, sev4.promises_kept + sev4.promises_broken) == (1, 0)
    assert sev4.time_to_first_update.total == 30 * 60.0


def test_an_rca_past_its_due_date_counts_as_late() -> None:
    late = fx.dec11(as_of=fx.pst(18, 0, day=16))  # no RCA, due the 16th at 17:00
    found = comms_metrics([late]).by_severity[Severity.SEV1]
    assert (found.rca_on_time, found.rca_late) == (0, 1)


NOW = datetime(2024, 12, 20, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90d", NOW - timedelta(days=90)),
        (" 12W ", NOW - timedelta(weeks=12)),
        ("48h", NOW - timedelta(hours=48)),
        ("all", None),
        # Midnight in the team's zone, not UTC's.
        ("2024-12-01", datetime(2024, 12, 1, 8, 0, tzinfo=UTC)),
        ("2024-12-11T15:16", datetime(2024, 12, 11, 23, 16, tzinfo=UTC)),
        ("2024-12-11T23:16:00Z", datetime(2024, 12, 11, 23, 16, tzinfo=UTC)),
    ],
)
def test_since_takes_spans_dates_times_and_all(text: str, expected: datetime | None) -> None:
    assert parse_since(text, now=NOW, zone=fx.PST) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("soon", "is not a time"),
        ("0d", "is not a time"),
        ("90", "is not a time"),
        ("99999w", "over 100 years"),
        ("2025-01-01", "in the future"),
    ],
)
def test_since_refuses_what_it_cannot_read_naming_the_field(text: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says) as refused:
        parse_since(text, now=NOW, zone=fx.PST)
    assert refused.value.field == "since"
    assert "90d" in str(refused.value) or "future" in says

"""Every (status, trigger) pair of the maintenance lifecycle against its one transition table."""

from __future__ import annotations

import itertools

import pytest

from commsbot.domain.errors import InvalidTransition
from commsbot.domain.maintenance import (
    TRANSITIONS,
    MaintenanceStatus,
    MaintenanceTrigger,
    shown_status,
    transition,
)
from commsbot.domain.model import ComponentStatus

M, T = MaintenanceStatus, MaintenanceTrigger

# Written out by hand from issue 13 (scheduled → in_progress → verifying → completed, cancelled
# from scheduled), independently of the table in the code.
EXPECTED: dict[tuple[MaintenanceStatus, MaintenanceTrigger], MaintenanceStatus | None] = {
    (M.SCHEDULED, T.ANNOUNCE): M.SCHEDULED,
    (M.SCHEDULED, T.PROGRESS): M.SCHEDULED,
    (M.SCHEDULED, T.EXTEND): M.SCHEDULED,
    (M.SCHEDULED, T.START): M.IN_PROGRESS,
    (M.SCHEDULED, T.VERIFY): None,
    (M.SCHEDULED, T.RESUME): None,
    (M.SCHEDULED, T.COMPLETE): None,
    (M.SCHEDULED, T.CANCEL): M.CANCELLED,
    (M.IN_PROGRESS, T.ANNOUNCE): None,
    (M.IN_PROGRESS, T.PROGRESS): M.IN_PROGRESS,
    (M.IN_PROGRESS, T.EXTEND): M.IN_PROGRESS,
    (M.IN_PROGRESS, T.START): None,
    (M.IN_PROGRESS, T.VERIFY): M.VERIFYING,
    (M.IN_PROGRESS, T.RESUME): None,
    (M.IN_PROGRESS, T.COMPLETE): M.COMPLETED,
    (M.IN_PROGRESS, T.CANCEL): None,
    (M.VERIFYING, T.ANNOUNCE): None,
    (M.VERIFYING, T.PROGRESS): M.VERIFYING,
    (M.VERIFYING, T.EXTEND): M.VERIFYING,
    (M.VERIFYING, T.START): None,
    (M.VERIFYING, T.VERIFY): None,
    (M.VERIFYING, T.RESUME): M.IN_PROGRESS,
    (M.VERIFYING, T.COMPLETE): M.COMPLETED,
    (M.VERIFYING, T.CANCEL): None,
    **{(M.COMPLETED, t): None for t in MaintenanceTrigger},
    **{(M.CANCELLED, t): None for t in MaintenanceTrigger},
}


def test_expectations_cover_every_pair() -> None:
    assert set(EXPECTED) == set(itertools.product(MaintenanceStatus, MaintenanceTrigger))


@pytest.mark.parametrize(("status", "trigger"), sorted(EXPECTED, key=str))
def test_every_pair(status: MaintenanceStatus, trigger: MaintenanceTrigger) -> None:
    expected = EXPECTED[(status, trigger)]
    assert TRANSITIONS.get((status, trigger)) == expected
    if expected is not None:
        assert transition(status, trigger) is expected
        return
    with pytest.raises(InvalidTransition) as err:
        transition(status, trigger)
    message = str(err.value)
    assert f"cannot {trigger.value} a maintenance that is {status.value}" in message
    if status.finished:
        assert "no further moves" in message
    else:
        # Says what would be allowed instead, each move with where it goes.
        assert "allowed moves are" in message
        assert all(
            f"{t.value} (→ {n.value})" in message
            for (s, t), n in TRANSITIONS.items()
            if s is status
        )


def test_cancelling_work_under_way_says_to_complete_it() -> None:
    with pytest.raises(InvalidTransition, match="complete it"):
        transition(M.IN_PROGRESS, T.CANCEL)


def test_statuspage_names_stay_within_its_four() -> None:
    assert {s.statuspage for s in MaintenanceStatus} == {
        "scheduled",
        "in_progress",
        "verifying",
        "completed",
    }
    assert M.CANCELLED.statuspage == "completed"
    assert M.IN_PROGRESS.label == "In progress"


def test_active_and_finished() -> None:
    assert [s for s in MaintenanceStatus if s.active] == [M.IN_PROGRESS, M.VERIFYING]
    assert [s for s in MaintenanceStatus if s.finished] == [M.COMPLETED, M.CANCELLED]


C = ComponentStatus


@pytest.mark.parametrize(
    ("status", "under", "shown"),
    [
        (C.OPERATIONAL, False, C.OPERATIONAL),
        (C.OPERATIONAL, True, C.UNDER_MAINTENANCE),
        (C.UNDER_MAINTENANCE, False, C.UNDER_MAINTENANCE),
        (C.UNDER_MAINTENANCE, True, C.UNDER_MAINTENANCE),
        # An incident that holds a component down shows through a maintenance, both ways.
        (C.DEGRADED_PERFORMANCE, True, C.DEGRADED_PERFORMANCE),
        (C.PARTIAL_OUTAGE, True, C.PARTIAL_OUTAGE),
        (C.MAJOR_OUTAGE, True, C.MAJOR_OUTAGE),
        (C.MAJOR_OUTAGE, False, C.MAJOR_OUTAGE),
    ],
)
def test_shown_status_is_the_worse_of_the_two(
    status: ComponentStatus, under: bool, shown: ComponentStatus
) -> None:
    assert shown_status(status, under_maintenance=under) is shown

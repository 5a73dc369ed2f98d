"""Every (status, trigger) pair against the one transition table."""

from __future__ import annotations

import itertools

import pytest

from commsbot.domain.errors import InvalidTransition
from commsbot.domain.lifecycle import (
    TRANSITIONS,
    Status,
    Trigger,
    allowed_targets,
    move_to,
    transition,
)

S, T = Status, Trigger

# Written out by hand from DESIGN.md, independently of the table in the code.
EXPECTED: dict[tuple[Status, Trigger], Status | None] = {
    (S.INVESTIGATING, T.PROGRESS): S.INVESTIGATING,
    (S.INVESTIGATING, T.INVESTIGATE): None,
    (S.INVESTIGATING, T.IDENTIFY): S.IDENTIFIED,
    (S.INVESTIGATING, T.FIX): S.FIXING,
    (S.INVESTIGATING, T.RECOVER): S.RECOVERED,
    (S.INVESTIGATING, T.REOPEN): None,
    (S.INVESTIGATING, T.POSTMORTEM): None,
    (S.IDENTIFIED, T.PROGRESS): S.IDENTIFIED,
    (S.IDENTIFIED, T.INVESTIGATE): S.INVESTIGATING,
    (S.IDENTIFIED, T.IDENTIFY): None,
    (S.IDENTIFIED, T.FIX): S.FIXING,
    (S.IDENTIFIED, T.RECOVER): S.RECOVERED,
    (S.IDENTIFIED, T.REOPEN): None,
    (S.IDENTIFIED, T.POSTMORTEM): None,
    (S.FIXING, T.PROGRESS): S.FIXING,
    (S.FIXING, T.INVESTIGATE): S.INVESTIGATING,
    (S.FIXING, T.IDENTIFY): S.IDENTIFIED,
    (S.FIXING, T.FIX): None,
    (S.FIXING, T.RECOVER): S.RECOVERED,
    (S.FIXING, T.REOPEN): None,
    (S.FIXING, T.POSTMORTEM): None,
    (S.RECOVERED, T.PROGRESS): None,
    (S.RECOVERED, T.INVESTIGATE): None,
    (S.RECOVERED, T.IDENTIFY): None,
    (S.RECOVERED, T.FIX): None,
    (S.RECOVERED, T.RECOVER): None,
    (S.RECOVERED, T.REOPEN): S.INVESTIGATING,
    (S.RECOVERED, T.POSTMORTEM): S.RECOVERED,
}


def test_expectations_cover_every_pair() -> None:
    assert set(EXPECTED) == set(itertools.product(Status, Trigger))


@pytest.mark.parametrize(("status", "trigger"), sorted(EXPECTED, key=str))
def test_every_pair(status: Status, trigger: Trigger) -> None:
    expected = EXPECTED[(status, trigger)]
    assert TRANSITIONS.get((status, trigger)) == expected
    if expected is None:
        with pytest.raises(InvalidTransition) as err:
            transition(status, trigger, reason="because")
        message = str(err.value)
        assert trigger.value in message
        assert status.value in message
        assert "allowed moves are" in message
    else:
        assert transition(status, trigger, reason="because") is expected


def test_reopen_needs_a_reason() -> None:
    with pytest.raises(InvalidTransition, match="without a reason"):
        transition(S.RECOVERED, T.REOPEN)
    with pytest.raises(InvalidTransition, match="without a reason"):
        transition(S.RECOVERED, T.REOPEN, reason="   ")
    assert transition(S.RECOVERED, T.REOPEN, reason="errors are back") is S.INVESTIGATING


@pytest.mark.parametrize(("current", "target"), list(itertools.product(Status, Status)))
def test_move_to_names_the_right_trigger(current: Status, target: Status) -> None:
    allowed = target in allowed_targets(current) and not (
        current is S.RECOVERED and target is S.RECOVERED
    )
    if allowed:
        trigger = move_to(current, target, reason="why")
        assert TRANSITIONS[(current, trigger)] is target
    else:
        with pytest.raises(InvalidTransition) as err:
            move_to(current, target, reason="why")
        assert current.value in str(err.value)


def test_skips_forward_and_falls_back() -> None:
    assert move_to(S.INVESTIGATING, S.RECOVERED) is T.RECOVER
    assert move_to(S.FIXING, S.INVESTIGATING) is T.INVESTIGATE
    assert move_to(S.FIXING, S.FIXING) is T.PROGRESS


def test_recovered_takes_only_postmortem_or_reopen() -> None:
    with pytest.raises(InvalidTransition, match="postmortem"):
        move_to(S.RECOVERED, S.RECOVERED)
    with pytest.raises(InvalidTransition, match="postmortem"):
        move_to(S.RECOVERED, S.FIXING)
    assert move_to(S.RECOVERED, S.RECOVERED, postmortem=True) is T.POSTMORTEM


def test_postmortem_only_after_recovery() -> None:
    with pytest.raises(InvalidTransition, match="cannot postmortem an incident that is fixing"):
        move_to(S.FIXING, S.RECOVERED, postmortem=True)


def test_statuspage_names() -> None:
    assert [s.statuspage for s in Status] == [
        "investigating",
        "identified",
        "monitoring",
        "resolved",
    ]

"""Every domain object through the real store and back, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import StatementError

from commsbot.domain.errors import NotFound
from commsbot.domain.lifecycle import Status, Trigger
from commsbot.domain.model import (
    Component,
    ComponentChange,
    ComponentStatus,
    DraftState,
    Severity,
    TimelineEntry,
    Update,
)
from tests.integration.builders import (
    PST,
    T0,
    UowFactory,
    approve,
    draft,
    incident,
    make_id,
    note,
    seed,
)


def _assert_utc(*times: datetime | None) -> None:
    for value in times:
        assert value is not None
        assert value.tzinfo is not None
        assert value.utcoffset() == timedelta(0)


def test_incident_round_trip_keeps_every_field_and_component_order(uow_factory: UowFactory) -> None:
    stored = incident(
        7,
        components=["Sora", "API", "ChatGPT"],
        status=Status.FIXING,
        severity=Severity.SEV2,
        # Stored in UTC whatever zone it came in: read back as the same instant, in UTC.
        declared_at=datetime(2024, 12, 11, 15, 16, tzinfo=PST),
        resolved_at=T0 + timedelta(hours=4, minutes=22, microseconds=123456),
        published_count=3,
    )
    with uow_factory() as u:
        u.incidents.add(stored)
        u.commit()

    with uow_factory() as u:
        loaded = u.incidents.get(stored.id)

    assert loaded == replace(stored, version=1)
    assert loaded.declared_at == T0
    _assert_utc(loaded.declared_at, loaded.updated_at, loaded.resolved_at)


def test_save_changes_fields_and_components_and_bumps_the_version(uow_factory: UowFactory) -> None:
    inc, _ = seed(uow_factory)
    with uow_factory() as u:
        loaded = u.incidents.get(inc.ref)
        loaded.status = Status.IDENTIFIED
        loaded.components = ["API", "Gemini", "ChatGPT"]
        u.incidents.save(loaded)
        u.commit()
    assert loaded.version == 2

    with uow_factory() as u:
        again = u.incidents.get(inc.id)
    assert (again.status, again.components, again.version) == (
        Status.IDENTIFIED,
        ["API", "Gemini", "ChatGPT"],
        2,
    )


def test_a_change_to_components_alone_still_takes_the_lock(uow_factory: UowFactory) -> None:
    inc, _ = seed(uow_factory)
    with uow_factory() as u:
        loaded = u.incidents.get(inc.id)
        loaded.components.append("Gemini")
        u.incidents.save(loaded)
        u.commit()

    assert loaded.version == 2


@pytest.mark.parametrize("ref", ["inc000000001", "INC000000001", "1", " 1 ", "INC-1", "inc-1"])
def test_get_accepts_id_number_and_reference(uow_factory: UowFactory, ref: str) -> None:
    inc, _ = seed(uow_factory)
    with uow_factory() as u:
        assert u.incidents.get(ref).id == inc.id


@pytest.mark.parametrize(
    ("ref", "says"),
    [
        ("INC-99", "there is no incident 'INC-99'"),
        ("99", "there is no incident '99'"),
        ("abcdefghijkl", "there is no incident 'abcdefghijkl'"),
        ("INC-99999999999999999999", "there is no incident"),
        ("9" * 5000, "there is no incident"),
        ("banana", "'banana' is not an incident reference"),
        ("  ", "no incident was named"),
    ],
)
def test_get_unknown_incident_says_what_was_looked_for_and_what_is_valid(
    uow_factory: UowFactory, ref: str, says: str
) -> None:
    seed(uow_factory)
    with uow_factory() as u, pytest.raises(NotFound) as caught:
        u.incidents.get(ref)

    assert says in str(caught.value)
    assert "its number (42), its reference (INC-42) or its 12-character id" in str(caught.value)


def test_list_is_newest_first_with_limit_and_open_only(uow_factory: UowFactory) -> None:
    with uow_factory() as u:
        for n in (1, 2, 3, 4):
            status = Status.RECOVERED if n in (2, 4) else Status.INVESTIGATING
            u.incidents.add(incident(n, status=status, components=[f"c{n}", "shared"]))
        u.commit()

    with uow_factory() as u:
        everything = u.incidents.list()
        open_ones = u.incidents.list(open_only=True)
        newest_two = u.incidents.list(limit=2)

    assert [i.number for i in everything] == [4, 3, 2, 1]
    assert [i.number for i in open_ones] == [3, 1]
    assert [i.number for i in newest_two] == [4, 3]
    assert everything[0].components == ["c4", "shared"]


def test_next_number_starts_at_one_and_follows_the_highest(uow_factory: UowFactory) -> None:
    with uow_factory() as u:
        assert u.incidents.next_number() == 1
        u.incidents.add(incident(41))
        assert u.incidents.next_number() == 42


def test_draft_round_trip_keeps_change_order_and_decision(uow_factory: UowFactory) -> None:
    inc, _ = seed(uow_factory, with_draft=False)
    changes = {
        "Sora": ComponentStatus.PARTIAL_OUTAGE,
        "API": ComponentStatus.DEGRADED_PERFORMANCE,
        "ChatGPT": ComponentStatus.OPERATIONAL,
    }
    stored = draft(
        inc,
        component_changes=changes,
        status=Status.RECOVERED,
        postmortem=True,
        reason="root cause: telemetry overload",
        version=3,
        state=DraftState.REJECTED,
        decided_by="bob",
        decided_at=datetime(2024, 12, 11, 19, 38, tzinfo=PST),
        decision_note="not yet",
    )
    with uow_factory() as u:
        u.drafts.add(stored)
        u.commit()

    with uow_factory() as u:
        loaded = u.drafts.get(stored.id)

    assert loaded == stored
    assert list(loaded.component_changes) == ["Sora", "API", "ChatGPT"]
    _assert_utc(loaded.created_at, loaded.updated_at, loaded.decided_at)


def test_draft_round_trip_keeps_its_promise_source_and_authors(uow_factory: UowFactory) -> None:
    inc, _ = seed(uow_factory, with_draft=False)
    stored = draft(
        inc,
        body="Found it. Next update by 2024-12-11T16:30:00-08:00.",
        body_source="Found it. Next update by {next_update_by}.",
        next_update_by=datetime(2024, 12, 11, 16, 30, tzinfo=PST),
        last_editor="bob",
        authors=("alice", "bob"),
        version=2,
    )
    with uow_factory() as u:
        u.drafts.add(stored)
        u.commit()
    with uow_factory() as u:
        loaded = u.drafts.get(stored.id)
        loaded.last_editor = "carol"
        loaded.authors = ("alice", "bob", "carol")
        loaded.next_update_by = datetime(2024, 12, 11, 16, 45, tzinfo=PST)
        u.drafts.save(loaded)
        u.commit()
    with uow_factory() as u:
        again = u.drafts.get(stored.id)

    assert loaded.body_source == "Found it. Next update by {next_update_by}."
    assert (again.last_editor, again.authors) == ("carol", ("alice", "bob", "carol"))
    assert again.next_update_by == datetime(2024, 12, 11, 16, 45, tzinfo=PST)
    assert again == loaded
    _assert_utc(again.next_update_by)


def test_drafts_for_incident_oldest_first_and_pending_only(uow_factory: UowFactory) -> None:
    inc, first = seed(uow_factory)
    assert first is not None
    with uow_factory() as u:
        u.drafts.add(draft(inc, 2, state=DraftState.REJECTED))
        u.drafts.add(draft(inc, 3))
        u.commit()

    with uow_factory() as u:
        assert [d.id for d in u.drafts.for_incident(inc.id)] == [
            first.id,
            make_id("drf", 2),
            make_id("drf", 3),
        ]
        assert [d.id for d in u.drafts.for_incident(inc.id, pending_only=True)] == [
            first.id,
            make_id("drf", 3),
        ]


def test_unknown_draft_and_update_raise_not_found(uow_factory: UowFactory) -> None:
    with uow_factory() as u:
        with pytest.raises(NotFound, match="there is no draft 'nope'"):
            u.drafts.get("nope")
        with pytest.raises(NotFound, match="there is no published update 'nope'"):
            u.updates.get("nope")


def test_update_round_trip_and_order(uow_factory: UowFactory) -> None:
    inc, drf = seed(uow_factory)
    assert drf is not None
    first = approve(uow_factory, drf.id, approver="bob", update_id=make_id("upd", 1))
    second = Update(
        id=make_id("upd", 2),
        incident_id=inc.id,
        seq=2,
        status=Status.RECOVERED,
        trigger=Trigger.RECOVER,
        body="ChatGPT, API, and Sora were down today but we've recovered.",
        changes=(
            ComponentChange("ChatGPT", ComponentStatus.MAJOR_OUTAGE, ComponentStatus.OPERATIONAL),
            ComponentChange("API", ComponentStatus.MAJOR_OUTAGE, ComponentStatus.OPERATIONAL),
        ),
        author="alice",
        authors=("alice", "bob"),
        approver="carol",
        draft_id=drf.id,
        published_at=datetime(2024, 12, 11, 19, 38, tzinfo=PST),
        next_update_by=None,
    )
    with uow_factory() as u:
        u.updates.add(second)
        u.commit()

    with uow_factory() as u:
        assert u.updates.get(second.id) == second
        assert list(u.updates.for_incident(inc.id)) == [first, second]
        assert first.changes == (
            ComponentChange("ChatGPT", ComponentStatus.OPERATIONAL, ComponentStatus.MAJOR_OUTAGE),
        )
        _assert_utc(first.published_at, first.next_update_by)
        assert u.updates.get(second.id).authors == ("alice", "bob")
        # The update keeps the promise its draft made, and the text its draft stated.
        assert first.next_update_by == drf.next_update_by
        assert first.authors == ("alice",)


def test_published_since_across_incidents(uow_factory: UowFactory) -> None:
    _, d1 = seed(uow_factory, n=1)
    _, d2 = seed(uow_factory, n=2)
    assert d1 is not None
    assert d2 is not None
    u1 = approve(uow_factory, d1.id, approver="bob", update_id=make_id("upd", 1))
    with uow_factory() as u:
        late = u.updates.for_incident(u1.incident_id)[0]
    u2 = approve(uow_factory, d2.id, approver="bob", update_id=make_id("upd", 2))

    with uow_factory() as u:
        everything = u.updates.published_since(None)
        newest = u.updates.published_since(None, limit=1, newest=True)
        after = u.updates.published_since(late.published_at)

    # Same instant: ordered by incident id, then seq.
    assert [x.id for x in everything] == [u1.id, u2.id]
    assert [x.id for x in newest] == [u2.id]
    assert after == []


def test_components_round_trip_order_get_many_and_save(uow_factory: UowFactory) -> None:
    stored = [
        Component("API", ComponentStatus.DEGRADED_PERFORMANCE, "The API", "Platform", 2, T0),
        Component("ChatGPT", position=1),
        Component("Sora", ComponentStatus.UNDER_MAINTENANCE, "", None, 3, T0),
    ]
    with uow_factory() as u:
        for comp in stored:
            u.components.add(comp)
        u.commit()

    with uow_factory() as u:
        assert [c.name for c in u.components.all()] == ["ChatGPT", "API", "Sora"]
        assert u.components.get_many(["API", "Nope"]) == {"API": stored[0]}
        assert u.components.get_many([]) == {}
        api = u.components.get_many(["API"])["API"]
        api.status = ComponentStatus.MAJOR_OUTAGE
        api.updated_at = datetime(2024, 12, 11, 15, 20, tzinfo=PST)
        u.components.save(api)
        u.commit()

    with uow_factory() as u:
        assert u.components.get_many(["API"])["API"] == api
        with pytest.raises(NotFound, match="there is no component 'Nope'"):
            u.components.save(Component("Nope"))


def test_timeline_round_trip_numbered_and_in_time_order(uow_factory: UowFactory) -> None:
    inc, _ = seed(uow_factory)
    with uow_factory() as u:
        u.timeline.append(note(inc, "second", at=T0 + timedelta(minutes=2)))
        u.timeline.append(note(inc, "first", at=datetime(2024, 12, 11, 15, 17, tzinfo=PST)))
        u.timeline.append(note(inc, "third", at=T0 + timedelta(minutes=2)))
        u.commit()

    with uow_factory() as u:
        entries = u.timeline.for_incident(inc.id)

    assert [e.detail for e in entries] == ["first", "second", "third"]
    assert all(isinstance(e.id, int) for e in entries)
    assert entries[0] == TimelineEntry(
        incident_id=inc.id,
        at=T0 + timedelta(minutes=1),
        actor="alice",
        action="note",
        detail="first",
        id=entries[0].id,
    )
    _assert_utc(*(e.at for e in entries))


def test_a_naive_datetime_is_refused(uow_factory: UowFactory) -> None:
    with uow_factory() as u, pytest.raises(StatementError, match="naive datetime"):
        u.incidents.add(incident(1, declared_at=datetime(2024, 12, 11, 23, 16)))


def test_sub_second_precision_and_far_dates_survive(uow_factory: UowFactory) -> None:
    when = datetime(2099, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    with uow_factory() as u:
        u.incidents.add(incident(1, declared_at=when, updated_at=when))
        u.commit()
    with uow_factory() as u:
        assert u.incidents.get("1").declared_at == when

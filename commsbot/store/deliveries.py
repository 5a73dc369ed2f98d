"""The outbox in SQL: the ``deliveries`` repository of every unit of work.

Planning (inside the approving transaction) adds rows; the dispatcher moves them through
pending → sending → sent | retrying | dead with conditional UPDATEs whose row count says who
won: two replicas may race for a row, only one claims it. Every state change names the lease
holder, so a replica that lost its lease (it stalled past ``claimed_until``) cannot overwrite
the outcome of the one that took over.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlmodel import col, select

from commsbot.delivery.model import DeliveryKind, DeliveryRecord, DeliveryState
from commsbot.delivery.ports import Notice, Receipt
from commsbot.domain.errors import NotFound
from commsbot.store.session import StoreSession
from commsbot.store.tables import UTCDateTime
from commsbot.store.tables.deliveries import DeliveryRow, DeliveryThreadRow, NoticeRow

_T = DeliveryRow.__table__  # type: ignore[attr-defined]
_OPEN = [s.value for s in DeliveryState if s.open]
_NOTICE = DeliveryKind.NOTICE.value


def _record(row: Any) -> DeliveryRecord:
    return DeliveryRecord(
        id=row.id,
        kind=DeliveryKind(row.kind),
        target=row.target,
        incident_id=row.incident_id,
        key=row.key,
        created_at=row.created_at,
        deadline_at=row.deadline_at,
        state=DeliveryState(row.state),
        position=row.position,
        update_id=row.update_id,
        draft_id=row.draft_id,
        notice_id=row.notice_id,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_attempt_at=row.last_attempt_at,
        sent_at=row.sent_at,
        dead_at=row.dead_at,
        last_error=row.last_error,
        message_id=row.message_id,
        note=row.note,
        maybe_sent=row.maybe_sent,
        claimed_by=row.claimed_by,
        claimed_until=row.claimed_until,
    )


def _row(record: DeliveryRecord, snapshot: Mapping[str, Any] | None) -> DeliveryRow:
    return DeliveryRow(
        id=record.id,
        kind=record.kind.value,
        target=record.target,
        incident_id=record.incident_id,
        position=record.position,
        update_id=record.update_id,
        draft_id=record.draft_id,
        notice_id=record.notice_id,
        key=record.key,
        state=record.state.value,
        attempts=record.attempts,
        created_at=record.created_at,
        deadline_at=record.deadline_at,
        next_attempt_at=record.next_attempt_at,
        maybe_sent=record.maybe_sent,
        snapshot=dict(snapshot) if snapshot is not None else None,
    )


def _is_notice(table: Any) -> Any:
    return sa.case((table.c.kind == _NOTICE, 1), else_=0)


def _blocked() -> Any:
    """An earlier delivery of the same incident to the same target is still on its way."""
    earlier = _T.alias("earlier")
    return sa.exists().where(
        earlier.c.target == _T.c.target,
        earlier.c.incident_id == _T.c.incident_id,
        # A destination and a notifier may share a name; their orders are separate.
        _is_notice(earlier) == _is_notice(_T),
        earlier.c.position < _T.c.position,
        earlier.c.state.in_(_OPEN),
    )


def _claimable(now: Any) -> list[Any]:
    return [
        _T.c.state.in_(_OPEN),
        sa.or_(_T.c.next_attempt_at.is_(None), _T.c.next_attempt_at <= now),
        sa.or_(_T.c.claimed_until.is_(None), _T.c.claimed_until < now),
        ~_blocked(),
    ]


def _time(name: str) -> Any:
    return sa.bindparam(name, type_=UTCDateTime)


# Built once: the dispatcher runs these for every attempt, and building them costs more than
# running them (SQLAlchemy caches the compiled form of a statement it has seen).
_FINISHED = sa.and_(
    _T.c.id == sa.bindparam("delivery_id"),
    _T.c.claimed_by == sa.bindparam("owner"),
    _T.c.state == DeliveryState.SENDING.value,
)
_RELEASE = {"claimed_by": None, "claimed_until": None}
_SENT = (
    sa.update(_T)
    .where(_FINISHED)
    .values(
        state=DeliveryState.SENT.value,
        sent_at=_time("now"),
        next_attempt_at=None,
        message_id=sa.bindparam("message_id", type_=sa.Text),
        note=sa.bindparam("note", type_=sa.Text),
        **_RELEASE,
    )
)
_MAYBE_SENT = sa.or_(_T.c.maybe_sent, sa.bindparam("maybe_sent", type_=sa.Boolean))
_RETRY = (
    sa.update(_T)
    .where(_FINISHED)
    .values(
        state=DeliveryState.RETRYING.value,
        next_attempt_at=_time("next_attempt_at"),
        last_error=sa.bindparam("error", type_=sa.Text),
        maybe_sent=_MAYBE_SENT,
        **_RELEASE,
    )
)
_DEAD = (
    sa.update(_T)
    .where(_FINISHED)
    .values(
        state=DeliveryState.DEAD.value,
        dead_at=_time("now"),
        next_attempt_at=None,
        last_error=sa.bindparam("error", type_=sa.Text),
        maybe_sent=_MAYBE_SENT,
        **_RELEASE,
    )
)


def _due_query() -> Any:
    wanted = sa.or_(
        sa.and_(
            _T.c.kind != _NOTICE, _T.c.target.in_(sa.bindparam("destinations", expanding=True))
        ),
        sa.and_(_T.c.kind == _NOTICE, _T.c.target.in_(sa.bindparam("notifiers", expanding=True))),
    )
    ranked = (
        sa.select(
            _T,
            sa.func.row_number()
            .over(partition_by=[_T.c.target, _is_notice(_T)], order_by=[_T.c.created_at, _T.c.id])
            .label("rank"),
        )
        .where(wanted, *_claimable(_time("now")))
        .subquery()
    )
    return (
        sa.select(ranked)
        .where(ranked.c.rank == 1)
        .order_by(ranked.c.created_at, ranked.c.id)
        .limit(sa.bindparam("limit"))
    )


_DUE = _due_query()

_CLAIM = (
    sa.update(_T)
    .where(_T.c.id == sa.bindparam("delivery_id"), *_claimable(_time("now")))
    .values(
        state=DeliveryState.SENDING.value,
        claimed_by=sa.bindparam("owner"),
        claimed_until=_time("until"),
        attempts=_T.c.attempts + 1,
        last_attempt_at=_time("now"),
        maybe_sent=sa.case(
            (_T.c.state == DeliveryState.SENDING.value, sa.true()),
            else_=_T.c.maybe_sent,
        ),
    )
)


class SqlDeliveryRepository:
    """Deliveries, notices and threads, on the unit of work's session: implements
    ``DeliveryOutbox``, ``DeliveryQueue`` and ``DeliveryLedger`` (``commsbot.delivery.ports``)."""

    def __init__(self, session: StoreSession) -> None:
        self._session = session
        # Strong references: the session's identity map is weak, and a claim reads its row
        # twice (the record, then the snapshot).
        self._rows: dict[str, DeliveryRow] = {}

    def _run(self, statement: Any) -> CursorResult[Any]:
        # DML statements return a CursorResult, whose rowcount says how many rows changed.
        return cast(CursorResult[Any], self._session.execute(statement))

    # --- planning ------------------------------------------------------------------------

    def add(self, record: DeliveryRecord, *, snapshot: Mapping[str, Any] | None = None) -> None:
        """Insert a delivery; ``snapshot`` is what it sends, frozen (the update and incident)."""
        self._session.add(_row(record, snapshot))
        self._session.flush()

    def next_position(self, incident_id: str) -> int:
        """One more than the highest position of the incident's deliveries (1 for the first).

        Callers hold the incident's optimistic lock, so two broadcasts of one incident cannot
        both commit with the same position.
        """
        highest = self._session.exec(
            select(sa.func.max(DeliveryRow.position)).where(DeliveryRow.incident_id == incident_id)
        ).one()
        return (highest or 0) + 1

    def add_notice(self, notice_id: str, notice: Notice, *, created_at: datetime | None) -> None:
        """Store a notice; the dispatcher expands it into one delivery per notifier."""
        self._session.add(
            NoticeRow(
                id=notice_id,
                incident_id=notice.incident_id,
                kind=notice.kind,
                payload=notice_payload(notice),
                created_at=created_at,
            )
        )
        self._session.flush()

    # --- reading -------------------------------------------------------------------------

    def get(self, delivery_id: str) -> DeliveryRecord:
        """Raises NotFound."""
        row = self._session.get(DeliveryRow, delivery_id.strip(), populate_existing=True)
        if row is None:
            raise NotFound(
                f"there is no delivery {delivery_id.strip()!r}; `commsbot delivery list` shows "
                "their 12-character ids"
            )
        self._rows[row.id] = row
        return _record(row)

    def for_update(self, update_id: str) -> Sequence[DeliveryRecord]:
        """Deliveries of the update itself and of its corrections, oldest first."""
        rows = self._session.exec(
            select(DeliveryRow)
            .where(DeliveryRow.update_id == update_id)
            .order_by(col(DeliveryRow.position), col(DeliveryRow.target))
        )
        return [_record(r) for r in rows]

    def for_incident(self, incident_id: str) -> Sequence[DeliveryRecord]:
        """Deliveries of the incident's updates and corrections (not notices), in order."""
        rows = self._session.exec(
            select(DeliveryRow)
            .where(DeliveryRow.incident_id == incident_id, DeliveryRow.kind != _NOTICE)
            .order_by(col(DeliveryRow.position), col(DeliveryRow.target))
        )
        return [_record(r) for r in rows]

    def list(
        self,
        *,
        state: DeliveryState | None = None,
        incident_id: str | None = None,
        limit: int = 100,
    ) -> Sequence[DeliveryRecord]:
        """Newest first."""
        query = select(DeliveryRow).order_by(
            col(DeliveryRow.created_at).desc(), col(DeliveryRow.id)
        )
        if state is not None:
            query = query.where(DeliveryRow.state == state.value)
        if incident_id is not None:
            query = query.where(DeliveryRow.incident_id == incident_id)
        return [_record(r) for r in self._session.exec(query.limit(max(limit, 0)))]

    def snapshot_of(self, delivery_id: str) -> dict[str, Any] | None:
        row = self._session.get(DeliveryRow, delivery_id)
        return None if row is None or row.snapshot is None else dict(row.snapshot)

    def message_id_for(self, *, update_id: str, target: str) -> str | None:
        """The platform's id for the delivery of the update itself (not a correction)."""
        found: str | None = self._session.exec(
            select(DeliveryRow.message_id).where(
                DeliveryRow.update_id == update_id,
                DeliveryRow.target == target,
                DeliveryRow.kind == DeliveryKind.UPDATE.value,
            )
        ).first()
        return found

    def thread_for(self, *, target: str, incident_id: str) -> str | None:
        row = self._session.get(DeliveryThreadRow, (target, incident_id))
        return None if row is None else row.thread_id

    def notice(self, notice_id: str) -> Notice:
        row = self._session.get(NoticeRow, notice_id)
        if row is None:
            raise NotFound(f"there is no notice {notice_id!r}")
        return notice_from_payload(row.kind, row.incident_id, row.payload)

    def notice_message_id(
        self, *, target: str, incident_id: str, kind: str, draft_id: str
    ) -> str | None:
        """The message id ``target`` returned for the latest sent notice of ``kind`` about
        ``draft_id``, or None. An incident has a few dozen notices: the draft is matched here
        rather than inside the JSON payload, which each backend queries differently."""
        rows = self._session.exec(
            select(DeliveryRow.message_id, NoticeRow.payload)
            .join(NoticeRow, col(NoticeRow.id) == col(DeliveryRow.notice_id))
            .where(
                DeliveryRow.kind == _NOTICE,
                DeliveryRow.target == target,
                DeliveryRow.incident_id == incident_id,
                DeliveryRow.state == DeliveryState.SENT.value,
                col(DeliveryRow.message_id).is_not(None),
                NoticeRow.kind == kind,
            )
            .order_by(col(DeliveryRow.sent_at).desc(), col(DeliveryRow.id))
        )
        for message_id, payload in rows:
            if (payload or {}).get("draft_id") == draft_id:
                return str(message_id)
        return None

    # --- re-driving ----------------------------------------------------------------------

    def redrive(self, delivery_id: str, *, now: datetime, deadline_at: datetime) -> bool:
        """Make a dead delivery pending again; False when it is not dead (any more)."""
        result = self._run(
            sa.update(_T)
            .where(_T.c.id == delivery_id, _T.c.state == DeliveryState.DEAD.value)
            .values(
                state=DeliveryState.PENDING.value,
                next_attempt_at=now,
                deadline_at=deadline_at,
                dead_at=None,
            )
        )
        return result.rowcount == 1

    # --- dispatching ---------------------------------------------------------------------

    def unexpanded_notices(
        self, *, limit: int = 100
    ) -> Sequence[tuple[str, Notice, datetime | None]]:
        """Notices no dispatcher has expanded yet: (id, notice, enqueued at)."""
        rows = self._session.exec(
            select(NoticeRow)
            .where(col(NoticeRow.expanded_at).is_(None))
            .order_by(col(NoticeRow.id))
            .limit(limit)
        )
        return [
            (r.id, notice_from_payload(r.kind, r.incident_id, r.payload), r.created_at)
            for r in rows
        ]

    def claim_notice(self, notice_id: str, *, now: datetime) -> bool:
        """Mark a notice expanded; only the one caller that gets True adds its deliveries."""
        table = NoticeRow.__table__  # type: ignore[attr-defined]
        result = self._run(
            sa.update(table)
            .where(table.c.id == notice_id, table.c.expanded_at.is_(None))
            .values(expanded_at=now)
        )
        return result.rowcount == 1

    def due(
        self,
        *,
        now: datetime,
        destinations: Collection[str],
        notifiers: Collection[str],
        limit: int = 500,
    ) -> Sequence[DeliveryRecord]:
        """The first claimable delivery of each of these targets, oldest first.

        Claimable: open, due, not leased (or its lease expired), and no earlier delivery of
        its incident to the same target is still open.
        """
        if not destinations and not notifiers:
            return []
        rows = self._session.execute(
            _DUE,
            {
                "now": now,
                "destinations": list(destinations),
                "notifiers": list(notifiers),
                "limit": limit,
            },
        ).all()
        return [_record(r) for r in rows]

    def next_wakeup(self, *, after: datetime) -> datetime | None:
        """The earliest future moment an open delivery becomes due or its lease expires."""
        candidates = [
            self._session.execute(
                sa.select(sa.func.min(column)).where(_T.c.state.in_(_OPEN), column > after)
            ).scalar()
            for column in (_T.c.next_attempt_at, _T.c.claimed_until)
        ]
        found = [c for c in candidates if c is not None]
        return min(found) if found else None

    def claim(
        self, delivery_id: str, *, owner: str, now: datetime, until: datetime
    ) -> DeliveryRecord | None:
        """Take a delivery for one attempt, or None when someone else has it (or it is not
        due, or an earlier one came back). A ``sending`` row whose lease expired is taken over
        and flagged ``maybe_sent``: its holder may have sent it before dying."""
        result = cast(
            CursorResult[Any],
            self._session.execute(
                _CLAIM, {"delivery_id": delivery_id, "owner": owner, "now": now, "until": until}
            ),
        )
        if result.rowcount != 1:
            return None
        return self.get(delivery_id)

    def _finish(self, statement: Any, **params: Any) -> bool:
        result = cast(CursorResult[Any], self._session.execute(statement, params))
        return result.rowcount == 1

    def mark_sent(self, delivery_id: str, *, owner: str, now: datetime, receipt: Receipt) -> bool:
        """Record success; False when ``owner`` no longer holds the lease."""
        return self._finish(
            _SENT,
            delivery_id=delivery_id,
            owner=owner,
            now=now,
            message_id=receipt.message_id,
            note=receipt.note,
        )

    def mark_retry(
        self,
        delivery_id: str,
        *,
        owner: str,
        next_attempt_at: datetime,
        error: str,
        maybe_sent: bool,
    ) -> bool:
        """Record a failure to try again at ``next_attempt_at``; False without the lease."""
        return self._finish(
            _RETRY,
            delivery_id=delivery_id,
            owner=owner,
            next_attempt_at=next_attempt_at,
            error=error,
            maybe_sent=maybe_sent,
        )

    def mark_dead(
        self, delivery_id: str, *, owner: str, now: datetime, error: str, maybe_sent: bool
    ) -> bool:
        """Record that it will not be tried again; False without the lease."""
        return self._finish(
            _DEAD,
            delivery_id=delivery_id,
            owner=owner,
            now=now,
            error=error,
            maybe_sent=maybe_sent,
        )

    def expire(self, delivery_id: str, *, now: datetime, error: str) -> bool:
        """Kill an open, unleased delivery nobody can send (its target is gone)."""
        result = self._run(
            sa.update(_T)
            .where(_T.c.id == delivery_id, *_claimable(now))
            .values(
                state=DeliveryState.DEAD.value, dead_at=now, next_attempt_at=None, last_error=error
            )
        )
        return result.rowcount == 1

    def open_targets(self) -> set[tuple[bool, str]]:
        """(is a notice, target) of every open delivery."""
        rows = self._session.execute(
            sa.select(_T.c.kind == _NOTICE, _T.c.target).where(_T.c.state.in_(_OPEN)).distinct()
        ).all()
        return {(bool(r[0]), r[1]) for r in rows}

    def open_for_target(
        self, *, notice: bool, target: str, limit: int = 100
    ) -> Sequence[DeliveryRecord]:
        kind = _T.c.kind == _NOTICE if notice else _T.c.kind != _NOTICE
        rows = self._session.execute(
            sa.select(_T).where(kind, _T.c.target == target, _T.c.state.in_(_OPEN)).limit(limit)
        ).all()
        return [_record(r) for r in rows]

    def remember_thread(
        self, *, target: str, incident_id: str, thread_id: str, now: datetime
    ) -> None:
        """Keep what ``target`` answered as the incident's thread (replacing an older one)."""
        table = DeliveryThreadRow.__table__  # type: ignore[attr-defined]
        values = {
            "target": target,
            "incident_id": incident_id,
            "thread_id": thread_id,
            "updated_at": now,
        }
        dialect = self._session.get_bind().dialect.name
        # Here, not at the top: the dialects' modules are a tenth of a read-only command's start.
        from sqlalchemy.dialects import postgresql, sqlite

        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
        self._run(
            insert.values(**values).on_conflict_do_update(
                index_elements=["target", "incident_id"],
                set_={"thread_id": thread_id, "updated_at": now},
            )
        )


def notice_payload(notice: Notice) -> dict[str, Any]:
    return {
        "incident_ref": notice.incident_ref,
        "text": notice.text,
        "draft_id": notice.draft_id,
        "draft_version": notice.draft_version,
        "reminder_id": notice.reminder_id,
        "audience": list(notice.audience),
        "hint": notice.hint,
        "subscribers": notice.subscribers,
    }


def notice_from_payload(kind: str, incident_id: str, payload: Mapping[str, Any]) -> Notice:
    return Notice(
        kind=kind,
        incident_id=incident_id,
        incident_ref=str(payload.get("incident_ref", "")),
        text=str(payload.get("text", "")),
        draft_id=payload.get("draft_id"),
        draft_version=payload.get("draft_version"),
        reminder_id=payload.get("reminder_id"),
        audience=tuple(payload.get("audience", ())),
        hint=payload.get("hint"),
        subscribers=payload.get("subscribers"),
    )

"""The subscriber fan-out in SQL: fan-out rows, per-subscriber rows, one-off messages.

Claims are conditional UPDATEs whose row count says who won (as in the delivery outbox), and
the main pass locks its fan-out row for the length of one short transaction (``FOR UPDATE
SKIP LOCKED`` on PostgreSQL; SQLite's single writer), so two replicas never reach the same
subscriber for the same notice: each batch writes the subscribers' rows (primary key
``(fanout_id, subscriber_id)``) and moves the cursor past them in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult

from commsbot.domain.errors import NotFound
from commsbot.store.session import StoreSession
from commsbot.store.tables.subscriptions import (
    SubscriberFanoutRow,
    SubscriberMessageRow,
    SubscriberSendRow,
)
from commsbot.subscriptions.fanout import Fanout, FanoutCounts, FanoutState, SendState
from commsbot.subscriptions.messages import MessageKind, MessageState, SubscriberMessage
from commsbot.subscriptions.model import NoticeKind, NoticeScope
from commsbot.subscriptions.ports import NewSend, SendRecord

_F: sa.Table = SubscriberFanoutRow.__table__  # type: ignore[attr-defined]
_SEND: sa.Table = SubscriberSendRow.__table__  # type: ignore[attr-defined]
_M: sa.Table = SubscriberMessageRow.__table__  # type: ignore[attr-defined]
_REACHING = (FanoutState.PENDING.value, FanoutState.PAUSED.value)
_OPEN_SEND = (SendState.SENDING.value, SendState.RETRYING.value)
_OPEN_MESSAGE = (MessageState.PENDING.value, MessageState.SENDING.value)

#: Both states are named "sending" (SendState and MessageState agree on the value).
_SENDING = SendState.SENDING.value


class _Base:
    def __init__(self, session: StoreSession) -> None:
        self._session = session

    def _run(self, statement: Any, params: Any = None) -> CursorResult[Any]:
        return cast(CursorResult[Any], self._session.execute(statement, params))

    # Sends and messages are leased the same way: "sending" under an owner until a deadline.
    def _release(self, table: sa.Table, owner: str, *, back_to: str, now: datetime) -> int:
        """Give back what ``owner`` holds, due at once (a clean stop)."""
        result = self._run(
            sa.update(table)
            .where(table.c.claimed_by == owner, table.c.state == _SENDING)
            .values(state=back_to, claimed_by=None, claimed_until=None, next_attempt_at=now)
        )
        return result.rowcount

    def _extend(self, table: sa.Table, owner: str, until: datetime) -> None:
        """Renew ``owner``'s leases while it works."""
        self._run(
            sa.update(table)
            .where(table.c.claimed_by == owner, table.c.state == _SENDING)
            .values(claimed_until=until)
        )


def _counts(
    by_state: Mapping[SendState, int], *, planned: int, reached: int, open_: bool
) -> FanoutCounts:
    unreached = max(planned - reached, 0) if open_ else 0
    return FanoutCounts(
        sent=by_state.get(SendState.SENT, 0),
        pending=by_state.get(SendState.SENDING, 0)
        + by_state.get(SendState.RETRYING, 0)
        + unreached,
        failed=by_state.get(SendState.FAILED, 0),
        undeliverable=by_state.get(SendState.UNDELIVERABLE, 0),
    )


def _fanout(row: Any, by_state: Mapping[SendState, int] | None = None) -> Fanout:
    state = FanoutState(row.state)
    return Fanout(
        id=row.id,
        notice_id=row.notice_id,
        kind=NoticeKind(row.kind),
        subject_id=row.subject_id,
        subject_ref=row.subject_ref,
        position=row.position,
        scope=NoticeScope.of(NoticeKind(row.kind), row.components or ()),
        created_at=row.created_at,
        deadline_at=row.deadline_at,
        as_of=row.as_of,
        corrects=row.corrects,
        update_id=row.update_id,
        state=state,
        cursor=row.cursor,
        planned=row.planned,
        reached=row.reached,
        paused_until=row.paused_until,
        last_error=row.last_error,
        alerted=row.alerted,
        finished_at=row.finished_at,
        counts=_counts(
            by_state or {},
            planned=row.planned,
            reached=row.reached,
            open_=state in (FanoutState.PENDING, FanoutState.PAUSED),
        ),
    )


class SqlFanoutRepository(_Base):
    """The ``FanoutRepository`` port."""

    def _with_counts(self, rows: Sequence[Any]) -> list[Fanout]:
        counts = SqlSendRepository(self._session).counts([r.id for r in rows])
        return [_fanout(r, counts.get(r.id)) for r in rows]

    def add(self, fanout: Fanout, *, content: Mapping[str, Any]) -> None:
        self._run(
            sa.insert(_F).values(
                id=fanout.id,
                notice_id=fanout.notice_id,
                kind=fanout.kind.value,
                subject_id=fanout.subject_id,
                subject_ref=fanout.subject_ref,
                position=fanout.position,
                update_id=fanout.update_id,
                corrects=fanout.corrects,
                components=sorted(fanout.scope.components),
                content=dict(content),
                state=fanout.state.value,
                cursor=fanout.cursor,
                planned=fanout.planned,
                reached=fanout.reached,
                created_at=fanout.created_at,
                as_of=fanout.as_of,
                deadline_at=fanout.deadline_at,
                alerted=False,
            )
        )

    def next_position(self, subject_id: str) -> int:
        highest = self._run(
            sa.select(sa.func.max(_F.c.position)).where(_F.c.subject_id == subject_id)
        ).scalar()
        return int(highest or 0) + 1

    def get(self, fanout_id: str) -> Fanout:
        row = self._run(sa.select(_F).where(_F.c.id == fanout_id)).first()
        if row is None:
            raise NotFound(f"there is no subscriber fan-out {fanout_id!r}")
        return self._with_counts([row])[0]

    def by_notice(self, notice_id: str) -> Fanout | None:
        row = self._run(sa.select(_F).where(_F.c.notice_id == notice_id)).first()
        return None if row is None else self._with_counts([row])[0]

    def for_updates(self, update_ids: Sequence[str]) -> Mapping[str, Sequence[Fanout]]:
        if not update_ids:
            return {}
        rows = self._run(
            sa.select(_F).where(_F.c.update_id.in_(list(update_ids))).order_by(_F.c.position)
        ).all()
        found: dict[str, list[Fanout]] = {}
        for fanout in self._with_counts(rows):
            assert fanout.update_id is not None
            found.setdefault(fanout.update_id, []).append(fanout)
        return found

    def list(
        self, *, subject_id: str | None = None, open_only: bool = False, limit: int = 100
    ) -> Sequence[Fanout]:
        query = sa.select(_F).order_by(_F.c.created_at.desc(), _F.c.id).limit(max(limit, 0))
        if subject_id is not None:
            query = query.where(_F.c.subject_id == subject_id)
        if open_only:
            query = query.where(_F.c.state != FanoutState.DONE.value)
        return self._with_counts(self._run(query).all())

    def content(self, fanout_id: str) -> dict[str, Any]:
        found = self._run(sa.select(_F.c.content).where(_F.c.id == fanout_id)).scalar()
        if found is None:
            raise NotFound(f"there is no subscriber fan-out {fanout_id!r}")
        return dict(found)

    def workable(self, *, now: datetime) -> Fanout | None:
        earlier = _F.alias("earlier")
        before = sa.exists().where(
            earlier.c.subject_id == _F.c.subject_id,
            earlier.c.position < _F.c.position,
            earlier.c.state.in_(_REACHING),
        )
        query = (
            sa.select(_F)
            .where(
                _F.c.state.in_(_REACHING),
                sa.or_(_F.c.paused_until.is_(None), _F.c.paused_until <= now),
                ~before,
            )
            .order_by(_F.c.created_at, _F.c.id)
            .limit(1)
            .with_for_update(skip_locked=True, of=_F)
        )
        row = self._run(query).first()
        return None if row is None else _fanout(row)

    def advance(
        self, fanout_id: str, *, cursor: str | None, reached: int, finished_pass: bool
    ) -> None:
        values: dict[str, Any] = {"reached": _F.c.reached + reached}
        if cursor is not None:
            values["cursor"] = cursor
        if finished_pass:
            values["state"] = FanoutState.FINISHING.value
        self._run(sa.update(_F).where(_F.c.id == fanout_id).values(**values))

    def pause(self, fanout_id: str, *, until: datetime, error: str) -> bool:
        row = self._run(
            sa.select(_F.c.alerted, _F.c.state).where(_F.c.id == fanout_id).with_for_update()
        ).first()
        if row is None:
            return False
        values: dict[str, Any] = {"paused_until": until, "last_error": error, "alerted": True}
        if row.state == FanoutState.PENDING.value:
            values["state"] = FanoutState.PAUSED.value
        self._run(sa.update(_F).where(_F.c.id == fanout_id).values(**values))
        return not row.alerted

    def resume(self, fanout_id: str) -> bool:
        row = self._run(sa.select(_F.c.alerted, _F.c.state).where(_F.c.id == fanout_id)).first()
        if row is None or (not row.alerted and row.state != FanoutState.PAUSED.value):
            return False
        state = FanoutState.PENDING.value if row.state == FanoutState.PAUSED.value else row.state
        self._run(
            sa.update(_F)
            .where(_F.c.id == fanout_id)
            .values(state=state, paused_until=None, alerted=False, last_error=None)
        )
        return bool(row.alerted)

    def settle(self, fanout_ids: Sequence[str], *, now: datetime) -> None:
        if not fanout_ids:
            return
        still_open = sa.exists().where(_SEND.c.fanout_id == _F.c.id, _SEND.c.state.in_(_OPEN_SEND))
        self._run(
            sa.update(_F)
            .where(
                _F.c.id.in_(list(fanout_ids)),
                _F.c.state == FanoutState.FINISHING.value,
                ~still_open,
            )
            .values(state=FanoutState.DONE.value, finished_at=now, paused_until=None)
        )


class SqlSendRepository(_Base):
    """The ``SendRepository`` port."""

    def add_many(
        self, fanout_id: str, rows: Sequence[NewSend], *, owner: str, until: datetime
    ) -> None:
        if not rows:
            return
        values = []
        for r in rows:
            sending = r.state is SendState.SENDING
            values.append(
                {
                    "fanout_id": fanout_id,
                    "subscriber_id": r.subscriber_id,
                    "state": r.state.value,
                    "attempts": 1 if sending else 0,
                    "next_attempt_at": r.next_attempt_at,
                    "claimed_by": owner if sending else None,
                    "claimed_until": until if sending else None,
                    "maybe_sent": False,
                    "sent_at": None,
                    "last_error": r.last_error,
                }
            )
        self._run(sa.insert(_SEND), values)

    def blocked(self, *, subject_id: str, position: int, subscriber_ids: Sequence[str]) -> set[str]:
        if not subscriber_ids:
            return set()
        query = (
            sa.select(_SEND.c.subscriber_id)
            .join(_F, _F.c.id == _SEND.c.fanout_id)
            .where(
                _SEND.c.subscriber_id.in_(list(subscriber_ids)),
                _F.c.subject_id == subject_id,
                _F.c.position < position,
                _SEND.c.state.in_(_OPEN_SEND),
            )
        )
        return {r[0] for r in self._run(query)}

    def claim_due(
        self, *, owner: str, now: datetime, until: datetime, limit: int
    ) -> Sequence[SendRecord]:
        paused = sa.exists().where(
            _F.c.id == _SEND.c.fanout_id, _F.c.paused_until.is_not(None), _F.c.paused_until > now
        )
        due = sa.or_(
            sa.and_(
                _SEND.c.state == SendState.RETRYING.value,
                sa.or_(_SEND.c.next_attempt_at.is_(None), _SEND.c.next_attempt_at <= now),
            ),
            sa.and_(_SEND.c.state == SendState.SENDING.value, _SEND.c.claimed_until < now),
        )
        candidates = self._run(
            sa.select(_SEND.c.fanout_id, _SEND.c.subscriber_id)
            .where(due, ~paused)
            .order_by(_SEND.c.next_attempt_at, _SEND.c.fanout_id, _SEND.c.subscriber_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        claimed: list[SendRecord] = []
        for candidate in candidates:
            fanout_id, subscriber_id = candidate.fanout_id, candidate.subscriber_id
            row = self._run(
                sa.update(_SEND)
                .where(_SEND.c.fanout_id == fanout_id, _SEND.c.subscriber_id == subscriber_id, due)
                .values(
                    state=SendState.SENDING.value,
                    claimed_by=owner,
                    claimed_until=until,
                    attempts=_SEND.c.attempts + 1,
                    maybe_sent=sa.case(
                        (_SEND.c.state == SendState.SENDING.value, sa.true()),
                        else_=_SEND.c.maybe_sent,
                    ),
                )
                .returning(_SEND.c.attempts, _SEND.c.maybe_sent, _SEND.c.last_error)
            ).first()
            if row is not None:
                claimed.append(
                    SendRecord(
                        fanout_id=fanout_id,
                        subscriber_id=subscriber_id,
                        state=SendState.SENDING,
                        attempts=row.attempts,
                        maybe_sent=bool(row.maybe_sent),
                        last_error=row.last_error,
                    )
                )
        return claimed

    def finish(
        self,
        fanout_id: str,
        subscriber_id: str,
        *,
        owner: str,
        state: SendState,
        now: datetime,
        next_attempt_at: datetime | None = None,
        error: str | None = None,
    ) -> bool:
        values: dict[str, Any] = {
            "state": state.value,
            "claimed_by": None,
            "claimed_until": None,
            "next_attempt_at": next_attempt_at if state is SendState.RETRYING else None,
        }
        if state is SendState.SENT:
            values["sent_at"] = now
        if error is not None or state is SendState.SENT:
            values["last_error"] = error
        result = self._run(
            sa.update(_SEND)
            .where(
                _SEND.c.fanout_id == fanout_id,
                _SEND.c.subscriber_id == subscriber_id,
                _SEND.c.claimed_by == owner,
                _SEND.c.state == SendState.SENDING.value,
            )
            .values(**values)
        )
        return result.rowcount == 1

    def release(self, *, owner: str, now: datetime) -> int:
        return self._release(_SEND, owner, back_to=SendState.RETRYING.value, now=now)

    def extend(self, *, owner: str, until: datetime) -> None:
        self._extend(_SEND, owner, until)

    def expire(self, *, now: datetime) -> Sequence[str]:
        late = sa.select(_F.c.id).where(
            _F.c.deadline_at < now, _F.c.state != FanoutState.DONE.value
        )
        touched = [
            r[0]
            for r in self._run(
                sa.select(_SEND.c.fanout_id)
                .where(
                    _SEND.c.fanout_id.in_(late),
                    _SEND.c.state == SendState.RETRYING.value,
                )
                .distinct()
            )
        ]
        if touched:
            self._run(
                sa.update(_SEND)
                .where(
                    _SEND.c.fanout_id.in_(touched),
                    _SEND.c.state == SendState.RETRYING.value,
                )
                .values(
                    state=SendState.FAILED.value,
                    next_attempt_at=None,
                    last_error=sa.func.coalesce(_SEND.c.last_error, "")
                    + " (gave up: its give-up window ended)",
                )
            )
        return touched

    def counts(self, fanout_ids: Sequence[str]) -> Mapping[str, Mapping[SendState, int]]:
        if not fanout_ids:
            return {}
        rows = self._run(
            sa.select(_SEND.c.fanout_id, _SEND.c.state, sa.func.count().label("n"))
            .where(_SEND.c.fanout_id.in_(list(fanout_ids)))
            .group_by(_SEND.c.fanout_id, _SEND.c.state)
        )
        found: dict[str, dict[SendState, int]] = {}
        for r in rows:
            found.setdefault(r.fanout_id, {})[SendState(r.state)] = int(r.n)
        return found


def _message(row: Any) -> SubscriberMessage:
    return SubscriberMessage(
        id=row.id,
        kind=MessageKind(row.kind),
        subscriber_id=row.subscriber_id,
        created_at=row.created_at,
        deadline_at=row.deadline_at,
        payload=dict(row.payload or {}),
        state=MessageState(row.state),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
        last_error=row.last_error,
    )


class SqlMessageRepository(_Base):
    """The ``MessageRepository`` port."""

    def add(self, message: SubscriberMessage) -> None:
        self._run(
            sa.insert(_M).values(
                id=message.id,
                kind=message.kind.value,
                subscriber_id=message.subscriber_id,
                payload=dict(message.payload),
                state=message.state.value,
                attempts=message.attempts,
                created_at=message.created_at,
                deadline_at=message.deadline_at,
                next_attempt_at=message.next_attempt_at,
            )
        )

    def claim_due(
        self, *, owner: str, now: datetime, until: datetime, limit: int
    ) -> Sequence[SubscriberMessage]:
        due = sa.or_(
            sa.and_(
                _M.c.state == MessageState.PENDING.value,
                sa.or_(_M.c.next_attempt_at.is_(None), _M.c.next_attempt_at <= now),
            ),
            sa.and_(_M.c.state == MessageState.SENDING.value, _M.c.claimed_until < now),
        )
        ids = [
            r[0]
            for r in self._run(
                sa.select(_M.c.id)
                .where(due)
                .order_by(_M.c.created_at, _M.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ]
        claimed = []
        for message_id in ids:
            row = self._run(
                sa.update(_M)
                .where(_M.c.id == message_id, due)
                .values(
                    state=MessageState.SENDING.value,
                    claimed_by=owner,
                    claimed_until=until,
                    attempts=_M.c.attempts + 1,
                )
                .returning(*_M.c)
            ).first()
            if row is not None:
                claimed.append(_message(row))
        return claimed

    def finish(
        self,
        message_id: str,
        *,
        owner: str,
        state: MessageState,
        now: datetime,
        next_attempt_at: datetime | None = None,
        error: str | None = None,
    ) -> bool:
        values: dict[str, Any] = {
            "state": state.value,
            "claimed_by": None,
            "claimed_until": None,
            "next_attempt_at": next_attempt_at,
            "last_error": error,
        }
        if state is MessageState.SENT:
            values["sent_at"] = now
        result = self._run(
            sa.update(_M)
            .where(
                _M.c.id == message_id,
                _M.c.claimed_by == owner,
                _M.c.state == MessageState.SENDING.value,
            )
            .values(**values)
        )
        return result.rowcount == 1

    def release(self, *, owner: str, now: datetime) -> int:
        return self._release(_M, owner, back_to=MessageState.PENDING.value, now=now)

    def extend(self, *, owner: str, until: datetime) -> None:
        self._extend(_M, owner, until)

    def pending_for(self, subscriber_id: str, kind: MessageKind) -> int:
        """How many messages of ``kind`` for this subscriber are still to be sent."""
        return int(
            self._run(
                sa.select(sa.func.count()).where(
                    _M.c.subscriber_id == subscriber_id,
                    _M.c.kind == kind.value,
                    _M.c.state.in_(_OPEN_MESSAGE),
                )
            ).scalar_one()
        )

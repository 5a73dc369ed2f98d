"""Subscribers and the sign-up windows in SQL (``uow.subscribers``, ``uow.signup_windows``).

Writes are Core statements: a save is ``UPDATE … WHERE id = ? AND version = ?`` whose row
count says whether someone else changed the subscriber first (``ConcurrentChange``). A
subscriber's components are rows of their own (``subscriber_component``), so that choosing
"who gets a notice about API" is an indexed query on both backends.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult

from commsbot.domain.errors import ConcurrentChange
from commsbot.store.session import StoreSession
from commsbot.store.tables.subscriptions import (
    SignupWindowRow,
    SubscriberComponentRow,
    SubscriberFanoutRow,
    SubscriberMessageRow,
    SubscriberRow,
    SubscriberSendRow,
)
from commsbot.subscriptions.addresses import address_key
from commsbot.subscriptions.fanout import SendState
from commsbot.subscriptions.model import (
    Consent,
    ConsentSource,
    NoticeKind,
    NoticeScope,
    Subscriber,
    SubscriberKind,
    SubscriberState,
)
from commsbot.subscriptions.ports import Limit, Verdict

_S: sa.Table = SubscriberRow.__table__  # type: ignore[attr-defined]
_C: sa.Table = SubscriberComponentRow.__table__  # type: ignore[attr-defined]
_F: sa.Table = SubscriberFanoutRow.__table__  # type: ignore[attr-defined]
_SEND: sa.Table = SubscriberSendRow.__table__  # type: ignore[attr-defined]
_M: sa.Table = SubscriberMessageRow.__table__  # type: ignore[attr-defined]
_W: sa.Table = SignupWindowRow.__table__  # type: ignore[attr-defined]
#: A correction goes to those the corrected notice was sent to, or is still on its way to.
_GOT_ORIGINAL = (SendState.SENT.value, SendState.SENDING.value, SendState.RETRYING.value)


def component_key(name: str) -> str:
    return name.casefold()


def _values(sub: Subscriber) -> dict[str, Any]:
    c = sub.consent
    return {
        "kind": sub.kind.value,
        "address": sub.address,
        "address_key": address_key(sub.address),
        "all_components": not sub.components,
        "state": sub.state.value,
        "created_at": sub.created_at,
        "generation": sub.generation,
        "owner_email": sub.owner_email,
        "state_changed_at": sub.state_changed_at,
        "state_reason": sub.state_reason,
        "failing_since": sub.failing_since,
        "webhook_secret": sub.webhook_secret,
        "consent_source": c.source.value,
        "requested_at": c.requested_at,
        "requested_from": c.requested_from,
        "confirmed_at": c.confirmed_at,
        "confirmed_from": c.confirmed_from,
    }


def _subscriber(row: Any, components: Iterable[str]) -> Subscriber:
    return Subscriber(
        id=row.id,
        kind=SubscriberKind(row.kind),
        address=row.address,
        components=frozenset(components),
        state=SubscriberState(row.state),
        created_at=row.created_at,
        consent=Consent(
            source=ConsentSource(row.consent_source),
            requested_at=row.requested_at,
            requested_from=row.requested_from,
            confirmed_at=row.confirmed_at,
            confirmed_from=row.confirmed_from,
        ),
        generation=row.generation,
        owner_email=row.owner_email,
        state_changed_at=row.state_changed_at,
        state_reason=row.state_reason,
        failing_since=row.failing_since,
        webhook_secret=row.webhook_secret,
        version=row.version,
    )


class SqlSubscriberRepository:
    """The ``SubscriberRepository`` port on one unit of work's session."""

    def __init__(self, session: StoreSession) -> None:
        self._session = session

    def _run(self, statement: Any, params: Any = None) -> CursorResult[Any]:
        return cast(CursorResult[Any], self._session.execute(statement, params))

    def _load(self, rows: Sequence[Any]) -> list[Subscriber]:
        if not rows:
            return []
        ids = [r.id for r in rows]
        chosen: dict[str, list[str]] = {}
        for row in self._run(
            sa.select(_C.c.subscriber_id, _C.c.name).where(_C.c.subscriber_id.in_(ids))
        ):
            chosen.setdefault(row.subscriber_id, []).append(row.name)
        return [_subscriber(r, chosen.get(r.id, ())) for r in rows]

    def _write_components(self, sub: Subscriber) -> None:
        self._run(sa.delete(_C).where(_C.c.subscriber_id == sub.id))
        if sub.components:
            self._run(
                sa.insert(_C),
                [
                    {"subscriber_id": sub.id, "component_key": component_key(n), "name": n}
                    for n in sorted(sub.components)
                ],
            )

    def add(self, subscriber: Subscriber) -> None:
        self._run(sa.insert(_S).values(id=subscriber.id, version=1, **_values(subscriber)))
        subscriber.version = 1
        self._write_components(subscriber)

    def get(self, subscriber_id: str) -> Subscriber | None:
        row = self._run(sa.select(_S).where(_S.c.id == subscriber_id)).first()
        return None if row is None else self._load([row])[0]

    def find(self, kind: SubscriberKind, address: str) -> Subscriber | None:
        row = self._run(
            sa.select(_S).where(_S.c.kind == kind.value, _S.c.address_key == address_key(address))
        ).first()
        return None if row is None else self._load([row])[0]

    def save(self, subscriber: Subscriber) -> None:
        """Write a loaded subscriber's changes; ConcurrentChange when someone else did first."""
        result = self._run(
            sa.update(_S)
            .where(_S.c.id == subscriber.id, _S.c.version == subscriber.version)
            .values(version=subscriber.version + 1, **_values(subscriber))
        )
        if result.rowcount != 1:
            raise ConcurrentChange(
                "this subscription was changed by someone else at the same moment; nothing "
                "was written; reload and try again"
            )
        subscriber.version += 1
        self._write_components(subscriber)

    def delete(self, subscriber_id: str) -> bool:
        """Forget a subscriber: its row, its components, what was sent to it, its messages."""
        for table in (_SEND, _M, _C):
            self._run(sa.delete(table).where(table.c.subscriber_id == subscriber_id))
        return self._run(sa.delete(_S).where(_S.c.id == subscriber_id)).rowcount == 1

    def page(
        self, *, after: str | None, limit: int, state: SubscriberState | None = None
    ) -> Sequence[Subscriber]:
        query = sa.select(_S).order_by(_S.c.id).limit(max(limit, 0))
        if after is not None:
            query = query.where(_S.c.id > after)
        if state is not None:
            query = query.where(_S.c.state == state.value)
        return self._load(self._run(query).all())

    def _audience_where(
        self, scope: NoticeScope, corrects: str | None, as_of: datetime | None
    ) -> list[Any]:
        where: list[Any] = [_S.c.state == SubscriberState.CONFIRMED.value]
        if as_of is not None:
            where.append(_S.c.confirmed_at <= as_of)
        if scope.kind is NoticeKind.CORRECTION:
            got = (
                sa.select(_SEND.c.subscriber_id)
                .join(_F, _F.c.id == _SEND.c.fanout_id)
                .where(
                    _F.c.notice_id == (corrects or ""),
                    _SEND.c.subscriber_id == _S.c.id,
                    _SEND.c.state.in_(_GOT_ORIGINAL),
                )
            )
            where.append(sa.exists(got))
        elif scope.components:
            keys = sorted({component_key(n) for n in scope.components})
            chose = sa.select(_C.c.subscriber_id).where(
                _C.c.subscriber_id == _S.c.id, _C.c.component_key.in_(keys)
            )
            where.append(sa.or_(_S.c.all_components, sa.exists(chose)))
        return where

    def audience(
        self,
        scope: NoticeScope,
        *,
        after: str | None,
        limit: int,
        corrects: str | None = None,
        as_of: datetime | None = None,
    ) -> Sequence[Subscriber]:
        query = (
            sa.select(_S)
            .where(*self._audience_where(scope, corrects, as_of))
            .order_by(_S.c.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(_S.c.id > after)
        return self._load(self._run(query).all())

    def count_audience(
        self, scope: NoticeScope, *, corrects: str | None = None, as_of: datetime | None = None
    ) -> int:
        query = sa.select(sa.func.count()).where(*self._audience_where(scope, corrects, as_of))
        return int(self._run(query).scalar_one())

    def count_by_state(self) -> Mapping[SubscriberState, int]:
        rows = self._run(sa.select(_S.c.state, sa.func.count().label("n")).group_by(_S.c.state))
        return {SubscriberState(r.state): int(r.n) for r in rows}

    def prune_pending(self, *, requested_before: datetime) -> int:
        stale = sa.select(_S.c.id).where(
            _S.c.state == SubscriberState.PENDING.value, _S.c.requested_at <= requested_before
        )
        for table in (_SEND, _M, _C):
            self._run(sa.delete(table).where(table.c.subscriber_id.in_(stale)))
        return self._run(sa.delete(_S).where(_S.c.id.in_(stale))).rowcount


class SqlSignupWindows:
    """The sign-up rate limits' :class:`~commsbot.subscriptions.ports.WindowStore` in SQL.

    ``take`` locks the key's row first: an upsert that creates it if needed, then
    ``SELECT … FOR UPDATE`` on PostgreSQL (SQLite's transactions take the write lock up
    front). Two replicas counting the same key at once take turns, so the limit holds.
    """

    def __init__(self, session: StoreSession) -> None:
        self._session = session

    def _run(self, statement: Any) -> CursorResult[Any]:
        return cast(CursorResult[Any], self._session.execute(statement))

    def take(self, key: str, *, limit: Limit, now: datetime) -> Verdict:
        dialect = self._session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        self._run(
            insert(_W)
            .values(key=key, hits=[], updated_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        row = self._run(sa.select(_W.c.hits).where(_W.c.key == key).with_for_update()).one()
        start = now - limit.window
        hits = [t for t in (datetime.fromisoformat(h) for h in row.hits or ()) if t > start]
        if len(hits) >= limit.count:
            return Verdict(allowed=False, retry_after=hits[0] + limit.window - now)
        hits.append(now)
        self._run(
            sa.update(_W)
            .where(_W.c.key == key)
            .values(hits=[h.isoformat() for h in hits], updated_at=now)
        )
        return Verdict(allowed=True)

    def sweep(self, *, before: datetime) -> int:
        return self._run(sa.delete(_W).where(_W.c.updated_at < before)).rowcount


#: Sign-up windows are at most a day long (``signups_per_address_per_day``).
LONGEST_WINDOW = timedelta(days=1)

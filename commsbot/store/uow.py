"""The SQL unit of work: one session, one transaction, rolled back unless committed."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from commsbot.domain.errors import ConcurrentChange
from commsbot.store.alert_groups import SqlAlertGroupRepository
from commsbot.store.db import read_only_engine
from commsbot.store.deliveries import SqlDeliveryRepository
from commsbot.store.incidents import (
    SqlComponentRepository,
    SqlDraftRepository,
    SqlIncidentRepository,
    SqlTimeline,
    SqlUpdateRepository,
)
from commsbot.store.maintenance import SqlMaintenanceRepository, SqlMaintenanceTimeline
from commsbot.store.postmortems import SqlPostmortemReader
from commsbot.store.reminders import SqlReminderRepository
from commsbot.store.session import StoreSession, conflict_message
from commsbot.store.subscriber_fanout import (
    SqlFanoutRepository,
    SqlMessageRepository,
    SqlSendRepository,
)
from commsbot.store.subscriptions import SqlSignupWindows, SqlSubscriberRepository
from commsbot.store.tokens import SqlTokenRepository


class SqlUnitOfWork:
    """One database transaction, used as ``with uow: ...; uow.commit()``.

    The repositories exist only inside the ``with`` block. Leaving it without :meth:`commit`
    (or because of an exception) rolls everything back. A lost optimistic-locking race, or a
    unique key taken by a concurrent writer, raises ``ConcurrentChange`` from the flush that
    meets it (``add``, a query's autoflush, or :meth:`commit`); nothing of this unit of work is
    written then.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE`` (see :func:`~.db.make_engine`):
    units of work take turns, so a second one waits until the first has finished.

    A ``read_only`` unit of work refuses to write; on SQLite it reads its snapshot beside the
    writer instead of waiting for the write lock (status page, feeds, polling).
    """

    incidents: SqlIncidentRepository
    drafts: SqlDraftRepository
    updates: SqlUpdateRepository
    components: SqlComponentRepository
    timeline: SqlTimeline
    alert_groups: SqlAlertGroupRepository
    reminders: SqlReminderRepository
    outbox: SqlDeliveryRepository
    queue: SqlDeliveryRepository
    ledger: SqlDeliveryRepository
    tokens: SqlTokenRepository
    postmortems: SqlPostmortemReader
    subscribers: SqlSubscriberRepository
    fanouts: SqlFanoutRepository
    sends: SqlSendRepository
    subscriber_messages: SqlMessageRepository
    signup_windows: SqlSignupWindows
    maintenances: SqlMaintenanceRepository
    maintenance_timeline: SqlMaintenanceTimeline

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self._engine = read_only_engine(engine) if read_only else engine
        self._read_only = read_only
        self._session: StoreSession | None = None

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open; make a new one per block")
        session = StoreSession(self._engine, read_only=self._read_only)
        self._session = session
        self.incidents = SqlIncidentRepository(session)
        self.drafts = SqlDraftRepository(session)
        self.updates = SqlUpdateRepository(session)
        self.components = SqlComponentRepository(session)
        self.timeline = SqlTimeline(session)
        self.reminders = SqlReminderRepository(session)
        # One object for the outbox's three ports: a claim and the reads of its attempt share
        # the rows it keeps alive.
        self.outbox = self.queue = self.ledger = SqlDeliveryRepository(session)
        self.alert_groups = SqlAlertGroupRepository(session)
        self.tokens = SqlTokenRepository(session)
        self.postmortems = SqlPostmortemReader(session)
        self.subscribers = SqlSubscriberRepository(session)
        self.fanouts = SqlFanoutRepository(session)
        self.sends = SqlSendRepository(session)
        self.subscriber_messages = SqlMessageRepository(session)
        self.signup_windows = SqlSignupWindows(session)
        self.maintenances = SqlMaintenanceRepository(session)
        self.maintenance_timeline = SqlMaintenanceTimeline(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            # After a commit this ends only what was done since; before one, everything.
            session.rollback()
        finally:
            session.close()

    def commit(self) -> None:
        """Write everything done in this unit of work, or nothing.

        Raises:
            ConcurrentChange: someone else changed the same incident or draft at the same
                moment, or took the same incident number; nothing was written.
        """
        if self._session is None:
            raise RuntimeError("commit() outside its with block; use 'with uow: ... commit()'")
        try:
            self._session.commit()
        except DBAPIError as error:
            # The flush inside commit() already translates; this catches a refusal at COMMIT.
            message = conflict_message(error)
            if message is None:
                raise
            raise ConcurrentChange(message) from error


def unit_of_work_factory(engine: Engine, *, read_only: bool = False) -> Callable[[], SqlUnitOfWork]:
    """What the services take as ``Deps.uow``: each call makes a fresh unit of work.

    ``read_only`` makes read-only units of work (see :class:`SqlUnitOfWork`).
    """
    if read_only:
        # Made once, not per unit of work: on PostgreSQL each one registers a connect hook.
        engine = read_only_engine(engine)

    def make() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, read_only=read_only)

    return make

"""What the Alertmanager receiver has done with each alert group, claimed atomically.

Each change is a conditional write on the row's ``revision``: when two receivers (two replicas,
or an HA Alertmanager's two senders) handle the same notification at once, one wins and the
other sees that it has nothing left to do.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commsbot.services.ports import Clock
from commsbot.store.db import read_only_engine
from commsbot.store.tables_http import AlertGroupRow

CLAIMED = "claimed"
FIRING = "firing"
RESOLVED = "resolved"
#: A claim older than this was left by a receiver that died mid-way; another may take it over.
STALE_CLAIM = timedelta(minutes=2)


@dataclass(frozen=True)
class AlertGroup:
    key_hash: str
    group_key: str
    state: str
    incident_id: str | None
    fingerprints: tuple[str, ...]
    revision: int
    updated_at: datetime


def key_hash(group_key: str) -> str:
    return hashlib.sha256(group_key.encode("utf-8", "surrogatepass")).hexdigest()


def _from_row(row: AlertGroupRow) -> AlertGroup:
    return AlertGroup(
        key_hash=row.key_hash,
        group_key=row.group_key,
        state=row.state,
        incident_id=row.incident_id,
        fingerprints=tuple(row.fingerprints),
        revision=row.revision,
        updated_at=row.updated_at,
    )


class AlertGroupStore:
    """Alert groups in the ``alert_group`` table."""

    def __init__(self, *, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._reader = read_only_engine(engine)
        self._clock = clock

    def get(self, group_key: str) -> AlertGroup | None:
        with Session(self._reader) as session:
            row = session.get(AlertGroupRow, key_hash(group_key))
            return _from_row(row) if row else None

    def firing_for(self, incident_id: str) -> list[AlertGroup]:
        """The groups still firing that are attached to ``incident_id``."""
        with Session(self._reader) as session:
            rows = session.exec(
                select(AlertGroupRow).where(
                    AlertGroupRow.incident_id == incident_id, AlertGroupRow.state == FIRING
                )
            )
            return [_from_row(r) for r in rows]

    def is_stale(self, group: AlertGroup) -> bool:
        return group.state == CLAIMED and self._clock.now() - group.updated_at > STALE_CLAIM

    def claim(self, group_key: str, *, receiver: str, expected: AlertGroup | None) -> bool:
        """Take the group to act on a new episode; False when someone else got there first.

        Args:
            expected: the row as read (None: there was none), which must not have changed.
        """
        now = self._clock.now()
        if expected is None:
            try:
                with Session(self._engine) as session:
                    session.add(
                        AlertGroupRow(
                            key_hash=key_hash(group_key),
                            group_key=group_key,
                            receiver=receiver,
                            state=CLAIMED,
                            fingerprints=[],
                            revision=1,
                            updated_at=now,
                        )
                    )
                    session.commit()
            except IntegrityError:
                return False
            return True
        return self._update(
            expected, state=CLAIMED, incident_id=None, fingerprints=[], receiver=receiver
        )

    def bind(self, group_key: str, *, incident_id: str, fingerprints: list[str]) -> None:
        """The claimed group now fires for ``incident_id``."""
        self._write(
            sa.update(AlertGroupRow)
            .where(col(AlertGroupRow.key_hash) == key_hash(group_key))
            .values(
                state=FIRING,
                incident_id=incident_id,
                fingerprints=fingerprints,
                revision=col(AlertGroupRow.revision) + 1,
                updated_at=self._clock.now(),
            )
        )

    def release(self, group_key: str) -> None:
        """Forget a claim whose work failed, so that the next notification tries again."""
        self._write(
            sa.delete(AlertGroupRow).where(
                col(AlertGroupRow.key_hash) == key_hash(group_key),
                col(AlertGroupRow.state) == CLAIMED,
            )
        )

    def set_fingerprints(self, group: AlertGroup, fingerprints: list[str]) -> bool:
        """Record a new set of firing alerts; False when the row changed meanwhile."""
        return self._update(group, fingerprints=fingerprints)

    def resolve(self, group: AlertGroup) -> bool:
        """Mark a firing group resolved; False when someone else already did."""
        return self._update(group, state=RESOLVED, fingerprints=[])

    def _update(self, expected: AlertGroup, **values: object) -> bool:
        statement = (
            sa.update(AlertGroupRow)
            .where(
                col(AlertGroupRow.key_hash) == expected.key_hash,
                col(AlertGroupRow.revision) == expected.revision,
            )
            .values(**values, revision=expected.revision + 1, updated_at=self._clock.now())
        )
        return self._write(statement) == 1

    def _write(self, statement: sa.Executable) -> int:
        with self._engine.begin() as connection:
            result = connection.execute(statement)
            return int(getattr(result, "rowcount", 0))

"""Alert groups in the ``alert_group`` table, inside the unit of work's transaction.

Two receivers (two replicas, or an HA Alertmanager's two senders) handling the same notification
take turns: :meth:`SqlAlertGroupRepository.lock` is ``SELECT … FOR UPDATE`` on PostgreSQL (on
SQLite every writing transaction already runs alone), and a new group's row is inserted at once,
so the second insert of the same key waits for the first transaction and then fails.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlmodel import col, select

from commsbot.domain.alerts import AlertGroup, AlertGroupState
from commsbot.store.session import StoreSession
from commsbot.store.tables.alert_groups import AlertGroupRow


def key_hash(group_key: str) -> str:
    """The row's key: group keys can be long, and may hold anything."""
    return hashlib.sha256(group_key.encode("utf-8", "surrogatepass")).hexdigest()


def _storable(text: str) -> str:
    # PostgreSQL text holds neither NUL nor unpaired surrogates; the key hash keeps identity.
    return "".join("\ufffd" if ch == "\x00" or "\ud800" <= ch <= "\udfff" else ch for ch in text)


def _state(value: str) -> AlertGroupState:
    try:
        return AlertGroupState(value)
    except ValueError:  # written by a newer version: treat as unbound, as a claim is
        return AlertGroupState.CLAIMED


def _from_row(row: AlertGroupRow, group_key: str) -> AlertGroup:
    return AlertGroup(
        group_key=group_key,
        state=_state(row.state),
        updated_at=row.updated_at,
        receiver=row.receiver,
        incident_id=row.incident_id,
        fingerprints=tuple(row.fingerprints),
    )


class SqlAlertGroupRepository:
    """The ``AlertGroupRepository`` port on one unit of work's session."""

    def __init__(self, session: StoreSession) -> None:
        self._session = session
        self._rows: dict[str, AlertGroupRow] = {}

    def lock(self, group_key: str) -> AlertGroup | None:
        statement = (
            select(AlertGroupRow)
            .where(col(AlertGroupRow.key_hash) == key_hash(group_key))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        row = self._session.exec(statement).first()
        if row is None:
            return None
        self._rows[row.key_hash] = row
        return _from_row(row, group_key)

    def add(self, group: AlertGroup) -> None:
        row = AlertGroupRow(
            key_hash=key_hash(group.group_key),
            group_key=_storable(group.group_key),
            receiver=_storable(group.receiver),
            state=group.state.value,
            incident_id=group.incident_id,
            fingerprints=list(group.fingerprints),
            revision=1,
            updated_at=group.updated_at,
        )
        self._session.add(row)
        self._session.flush()
        self._rows[row.key_hash] = row

    def save(self, group: AlertGroup) -> None:
        row = self._rows.get(key_hash(group.group_key))
        if row is None:
            raise ValueError(
                "this alert group was not locked or added by this unit of work; lock it first, "
                "so that concurrent receivers take turns"
            )
        row.state = group.state.value
        row.incident_id = group.incident_id
        row.fingerprints = list(group.fingerprints)
        row.receiver = _storable(group.receiver)
        row.revision += 1
        row.updated_at = group.updated_at
        self._session.add(row)
        self._session.flush()

    def firing_for(self, incident_id: str) -> Sequence[AlertGroup]:
        rows = self._session.exec(
            select(AlertGroupRow).where(
                col(AlertGroupRow.incident_id) == incident_id,
                col(AlertGroupRow.state) == AlertGroupState.FIRING.value,
            )
        )
        return [_from_row(row, row.group_key) for row in rows]

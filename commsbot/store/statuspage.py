"""The change marker: one small query whose answer moves whenever the public data may have.

A published update adds an ``incident_update`` row and a correction sets its ``corrected_at``;
a component's status, description, group or position changes bump its ``row_version``; every
public change of a scheduled maintenance (its announcement, start, end, new window,
cancellation) adds a ``maintenance_notice`` row. The day is part of the marker too, because
the history bars end with today.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from commsbot.store.db import read_only_engine

_QUERY = sa.text(
    "SELECT"
    " (SELECT count(*) FROM incident_update),"
    " (SELECT max(published_at) FROM incident_update),"
    " (SELECT max(corrected_at) FROM incident_update),"
    " (SELECT count(*) FROM component),"
    " (SELECT coalesce(sum(row_version), 0) FROM component),"
    " (SELECT count(*) FROM maintenance_notice),"
    " (SELECT max(published_at) FROM maintenance_notice)"
)


def sql_marker(engine: Engine, *, today: Callable[[], date]) -> Callable[[], Hashable]:
    """A marker function reading ``engine`` (read-only: it never waits for a writer)."""
    reader = read_only_engine(engine)

    def marker() -> Hashable:
        with reader.connect() as connection:
            row = connection.execute(_QUERY).one()
        return (tuple(str(value) for value in row), today())

    return marker

"""What ``/readyz`` and ``/metrics`` read from the database: the ``Operations`` port.

Its own read-only connections (never waiting for a writer), outside any unit of work: a probe
must answer whatever state the database is in.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from commsbot.operations.ports import StoreFigures
from commsbot.store.db import HEAD_REVISION, read_only_engine
from commsbot.store.health import explain

_REVISIONS = "SELECT version_num FROM alembic_version"
_DELIVERIES = sa.text(
    "SELECT target, state, count(*), coalesce(sum(CASE WHEN attempts > 1 THEN attempts - 1 "
    "ELSE 0 END), 0) FROM delivery GROUP BY target, state"
)
_REMINDERS = sa.text("SELECT kind, coalesce(sum(fire_count), 0) FROM reminder GROUP BY kind")
_OPEN = sa.text("SELECT status, count(*) FROM incident WHERE status <> 'recovered' GROUP BY status")


class SqlOperations:
    """The ``Operations`` port on ``engine`` (which it disposes of on :meth:`close`)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reader = read_only_engine(engine)

    def readiness(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        heads = HEAD_REVISION
        try:
            with self._reader.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
                checks["database"] = "ok"
                # Read directly: Alembic's MigrationContext logs at INFO on every probe.
                found = [r[0] for r in connection.execute(sa.text(_REVISIONS))]
            current = "+".join(sorted(found)) or None
            checks["migrations"] = (
                "ok" if current == heads else f"database at {current}, this version needs {heads}"
            )
        except Exception as exc:  # whatever the driver raises, the answer is "not ready"
            url = self._engine.url.render_as_string(hide_password=False)
            problem = explain(url, exc)
            reason = problem.reason if problem else type(exc).__name__
            checks["database"] = f"unreachable: {reason}"
        return checks

    def figures(self) -> StoreFigures:
        with self._reader.connect() as connection:
            tables = set(sa.inspect(connection).get_table_names())
            open_incidents = [(str(s), int(n)) for s, n in connection.execute(_OPEN)]
            deliveries = (
                [(str(t), str(s), int(n), int(x)) for t, s, n, x in connection.execute(_DELIVERIES)]
                if "delivery" in tables
                else None
            )
            reminders = (
                [(str(k), int(n)) for k, n in connection.execute(_REMINDERS)]
                if "reminder" in tables
                else None
            )
        return StoreFigures(
            open_incidents=open_incidents,
            deliveries=deliveries,
            reminders_fired=reminders,
        )

    def close(self) -> None:
        self._engine.dispose()

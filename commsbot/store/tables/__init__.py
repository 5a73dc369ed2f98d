"""The tables, as SQLModel classes, one module per feature. Rows are storage only: the domain
objects carry the rules.

``table=True`` models skip pydantic validation, so nothing here validates: the domain does,
before anything reaches a row. Enum values are stored as their strings, not as database enum
types, so that adding a status later is a code change and not a type migration.

Every change here needs a migration in ``migrations/versions`` (a test compares the migrated
schema with this metadata on SQLite and on PostgreSQL). A new feature's tables go in a module
of their own here; :func:`import_all_tables` finds it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import SQLModel

#: Deterministic constraint names: SQLite's batch migrations can only drop named constraints.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID_LENGTH = 12
ENUM_LENGTH = 32


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back UTC-aware, on every backend.

    PostgreSQL keeps ``timestamptz`` and returns it in the session's zone; SQLite keeps text and
    drops the zone. Converting to UTC on the way in and tagging UTC on the way out makes both
    return the same value. A naive datetime is refused: its zone would be a guess.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"refusing to store naive datetime {value.isoformat()}; pass UTC")
        value = value.astimezone(UTC)
        # SQLite's DATETIME would print the wall time and silently drop the offset.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {value!r}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def import_all_tables() -> None:
    """Import every module of this package so ``SQLModel.metadata`` knows all tables.

    Migrations and schema checks call this instead of naming each one.
    """
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")

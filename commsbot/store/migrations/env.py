"""Alembic environment: configured from code (``commsbot.store.db``), no alembic.ini.

``commsbot.store.db.upgrade`` passes an open connection in ``config.attributes["connection"]``
and the migrations run inside its transaction. Without one (the ``alembic`` command line with a
``sqlalchemy.url`` option), an engine is made with commsbot's own settings.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from commsbot.store.db import make_engine
from commsbot.store.tables import UTCDateTime, import_all_tables

import_all_tables()

config = context.config
target_metadata = SQLModel.metadata


def render_item(kind: str, obj: Any, autogen: AutogenContext) -> str | Literal[False]:
    """Write ``UTCDateTime`` as the plain type it is in the database.

    A migration must not import application types that may change after it was written.
    """
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_on(connection: Connection) -> None:
    """Run the pending migrations on ``connection``."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    if context.is_offline_mode():
        raise RuntimeError("commsbot migrations run against a database, not as offline SQL")
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database to migrate: set sqlalchemy.url or pass a connection")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            run_on(conn)
    finally:
        engine.dispose()


run()

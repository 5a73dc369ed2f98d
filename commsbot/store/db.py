"""Engines and migrations: SQLite (embedded default) or PostgreSQL (several replicas)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError

from commsbot.store.health import in_memory, shown_url

if TYPE_CHECKING:
    from alembic.config import Config

#: Alembic's modules import each other in circles: imported by two threads at once (the
#: migration at start, /readyz asking for the head revision), one of them can see a module
#: half-initialised and fail with ImportError. Every first import goes through this lock.
_ALEMBIC_IMPORT = threading.Lock()

#: SQLite's busy timeout: how long a writer waits for the one before it, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 5000
#: Taken for the length of an upgrade, so two PostgreSQL replicas starting together take turns.
_MIGRATION_LOCK_ID = 0x636F6D6D73  # "comms"
_MIGRATIONS = Path(__file__).with_name("migrations")
#: The revision of the newest migration in ``migrations/versions`` (heads joined with ``+``),
#: known without Alembic: read-only commands compare the database's with it in one query
#: instead of importing Alembic to migrate. A test compares it with the folder, so a new
#: migration must change it here.
HEAD_REVISION = "0010_subscriptions"
_REVISION_QUERY = "SELECT version_num FROM alembic_version"
#: Execution option marking a read-only engine (see :func:`read_only_engine`).
_READ_ONLY = "commsbot_read_only"
_SUPPORTED = (
    "use sqlite:///PATH or postgresql://USER@HOST:PORT/DATABASE (psycopg 3: postgresql+psycopg)"
)
#: How long connecting to PostgreSQL may take before it counts as unreachable, in seconds
#: (without it, a host that drops packets holds every command for minutes).
POSTGRES_CONNECT_TIMEOUT = 10


def normalize_url(url: str) -> URL:
    """Parse ``url``; ``postgres://`` and ``postgresql://`` use the psycopg 3 driver.

    Raises:
        ValueError: the URL cannot be parsed or names a database commsbot does not support.
            The message never shows the password.
    """
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        raise ValueError(f"cannot read the database URL {_redact(url)!r}; {_SUPPORTED}") from None
    backend, _, driver = parsed.drivername.partition("+")
    # Only the drivers the engine settings below are written (and tested) for.
    if backend in ("postgres", "postgresql") and driver in ("", "psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        if in_memory(parsed):
            raise ValueError(
                f"{shown_url(url)} is an in-memory SQLite database: what is written would be "
                "lost when the command ends; use a file (sqlite:///commsbot.db) or PostgreSQL"
            )
        return parsed
    raise ValueError(f"database {parsed.drivername!r} is not supported; {_SUPPORTED}")


def _redact(url: str) -> str:
    # Good enough for a URL that did not even parse: drop everything before the host.
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}…@{rest.rpartition('@')[2]}" if "@" in rest else url


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with commsbot's connection settings.

    SQLite: WAL (readers beside the writer), a busy timeout, foreign keys on, and every
    transaction started with ``BEGIN IMMEDIATE``. The last one matters: a transaction that
    reads, then writes, started by a plain ``BEGIN`` fails at once with SQLITE_BUSY_SNAPSHOT
    when another writer committed in between (the busy timeout does not help); taking the write
    lock up front makes racing writers wait their turn and then read the winner's data.

    PostgreSQL (``postgres://``, ``postgresql://`` or ``postgresql+psycopg://``): psycopg 3,
    READ COMMITTED; the optimistic locks catch lost races.

    Raises:
        ValueError: see :func:`normalize_url`.
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    connect_args = (
        {} if "connect_timeout" in parsed.query else {"connect_timeout": POSTGRES_CONNECT_TIMEOUT}
    )
    return sa.create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)


def _sqlite_engine(url: URL) -> Engine:
    # Connections move between threads through the pool (asyncio.to_thread, the dispatcher).
    engine = sa.create_engine(url, connect_args={"check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Stop the sqlite3 module from issuing its own deferred BEGIN; _on_begin does it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # busy_timeout first, so that switching to WAL waits instead of failing.
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A reader never writes, so it cannot hit SQLITE_BUSY_SNAPSHOT: a deferred BEGIN lets
        # it read its WAL snapshot beside the writer instead of queueing for the write lock.
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def read_only_engine(engine: Engine) -> Engine:
    """``engine``, for transactions that only read: same pool, no write lock.

    On SQLite its transactions begin with a deferred ``BEGIN`` (they read beside a writer
    instead of waiting for it); on PostgreSQL they are ``READ ONLY``.
    """
    if engine.get_execution_options().get(_READ_ONLY, False):
        return engine
    if engine.dialect.name == "postgresql":
        return engine.execution_options(**{_READ_ONLY: True}, postgresql_readonly=True)
    return engine.execution_options(**{_READ_ONLY: True})


def _engine_for(target: str | Engine) -> tuple[Engine, bool]:
    """(engine, whether we made it and must dispose of it)."""
    if isinstance(target, Engine):
        return target, False
    return make_engine(target), True


def _alembic() -> ModuleType:
    """Alembic and the modules of it used here, imported once, by one thread at a time (not
    at the top of this module: that keeps alembic off the CLI's start-up path)."""
    with _ALEMBIC_IMPORT:
        import alembic
        import alembic.command
        import alembic.config
        import alembic.runtime.migration
        import alembic.script

        return alembic


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for the migrations inside the package; no alembic.ini.

    With ``connection``, migrations run on it (inside its transaction). Developers can pass the
    result to ``alembic.command.revision(cfg, autogenerate=True, message=...)`` after setting
    ``cfg.attributes["connection"]`` to a connection to an up-to-date database.
    """
    cfg: Config = _alembic().config.Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(target: str | Engine, revision: str = "heads") -> None:
    """Migrate the database at ``target`` (a URL or an engine) to ``revision``.

    Safe to run at every start: an up-to-date database is left alone, and on PostgreSQL an
    advisory lock makes replicas that start together migrate one after the other.
    """
    command = _alembic().command
    _migrate(target, lambda cfg: command.upgrade(cfg, revision))


def downgrade(target: str | Engine, revision: str) -> None:
    """Migrate the database at ``target`` down to ``revision`` (``"base"``: no tables)."""
    command = _alembic().command
    _migrate(target, lambda cfg: command.downgrade(cfg, revision))


def _migrate(target: str | Engine, run: Callable[[Config], None]) -> None:
    # One transaction for all the steps: SQLite and PostgreSQL both have transactional DDL,
    # so a failed migration leaves the schema as it was.
    engine, owned = _engine_for(target)
    try:
        if engine.dialect.name == "sqlite":
            _migrate_sqlite(engine, run)
            return
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})")
            run(alembic_config(connection))
    finally:
        if owned:
            engine.dispose()


def _migrate_sqlite(engine: Engine, run: Callable[[Config], None]) -> None:
    """SQLite's own procedure for changing a table it cannot ALTER (sqlite.org/lang_altertable):
    foreign keys off for the copy that batch mode makes, every key checked before the commit,
    foreign keys on again. With them on, copying a table that others point at would fail (its
    old copy cannot be dropped), and ``PRAGMA foreign_keys`` is a no-op inside a transaction.
    """
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        # Outside any transaction (the connection's isolation_level is None: no implicit BEGIN).
        raw.execute("PRAGMA foreign_keys = OFF")
        try:
            with connection.begin():
                run(alembic_config(connection))
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    table, rowid, parent, _ = broken[0]
                    raise RuntimeError(
                        f"the migration left {len(broken)} row(s) pointing at nothing (e.g. "
                        f"{table} row {rowid} → {parent}); nothing was changed"
                    )
        finally:
            raw.execute("PRAGMA foreign_keys = ON")


def head_revision() -> str:
    """The newest migration(s) this version of commsbot ships, joined with ``+``.

    Features add their tables in migrations of their own; until a merge migration joins them,
    there may be several heads, and ``upgrade`` applies them all.
    """
    heads = _alembic().script.ScriptDirectory.from_config(alembic_config()).get_heads()
    if not heads:
        raise RuntimeError(f"no migrations found in {_MIGRATIONS}")
    return "+".join(sorted(heads))


def current_revision(target: str | Engine) -> str | None:
    """The revision(s) the database at ``target`` is at, joined with ``+`` as in
    :func:`head_revision`; None when it was never migrated."""
    migration = _alembic().runtime.migration
    engine, owned = _engine_for(target)
    try:
        # Read-only: on SQLite, asking must not queue behind a writer for the write lock.
        with read_only_engine(engine).connect() as connection:
            heads = migration.MigrationContext.configure(connection).get_current_heads()
            return "+".join(sorted(heads)) if heads else None
    finally:
        if owned:
            engine.dispose()


def is_up_to_date(target: str | Engine) -> bool:
    """Whether the database at ``target`` is at :data:`HEAD_REVISION`: one query, no Alembic.

    False for a database never migrated (no ``alembic_version`` table yet).

    Raises:
        sqlalchemy.exc.DBAPIError: the database cannot be reached or opened.
    """
    engine, owned = _engine_for(target)
    try:
        with read_only_engine(engine).connect() as connection:
            try:
                found = connection.exec_driver_sql(_REVISION_QUERY).scalars().all()
            except sa.exc.DBAPIError:
                return False
    finally:
        if owned:
            engine.dispose()
    return "+".join(sorted(found)) == HEAD_REVISION

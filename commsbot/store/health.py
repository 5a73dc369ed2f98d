"""When the database cannot be used: one clear sentence instead of a driver's traceback.

A SQLite path in a folder that does not exist, a PostgreSQL that is down or refuses the password:
every command used to print SQLAlchemy's traceback. :func:`check_database` tries the database
once and raises :class:`DatabaseUnavailable`, whose message names the URL (never the password)
and what to fix::

    database sqlite:///nope/x.db is unusable: folder /srv/nope does not exist; create it or
    set COMMSBOT_DATABASE_URL
    database postgresql://maya:***@db:5432/commsbot is unusable: connection refused at db:5432
    — is PostgreSQL running and reachable?

:func:`explain` turns a driver error met later (the database went away while ``commsbot run``
kept running) into the same sentence; the engines' ``OutageLog``
(:mod:`commsbot.engines.outage`) uses it, through ``App.diagnose``, to say so once per outage.
"""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError

#: Where the URL is set, in the advice (bootstrap names the configuration file when it is there).
DEFAULT_WHERE = "COMMSBOT_DATABASE_URL"


class DatabaseUnavailable(Exception):
    """The database cannot be used now; the message says which one and what to fix.

    Attributes:
        code: ``database_unavailable``, the CLI's and API's error code.
        retryable: whether waiting may help (a server that is down, restarting or unreachable)
            as opposed to a local file problem only a person can fix.
    """

    code = "database_unavailable"

    def __init__(self, url: str, reason: str, *, retryable: bool) -> None:
        self.message = f"database {shown_url(url)} is unusable: {reason}"
        self.reason = reason
        self.retryable = retryable
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


def shown_url(url: str) -> str:
    """``url`` as typed, with any password replaced by ``***``."""
    url = url.strip()
    try:
        if make_url(url).password is None:
            return url
    except ArgumentError:
        pass
    head, sep, tail = url.rpartition("@")
    if not sep:
        return url
    scheme, slashes, credentials = head.partition("//")
    return f"{scheme}{slashes}{credentials.partition(':')[0]}:***@{tail}"


def in_memory(url: URL) -> bool:
    """Whether ``url`` is an in-memory SQLite database (``sqlite://``, ``sqlite:///:memory:``)."""
    if url.get_backend_name() != "sqlite":
        return False
    database = url.database or ""
    return (
        database in ("", ":memory:")
        or "mode=memory" in str(url)
        or database.startswith("file::memory:")
    )


def check_database(engine: Engine, url: str, *, where: str = DEFAULT_WHERE) -> None:
    """Connect once and run ``SELECT 1``; raise :class:`DatabaseUnavailable` when that fails.

    On SQLite the path is looked at first, so that a missing folder is named as such rather
    than as SQLite's "unable to open database file".
    """
    if engine.dialect.name == "sqlite":
        problem = _sqlite_path_problem(engine.url, where)
        if problem is not None:
            raise DatabaseUnavailable(url, problem, retryable=False)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except sa.exc.DBAPIError as exc:
        found = explain(url, exc, where=where)
        if found is None:
            found = DatabaseUnavailable(
                url,
                f"{_driver_message(exc)}; check {where}",
                retryable=engine.dialect.name != "sqlite",
            )
        raise found from None


def explain(
    url: str, exc: BaseException, *, where: str = DEFAULT_WHERE
) -> DatabaseUnavailable | None:
    """The database problem behind ``exc``, or None when ``exc`` is not one it recognises.

    Recognised: a server that cannot be reached, refuses the login, or lost the connection
    (PostgreSQL); a file that cannot be opened or is not a database (SQLite).
    """
    if not isinstance(exc, sa.exc.DBAPIError):
        return None
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        return None
    message = _driver_message(exc)
    if parsed.get_backend_name() == "sqlite":
        reason = _sqlite_path_problem(parsed, where) or _sqlite_reason(parsed, message, where)
        return None if reason is None else DatabaseUnavailable(url, reason, retryable=False)
    reason = _postgres_reason(parsed, message, where)
    if reason is None and exc.connection_invalidated:
        reason = f"the connection was lost ({message}) — is PostgreSQL running and reachable?"
    return None if reason is None else DatabaseUnavailable(url, reason, retryable=True)


def _driver_message(exc: sa.exc.DBAPIError) -> str:
    """The driver's own words, without libpq's "connection to server at … failed:" preamble."""
    text = str(exc.orig) if exc.orig is not None else str(exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    first = re.sub(r"^connection failed: ", "", first)
    first = re.sub(r'^connection to server at "[^"]*"(?: \([^)]*\))?, port \d+ failed: ', "", first)
    return re.sub(r"^FATAL:\s+", "", first)


def _sqlite_path_problem(url: URL, where: str) -> str | None:
    if not url.database or url.database.startswith("file:"):
        return None
    path = Path(url.database).absolute()
    folder = path.parent
    if not folder.exists():
        return f"folder {folder} does not exist; create it or set {where}"
    if not folder.is_dir():
        return f"{folder} is not a folder; set {where} to a file in a folder"
    if path.is_dir():
        return f"{path} is a folder, not a file; name a file in it (e.g. {path / 'commsbot.db'})"
    return None


def _sqlite_reason(url: URL, message: str, where: str) -> str | None:
    path = Path(url.database or "").absolute()
    lowered = message.lower()
    if "file is not a database" in lowered or "malformed" in lowered:
        return (
            f"{path} is not a SQLite database ({message}); point {where} at a commsbot "
            "database or at a new file"
        )
    if "unable to open database file" in lowered or "readonly database" in lowered:
        return (
            f"cannot open or write {path} ({message}); check that this user may write in "
            f"{path.parent}, or set {where}"
        )
    if "disk i/o error" in lowered:
        return f"the disk failed reading or writing {path} ({message}); check the disk"
    return None


#: (pattern in the driver's message, reason; {host} {port} {user} {database} {where} {message})
_POSTGRES_REASONS = (
    (
        "connection refused",
        "connection refused at {host}:{port} — is PostgreSQL running and reachable?",
    ),
    (
        "password authentication failed",
        "password authentication failed for user {user} — check the password in {where}",
    ),
    (
        "no password supplied",
        "the server wants a password for user {user} — put it in {where} "
        "(postgresql://{user}:PASSWORD@{host}/{database})",
    ),
    ('role "', "user {user} does not exist on the server — create it, or fix the user in {where}"),
    (
        'database "',
        "database {database} does not exist on the server — create it (createdb "
        "{database}), or fix its name in {where}",
    ),
    ("resolve host", "host {host} was not found — check the host in {where}"),
    ("translate host name", "host {host} was not found — check the host in {where}"),
    (
        "timeout expired",
        "no answer from {host}:{port} in time — is PostgreSQL running and reachable?",
    ),
    (
        "pg_hba.conf",
        "the server does not let user {user} connect from here (pg_hba.conf) — ask "
        "its administrator",
    ),
    ("starting up", "PostgreSQL is starting up — it should accept connections shortly"),
    ("shutting down", "PostgreSQL is shutting down — is it being restarted?"),
    ("recovery mode", "PostgreSQL is recovering — it should accept connections shortly"),
    (
        "too many clients",
        "PostgreSQL has no free connection (max_connections) — try again, or raise max_connections",
    ),
    (
        "remaining connection slots",
        "PostgreSQL has no free connection (max_connections) — try again, or raise max_connections",
    ),
    (
        "network is unreachable",
        "{host}:{port} cannot be reached ({message}) — check the network and the host in {where}",
    ),
    (
        "no route to host",
        "{host}:{port} cannot be reached ({message}) — check the network and the host in {where}",
    ),
    (
        "server closed the connection",
        "the server closed the connection — is PostgreSQL running and reachable?",
    ),
    (
        "terminating connection",
        "the server ended the connection ({message}) — is PostgreSQL being restarted?",
    ),
    ("connection is closed", "the connection was lost — is PostgreSQL running and reachable?"),
    ("consuming input failed", "the connection was lost — is PostgreSQL running and reachable?"),
    ("connection is lost", "the connection was lost — is PostgreSQL running and reachable?"),
    ("ssl", "the TLS handshake with {host}:{port} failed ({message}) — check sslmode in {where}"),
)


def _postgres_reason(url: URL, message: str, where: str) -> str | None:
    lowered = message.lower()
    for pattern, template in _POSTGRES_REASONS:
        if pattern in lowered:
            return template.format(
                host=url.host or "localhost",
                port=url.port or 5432,
                user=url.username or "(the default user)",
                database=url.database or "(the default database)",
                where=where,
                message=message,
            )
    return None

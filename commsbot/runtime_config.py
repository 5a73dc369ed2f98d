"""The ``[runtime]`` and ``[logging]`` sections of ``commsbot.toml``: how ``commsbot run`` runs
as a process (stopping, and what it logs)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class RuntimeConfig(BaseModel):
    """How ``commsbot run`` stops.

    Attributes:
        shutdown_grace_seconds: after SIGTERM or SIGINT, how long the bot may take to stop.
            It claims no new work at once; deliveries being sent get most of this time to
            finish, and those still running then are released (marked "maybe sent", so the
            next attempt checks before posting again) for another replica, or the next start,
            to take at once. The process exits within this time; make a supervisor's stop
            timeout (systemd ``TimeoutStopSec``, ``docker stop --time``) longer.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    shutdown_grace_seconds: float = Field(default=10.0, ge=1.0, le=600.0)

    @property
    def delivery_grace_seconds(self) -> float:
        """How long running deliveries may take to finish: the grace period less up to 2 s
        (at most half of it) kept for releasing the rest and closing connections."""
        total = self.shutdown_grace_seconds
        return max(total / 2, total - 2.0)


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class LogLevel(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class LoggingConfig(BaseModel):
    """What ``commsbot run`` logs, on standard error.

    Attributes:
        format: ``text`` (one readable line per event) or ``json`` (one JSON object per line,
            for a log collector: ``time``, ``level``, ``logger``, ``message``, the incident,
            delivery, draft and reminder ids where there are some, ``exception``).
            ``commsbot run --log-format`` overrides it.
        level: the least important level logged: ``debug``, ``info``, ``warning`` or
            ``error``. ``commsbot run --log-level`` overrides it.
        access_log: log every HTTP request (the HTTP server's access log, in the same
            format). Off by default: a status page everyone reloads would flood the log.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: LogFormat = LogFormat.TEXT
    level: LogLevel = LogLevel.INFO
    access_log: bool = False

"""How ``commsbot run`` logs: readable lines or one JSON object per line, secrets never shown.

Log sites pass the ids they have as ``extra=`` (``incident_id``, ``incident_ref``,
``delivery_id``, ``target``, ``draft_id``, ``reminder_id``); the JSON format makes each a field.
Every line, in either format, goes through a :class:`Redactor` that knows the configured secret
values (tokens, webhook secrets, passwords in URLs) and a few token shapes, and writes ``***``
in their place: a secret that reaches a message, an argument, an exception or a field by
mistake is still not written out.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

#: What a secret is replaced with.
MASK = "***"
#: Shorter values are not treated as secrets: masking "1" everywhere would ruin every line.
MIN_SECRET_LENGTH = 4

#: Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "taskName", "color_message"}  # color_message: uvicorn's duplicate
)
#: uvicorn's access log passes these as its message's arguments.
_ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class Redactor:
    """Replaces known secret values, and anything shaped like a token, with ``***``.

    Args:
        secrets: the values to hide (shorter than :data:`MIN_SECRET_LENGTH`: ignored).
        patterns: regular expressions of token shapes to hide whatever their value.
    """

    def __init__(self, secrets: Iterable[str] = (), patterns: Iterable[str] = ()) -> None:
        values = sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
        parts = [re.escape(v) for v in values] + list(patterns)
        self._pattern = re.compile("|".join(parts)) if parts else None

    def __call__(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)


class TextFormatter(logging.Formatter):
    """``2024-12-11 15:16:00,123 INFO commsbot.delivery: …``, secrets masked."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__(TEXT_FORMAT)
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (ISO 8601, UTC, milliseconds), ``level``,
    ``logger``, ``message``, then the record's ``extra=`` fields, then ``exception`` (the
    traceback) and ``stack`` where there is one. Secrets are masked in every string."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, UTC)
        entry: dict[str, Any] = {
            "time": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            entry.update(zip(_ACCESS_FIELDS, record.args, strict=False))
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(self._masked(entry), ensure_ascii=False, default=str)

    def _masked(self, value: Any) -> Any:
        # Before encoding: a secret with a quote or a backslash is escaped in the JSON text,
        # where a search for its plain value would no longer find it.
        if isinstance(value, str):
            return self._redact(value)
        if isinstance(value, dict):
            return {k: self._masked(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._masked(v) for v in value]
        if value is None or isinstance(value, bool | int | float):
            return value
        return self._redact(str(value))


def configure_logging(
    *,
    json_lines: bool,
    level: str = "info",
    redact: Redactor | None = None,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send every logger's records (commsbot's, uvicorn's, the SDKs') to one handler on
    ``stream`` (standard error), in the format asked for; returns the handler.

    Replaces handlers set up before (a second call reconfigures). A few chatty libraries
    are kept at WARNING whatever ``level`` says (their detail is for their own debugging).
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        JsonFormatter(redact or Redactor()) if json_lines else TextFormatter(redact or Redactor())
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn cuts its loggers off when it configures itself (a server started with the
    # access log off sets uvicorn.access's propagate to False, for the whole process): put
    # them back on the one handler, so that turning the access log on later is seen.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.propagate = True
    # alembic: a line per plugin at every start; apscheduler: several per tick; httpx: a
    # line per request, URL included (a webhook URL may carry a token); sqlalchemy: every
    # statement at debug.
    for name in ("alembic", "apscheduler", "httpx", "httpcore", "sqlalchemy"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler

"""The log formats of ``commsbot run``: JSON lines for machines, text for people, and secrets
masked in both, wherever in a record they hide (message, arguments, fields, exception)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from commsbot.configure.secrets import TOKEN_PATTERNS, secret_values
from commsbot.logs import MASK, Redactor, configure_logging
from commsbot.settings import parse_settings

WEBHOOK_SECRET = 'wh"sec\\ret-9f2c1d'  # a quote and a backslash: escaped inside JSON text
DB_PASSWORD = "pg-p@ss:w0rd/x"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def _capture(
    *, json_lines: bool, redact: Redactor | None = None, level: str = "info"
) -> io.StringIO:
    stream = io.StringIO()
    configure_logging(json_lines=json_lines, level=level, redact=redact, stream=stream)
    return stream


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_time_level_logger_message_and_the_ids_as_fields(
    restore_logging: None,
) -> None:
    stream = _capture(json_lines=True)
    logging.getLogger("commsbot.delivery").warning(
        "delivery %s to %s failed",
        "d1",
        "status-hook",
        extra={"delivery_id": "d1", "target": "status-hook", "incident_id": "i1"},
    )
    logging.getLogger("commsbot.reminders").debug("not at info")
    [line] = _lines(stream)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line.pop("time"))
    assert line == {
        "level": "WARNING",
        "logger": "commsbot.delivery",
        "message": "delivery d1 to status-hook failed",
        "delivery_id": "d1",
        "target": "status-hook",
        "incident_id": "i1",
    }


def test_an_exception_is_a_field_of_its_line(restore_logging: None) -> None:
    stream = _capture(json_lines=True)
    try:
        raise ValueError("bad thing")
    except ValueError:
        logging.getLogger("commsbot").exception("it broke", extra={"reminder_id": "r1"})
    [line] = _lines(stream)
    assert line["message"] == "it broke"
    assert line["reminder_id"] == "r1"
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert line["exception"].endswith("ValueError: bad thing")
    assert len(stream.getvalue().splitlines()) == 1  # the traceback inside the one line


def test_uvicorns_access_log_becomes_fields(restore_logging: None) -> None:
    stream = _capture(json_lines=True)
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/api/v2/summary.json", "1.1", 200
    )
    [line] = _lines(stream)
    assert line["logger"] == "uvicorn.access"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/v2/summary.json", 200)


def _settings_with_secrets() -> tuple[Any, dict[str, str]]:
    settings = parse_settings(
        {
            "database_url": f"postgresql://commsbot:{quote(DB_PASSWORD, safe='')}@db:5432/commsbot",
            "destinations": [
                {"name": "hook", "type": "webhook", "url": "https://h.test/", "secret_env": "HOOK"},
                {"name": "social", "type": "apprise", "url_env": "SOCIAL"},
            ],
        }
    )
    environ = {
        "HOOK": WEBHOOK_SECRET,
        "SOCIAL": "mailtos://ops:m4il-pass@mail.test, json://u:j5on-pass@hooks.test/x",
        "SLACK_BOT_TOKEN": "xoxb-1111-2222-abcdefghijklmnop",
        "NOT_NAMED": "not-a-secret-value",
    }
    return settings, environ


def test_the_configuration_knows_its_secrets() -> None:
    settings, environ = _settings_with_secrets()
    found = secret_values(settings, environ)
    assert WEBHOOK_SECRET in found
    assert DB_PASSWORD in found  # decoded, as a driver error might print it
    assert {"m4il-pass", "j5on-pass", "xoxb-1111-2222-abcdefghijklmnop"} <= found
    assert "not-a-secret-value" not in found


@pytest.mark.parametrize("json_lines", [True, False], ids=["json", "text"])
def test_secrets_are_masked_wherever_they_appear(restore_logging: None, json_lines: bool) -> None:
    settings, environ = _settings_with_secrets()
    redact = Redactor(secret_values(settings, environ), TOKEN_PATTERNS)
    stream = _capture(json_lines=json_lines, redact=redact)
    api_token = "cbt_" + "A" * 43
    log = logging.getLogger("commsbot.test")
    log.info("posting with %s", WEBHOOK_SECRET)
    log.info("apprise said: %s", environ["SOCIAL"])
    log.info("field", extra={"target": f"x {DB_PASSWORD} y", "draft_id": api_token})
    try:
        raise RuntimeError(f"connect failed for password {DB_PASSWORD}")
    except RuntimeError:
        log.exception("and a traceback")
    log.info("a request with Authorization: Bearer %s", api_token)
    log.info("slack said no to %s", "xapp-1-A0B-1234567890-abcdef")
    out = stream.getvalue()
    for secret in (WEBHOOK_SECRET, DB_PASSWORD, "m4il-pass", "j5on-pass", api_token, "xapp-1-"):
        assert secret not in out
    if json_lines:
        lines = _lines(stream)
        assert lines[0]["message"] == f"posting with {MASK}"
        assert lines[2]["target"] == f"x {MASK} y"
        assert lines[2]["draft_id"] == MASK
        assert MASK in lines[3]["exception"]
        for line in lines:  # nor its JSON-escaped form
            assert json.dumps(WEBHOOK_SECRET)[1:-1] not in json.dumps(line)
    else:
        assert f"posting with {MASK}" in out


def test_short_values_are_not_treated_as_secrets() -> None:
    redact = Redactor(["1", "ab", "long-enough"])
    assert redact("1 ab long-enough") == f"1 ab {MASK}"

"""Real-format Discord payloads and the plumbing to run a scenario against the fake API."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from discord.http import Route

from commsbot.delivery.ports import Outbound
from commsbot.domain.lifecycle import Status, Trigger
from commsbot.domain.model import (
    ComponentChange,
    ComponentStatus,
    Incident,
    IncidentSnapshot,
    Severity,
    Update,
)
from tests.adapters.discord.fake_discord import APP_ID, GUILD_ID, TEXT_CHANNEL, FakeDiscord

T = TypeVar("T")
_ids = itertools.count(1400000000000000000)

MAYA = 1500000000000000001  # incident commander
SAM = 1500000000000000002  # approver (by role)
ALEX = 1500000000000000003  # neither
APPROVER_ROLE = 1600000000000000001
RESPONDER_ROLE = 1600000000000000002


def run(scenario: Callable[[], Awaitable[T]], *, seconds: float = 60.0) -> T:
    """Run an async scenario in a fresh event loop, bounded in time."""

    async def bounded() -> T:
        return await asyncio.wait_for(scenario(), seconds)

    return asyncio.run(bounded())


@contextlib.asynccontextmanager
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A started fake; discord.py's ``Route.BASE`` is restored afterwards."""
    before = Route.BASE
    fake = FakeDiscord()
    await fake.start()
    try:
        yield fake
    finally:
        for close in fake.closers:
            await close()
        Route.BASE = before
        await fake.stop()


async def settle(timeout: float = 10.0) -> None:
    """Wait until discord.py's command and component tasks have finished."""
    prefixes = ("CommandTree-invoker", "discord-ui-")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        await asyncio.sleep(0.01)
        busy = [t for t in asyncio.all_tasks() if t.get_name().startswith(prefixes)]
        if not busy:
            return
    raise AssertionError("interaction handlers did not finish")


# --- published updates -----------------------------------------------------------------------

WHEN = datetime(2024, 12, 11, 23, 16, tzinfo=UTC)


def outbound(
    *,
    body: str = "We're investigating an issue affecting ChatGPT, API and Sora.",
    status: Status = Status.INVESTIGATING,
    key: str = "d-abc123-1",
    correction_of: str | None = None,
    link: str = "https://status.example.com/incidents/k2v9x0q7ab1c",
    title: str = "ChatGPT, API and Sora unavailable",
    attempt: int = 1,
    maybe_sent: bool = False,
) -> Outbound:
    comps = {
        "ChatGPT": ComponentStatus.MAJOR_OUTAGE,
        "API": ComponentStatus.MAJOR_OUTAGE,
        "Sora": ComponentStatus.PARTIAL_OUTAGE,
    }
    incident = Incident(
        id="k2v9x0q7ab1c",
        number=1,
        title=title,
        severity=Severity.SEV1,
        status=status,
        components=list(comps),
        commander="discord:1500000000000000001",
        declared_at=WHEN,
        updated_at=WHEN,
    )
    update = Update(
        id="u1",
        incident_id=incident.id,
        seq=1,
        status=status,
        trigger=Trigger.PROGRESS,
        body=body,
        changes=(ComponentChange("ChatGPT", ComponentStatus.OPERATIONAL, comps["ChatGPT"]),),
        author="discord:1500000000000000001",
        approver="discord:1500000000000000002",
        draft_id="d1",
        published_at=WHEN,
        next_update_by=WHEN + timedelta(minutes=30),
    )
    return Outbound(
        delivery_id="del1",
        key=key,
        incident=IncidentSnapshot(incident=incident, components=comps),
        update=update,
        link=link,
        attempt=attempt,
        correction_of=correction_of,
        maybe_sent=maybe_sent,
    )


# --- interactions ----------------------------------------------------------------------------


def member(user_id: int, name: str, roles: tuple[int, ...] = ()) -> dict[str, Any]:
    return {
        "user": {
            "id": str(user_id),
            "username": name,
            "discriminator": "0",
            "global_name": name.capitalize(),
            "avatar": None,
            "public_flags": 0,
        },
        "roles": [str(r) for r in roles],
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "nick": None,
        "avatar": None,
        "permissions": "2248473465835073",
    }


def _base(kind: int, who: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(next(_ids)),
        "application_id": str(APP_ID),
        "type": kind,
        "token": f"interaction-token-{next(_ids)}",
        "version": 1,
        "guild_id": str(GUILD_ID),
        "guild": {"id": str(GUILD_ID), "locale": "en-US", "features": []},
        "channel_id": str(TEXT_CHANNEL),
        "channel": {
            "id": str(TEXT_CHANNEL),
            "type": 0,
            "guild_id": str(GUILD_ID),
            "name": "incidents",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "flags": 0,
        },
        "member": who,
        "data": data,
        "locale": "en-US",
        "guild_locale": "en-US",
        "app_permissions": "2248473465835073",
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(GUILD_ID)},
        "context": 0,
        "attachment_size_limit": 10485760,
    }


def option(name: str, value: Any, *, focused: bool = False) -> dict[str, Any]:
    kind = 5 if isinstance(value, bool) else 4 if isinstance(value, int) else 3
    opt: dict[str, Any] = {"type": kind, "name": name, "value": value}
    if focused:
        opt["focused"] = True
    return opt


def command(
    sub: str,
    who: dict[str, Any],
    *options: dict[str, Any],
    kind: int = 2,
    resolved: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``/incident <sub> …`` as Discord sends it (``kind`` 4 for autocomplete)."""
    data: dict[str, Any] = {
        "id": "1700000000000000001",
        "name": "incident",
        "type": 1,
        "guild_id": str(GUILD_ID),
        "options": [{"type": 1, "name": sub, "options": list(options)}],
    }
    if resolved:
        data["resolved"] = resolved
    return _base(kind, who, data)


def user_option(name: str, someone: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A USER option picking the member ``someone``, with the ``resolved`` data Discord adds."""
    user_id = someone["user"]["id"]
    as_member = {k: v for k, v in someone.items() if k != "user"}
    resolved = {"users": {user_id: someone["user"]}, "members": {user_id: as_member}}
    return {"type": 6, "name": name, "value": user_id}, resolved


def press(custom_id: str, who: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    """A button press on ``message`` (as stored by the fake: the real message payload)."""
    payload = _base(3, who, {"custom_id": custom_id, "component_type": 2})
    payload["message"] = message
    return payload


def submit(
    custom_id: str, who: dict[str, Any], values: dict[str, str], message: dict[str, Any] | None
) -> dict[str, Any]:
    """A modal submission (labelled text inputs, Discord's current format)."""
    components = [
        {"type": 18, "id": n, "component": {"type": 4, "id": n + 100, "custom_id": k, "value": v}}
        for n, (k, v) in enumerate(values.items(), start=1)
    ]
    payload = _base(5, who, {"custom_id": custom_id, "components": components})
    if message is not None:
        payload["message"] = message
    return payload


def buttons_of(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message.get("components", []) for c in row["components"]]

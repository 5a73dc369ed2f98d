"""The console: published updates and internal notices printed to stdout.

For local runs (``make run``) and as a last resort: it is the default destination and the
default notifier when ``commsbot.toml`` configures none. A console cannot be asked whether it
already printed something, so after a crash an update may be printed twice.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO
from zoneinfo import ZoneInfo

from commsbot.delivery.maintenance_render import maintenance_plain
from commsbot.delivery.ports import MaintenanceOutbound, Notice, Outbound, Receipt
from commsbot.delivery.render import neutralize
from commsbot.domain.model import IncidentSnapshot, Update
from commsbot.render import incident_line, update_block

if TYPE_CHECKING:
    from commsbot.delivery.config import DestinationConfig, NotifierConfig
    from commsbot.engines.targets import AdapterContext

RULE = "=" * 72


def render_update(
    snap: IncidentSnapshot, update: Update, zone: ZoneInfo, *, correction: bool = False
) -> str:
    """One published (or corrected) update as the console shows it.

    What people typed (title, body, names) goes through :func:`neutralize`, as on every
    other surface: a terminal that pastes into chat must not carry a live mention.
    """
    head = "CORRECTED" if correction else "PUBLISHED"
    lines = [f"{head}  {incident_line(snap, zone)}", *update_block(update, zone)]
    return RULE + "\n" + neutralize("\n".join(lines))


def render_notice(notice: Notice) -> str:
    """One internal notice as the console shows it."""
    who = f"  (for {', '.join(notice.audience)})" if notice.audience else ""
    lines = [f"NOTICE {notice.kind}  {notice.incident_ref}{who}"]
    lines += [f"  {line}" for line in neutralize(notice.full_text()).splitlines()]
    return "\n".join(lines)


class ConsoleDestination:
    """Prints each delivered update."""

    def __init__(self, *, name: str, out: TextIO, zone: ZoneInfo) -> None:
        self.name = name
        self._out = out
        self._zone = zone

    async def deliver(self, item: Outbound) -> Receipt:
        self._out.write(
            render_update(item.incident, item.update, self._zone, correction=item.is_correction)
            + "\n"
        )
        self._out.flush()
        return Receipt(message_id=f"console:{item.key}")

    async def deliver_maintenance(self, item: MaintenanceOutbound) -> Receipt:
        self._out.write(f"{RULE}\nPUBLISHED  {maintenance_plain(item, zone=self._zone)}\n")
        self._out.flush()
        return Receipt(message_id=f"console:{item.key}")


class ConsoleNotifier:
    """Prints each internal notice."""

    def __init__(self, *, name: str, out: TextIO) -> None:
        self.name = name
        self._out = out

    async def notify(self, notice: Notice) -> Receipt:
        self._out.write(render_notice(notice) + "\n")
        self._out.flush()
        return Receipt(message_id=f"console:{notice.key}" if notice.key else None)


def _stream(options: object, context: AdapterContext) -> TextIO:
    return sys.stderr if getattr(options, "stream", "stdout") == "stderr" else context.out


def make_destination(config: DestinationConfig, context: AdapterContext) -> ConsoleDestination:
    """The registry's factory for ``type = "console"`` destinations."""
    return ConsoleDestination(
        name=config.name, out=_stream(config.options, context), zone=context.settings.zone
    )


def make_notifier(config: NotifierConfig, context: AdapterContext) -> ConsoleNotifier:
    """The registry's factory for ``type = "console"`` notifiers."""
    return ConsoleNotifier(name=config.name, out=_stream(config.options, context))

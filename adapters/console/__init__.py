"""The console: published updates printed to stdout, for local runs and as a last resort."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from commsbot.domain.model import Update
from commsbot.services.views import IncidentSnapshot
from commsbot.textviews import incident_line, update_block


def render_update(snap: IncidentSnapshot, update: Update, zone: ZoneInfo) -> str:
    """One published update as the console shows it."""
    return "\n".join(
        ["=" * 72, f"PUBLISHED  {incident_line(snap, zone)}", *update_block(update, zone)]
    )

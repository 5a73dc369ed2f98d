"""The ``[maintenance]`` section of ``commsbot.toml``."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Reminders further ahead than this are not reminders but a second announcement.
_MAX_REMINDER_HOURS = 24 * 30


class MaintenanceConfig(BaseModel):
    """What the bot does on its own about scheduled maintenance, and what it accepts.

    Every field has a default. A maintenance may override ``auto_start``/``auto_complete`` when
    it is scheduled.

    Attributes:
        auto_start: at the window's start, move its components to under maintenance and publish
            the start notice approved with the announcement.
        auto_complete: at the window's end, return the components and publish the end notice
            approved with the announcement. Without it, the owner is reminded at the end that
            the maintenance is still open (``overrun``).
        remind_before_hours: remind the team this many hours before a window starts (each
            one a reminder; those already past when the announcement is approved are skipped).
        overrun_repeat_minutes: a maintenance still open after its window keeps reminding its
            owner, first after this long, then less and less often (as approval nudges do).
        max_window_hours: the longest window that may be scheduled (or extended to).
        max_ahead_days: the furthest ahead a window may start (a typo in the year is refused).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    auto_start: bool = True
    auto_complete: bool = True
    remind_before_hours: list[float] = Field(default_factory=lambda: [24.0, 1.0])
    overrun_repeat_minutes: int = Field(default=30, ge=1, le=24 * 60)
    max_window_hours: float = Field(default=72.0, gt=0, le=24 * 366)
    max_ahead_days: int = Field(default=365, ge=1, le=3660)

    @field_validator("remind_before_hours")
    @classmethod
    def _reminders(cls, value: list[float]) -> list[float]:
        for hours in value:
            if not 0 < hours <= _MAX_REMINDER_HOURS:
                raise ValueError(
                    f"each reminder is 0 to {_MAX_REMINDER_HOURS} hours before the start; "
                    f"{hours:g} is not (e.g. remind_before_hours = [24, 1])"
                )
        # Furthest first, without repeats: the order reminders fire in.
        return sorted(set(value), reverse=True)

    @property
    def max_window(self) -> timedelta:
        return timedelta(hours=self.max_window_hours)

    @property
    def max_ahead(self) -> timedelta:
        return timedelta(days=self.max_ahead_days)

    @property
    def reminders_before(self) -> list[timedelta]:
        """``remind_before_hours`` as durations, furthest first."""
        return [timedelta(hours=h) for h in self.remind_before_hours]

"""The ``[reminders]`` section of ``commsbot.toml``."""

from __future__ import annotations

from datetime import date, time
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def number(self) -> int:
        """Monday is 0, as in :meth:`datetime.date.weekday`."""
        return list(Weekday).index(self)


def _default_workdays() -> list[Weekday]:
    return [Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI]


class RemindersConfig(BaseModel):
    """When commsbot reminds, and whom. Every field has a default; times are in ``timezone``.

    Attributes:
        enabled: plan and fire reminders at all.
        poll_seconds: the safety tick: how often a running bot looks for reminders created by
            other processes (the CLI, another replica); the next due one is also woken for.
        escalate_after_minutes: how long after a missed "next update by" the approvers (or
            ``escalate_to``) are reminded too; unset: never.
        escalate_to: who the escalation goes to (the comms lead); empty: the severity's approvers.
        approval_waiting_minutes: a draft pending this long nudges the approvers; unset: never.
        approval_backoff: each nudge waits this many times longer than the one before …
        approval_max_interval_minutes: … up to this long.
        rca_business_days: the root-cause analysis is due this many business days after
            recovery, at ``rca_due_time``; unset: no RCA reminders.
        rca_remind_before_business_days: a reminder this many business days before it is due
            (0: none), at ``business_day_start``; skipped when that is not after the recovery.
        rca_due_time: the time of day the RCA is due.
        business_day_start: when morning reminders go out (RCA, overdue RCA, follow-ups).
        workdays: the business days of the week.
        holidays: dates that are not business days.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    poll_seconds: float = Field(default=15.0, ge=0.05, le=3600)
    escalate_after_minutes: int | None = Field(default=15, ge=1, le=24 * 60)
    escalate_to: list[str] = Field(default_factory=list)
    approval_waiting_minutes: int | None = Field(default=5, ge=1, le=24 * 60)
    approval_backoff: float = Field(default=2.0, ge=1.0, le=10.0)
    approval_max_interval_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    rca_business_days: int | None = Field(default=5, ge=1, le=90)
    rca_remind_before_business_days: int = Field(default=1, ge=0, le=30)
    rca_due_time: time = time(17, 0)
    business_day_start: time = time(9, 0)
    workdays: list[Weekday] = Field(default_factory=_default_workdays, min_length=1)
    holidays: list[date] = Field(default_factory=list)

    @field_validator("rca_due_time", "business_day_start")
    @classmethod
    def _wall_clock(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("give a wall-clock time such as 09:00; the zone is `timezone`")
        return value

    @property
    def workday_numbers(self) -> frozenset[int]:
        return frozenset(d.number for d in self.workdays)

"""Reminders as values: what is due when, for whom, and what firing or snoozing does to one.

Pure, like :mod:`commsbot.domain`: no clock, no database. A reminder is frozen; every change
returns a new one, so the store can write ``new`` only where the row still equals ``old`` (the
claim that makes a reminder fire once across replicas).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from commsbot.domain import when
from commsbot.domain.errors import AlreadyDecided, InvalidInput
from commsbot.reminders.config import RemindersConfig


class ReminderKind(StrEnum):
    """What a reminder is about."""

    UPDATE_DUE = "update_due"  # the promised "next update by" has come: the commander
    UPDATE_OVERDUE = "update_overdue"  # still nothing after the grace period: approvers too
    APPROVAL_WAITING = "approval_waiting"  # a draft waits for a second person
    RCA_DUE = "rca_due"  # the root-cause analysis will soon be due
    RCA_OVERDUE = "rca_overdue"  # … and now it is due, then overdue
    FOLLOWUP = "followup"  # a follow-up action someone owns
    # Scheduled maintenance (``incident_id`` then names the maintenance):
    MAINTENANCE_UPCOMING = "maintenance_upcoming"  # the team, N hours before a window starts
    MAINTENANCE_START = "maintenance_start"  # the bot starts it (auto_start)
    MAINTENANCE_END = "maintenance_end"  # the bot completes it (auto_complete)
    MAINTENANCE_OVERRUN = "maintenance_overrun"  # still open after its window: the owner

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def maintenance(self) -> bool:
        """About a scheduled maintenance, not an incident."""
        return self in MAINTENANCE_KINDS


_LABELS = {
    ReminderKind.UPDATE_DUE: "next update due",
    ReminderKind.UPDATE_OVERDUE: "update overdue",
    ReminderKind.APPROVAL_WAITING: "approval waiting",
    ReminderKind.RCA_DUE: "root-cause analysis due soon",
    ReminderKind.RCA_OVERDUE: "root-cause analysis due",
    ReminderKind.FOLLOWUP: "follow-up",
    ReminderKind.MAINTENANCE_UPCOMING: "maintenance upcoming",
    ReminderKind.MAINTENANCE_START: "maintenance start",
    ReminderKind.MAINTENANCE_END: "maintenance end",
    ReminderKind.MAINTENANCE_OVERRUN: "maintenance overrunning",
}
MAINTENANCE_KINDS = frozenset(
    {
        ReminderKind.MAINTENANCE_UPCOMING,
        ReminderKind.MAINTENANCE_START,
        ReminderKind.MAINTENANCE_END,
        ReminderKind.MAINTENANCE_OVERRUN,
    }
)


class ReminderState(StrEnum):
    PENDING = "pending"  # will fire at due_at
    FIRED = "fired"  # fired once and does not repeat; snoozing re-arms it
    DONE = "done"  # what it was about happened
    CANCELLED = "cancelled"  # someone cancelled it

    @property
    def active(self) -> bool:
        return self in (ReminderState.PENDING, ReminderState.FIRED)


class Repeat(StrEnum):
    """What happens after a reminder fires."""

    ONCE = "once"  # it is fired
    BACKOFF = "backoff"  # again after ``interval``, which then grows (approval nudges)
    WORKDAYS = "workdays"  # again next business day at the start of the day (RCA, follow-ups)


#: Who the bot acts as on the timeline.
BOT_ACTOR = "commsbot"
MIN_SNOOZE = timedelta(minutes=1)
MAX_SNOOZE = timedelta(days=30)
MAX_TEXT = 2_000


@dataclass(frozen=True)
class Reminder:
    """One reminder row.

    Attributes:
        due_at: when it fires next (UTC); moved by snoozing and by repeats.
        interval: the current back-off step (``Repeat.BACKOFF`` only).
        audience: actor ids or groups to mention (as in the approver lists); empty: the
            incident's channel at large.
        text: the follow-up's text (follow-ups only).
        deadline_at: the promise behind the reminder (next update by, RCA due, follow-up due).
        version: the store's lock; bumped by every write.
    """

    id: str
    kind: ReminderKind
    incident_id: str
    due_at: datetime
    created_at: datetime
    created_by: str
    state: ReminderState = ReminderState.PENDING
    repeat: Repeat = Repeat.ONCE
    interval: timedelta | None = None
    audience: tuple[str, ...] = ()
    text: str = ""
    draft_id: str | None = None
    deadline_at: datetime | None = None
    snoozed_until: datetime | None = None
    snoozed_by: str | None = None
    fire_count: int = 0
    last_fired_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    version: int = 0

    def fired(self, *, now: datetime, config: RemindersConfig, zone: ZoneInfo) -> Reminder:
        """This reminder after firing at ``now``.

        A repeat is counted from ``now``, not from ``due_at``: a reminder that came due while
        the bot was down fires once when it is back, not once per missed period.
        """
        after = replace(
            self,
            fire_count=self.fire_count + 1,
            last_fired_at=now,
            snoozed_until=None,
            snoozed_by=None,
        )
        if self.repeat is Repeat.BACKOFF and self.interval is not None:
            cap = timedelta(minutes=config.approval_max_interval_minutes)
            grown = min(self.interval * config.approval_backoff, cap)
            return replace(after, due_at=now + grown, interval=grown)
        if self.repeat is Repeat.WORKDAYS:
            return replace(after, due_at=next_business_morning(now, config=config, zone=zone))
        return replace(after, state=ReminderState.FIRED)

    def snoozed(self, *, until: datetime, actor: str) -> Reminder:
        """Fire again at ``until`` (a fired one-shot reminder is re-armed)."""
        self._ensure_active("snooze")
        return replace(
            self,
            state=ReminderState.PENDING,
            due_at=until,
            snoozed_until=until,
            snoozed_by=actor,
        )

    def closed(self, *, state: ReminderState, now: datetime, actor: str) -> Reminder:
        """Done or cancelled: it never fires again."""
        self._ensure_active("done" if state is ReminderState.DONE else "cancel")
        return replace(self, state=state, closed_at=now, closed_by=actor)

    def _ensure_active(self, attempted: str) -> None:
        if not self.state.active:
            who = f" by {self.closed_by}" if self.closed_by else ""
            what = "follow-up" if self.kind is ReminderKind.FOLLOWUP else "reminder"
            raise AlreadyDecided(
                f"cannot {attempted} {what} {self.id}: it is already {self.state.value}{who}; "
                f"only pending or fired {what}s can be changed"
            )


# -- business days --------------------------------------------------------------------------


def is_business_day(day: date, *, config: RemindersConfig) -> bool:
    return day.weekday() in config.workday_numbers and day not in config.holidays


def add_business_days(start: date, days: int, *, config: RemindersConfig) -> date:
    """The ``days``-th business day after ``start`` (``start`` itself never counts).

    ``days`` may be negative: business days before ``start``.
    """
    step = 1 if days >= 0 else -1
    left = abs(days)
    day = start
    # A year without any business day is a configuration no one can mean; stop looking.
    for _ in range(366 * max(1, left)):
        if left == 0:
            return day
        day += timedelta(days=step)
        if is_business_day(day, config=config):
            left -= 1
    if left == 0:
        return day
    raise InvalidInput("no business day found within a year; check reminders.workdays/holidays")


def at_local(day: date, moment: time, zone: ZoneInfo) -> datetime:
    """``day`` at wall-clock ``moment`` in ``zone``, as UTC.

    Across a DST change the offset is the one in force on that day. A wall time that does not
    exist (in the hour clocks skip) is read with the offset before the change, so it lands just
    after the jump.
    """
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


def next_business_morning(after: datetime, *, config: RemindersConfig, zone: ZoneInfo) -> datetime:
    """The start of the first business day whose start is strictly after ``after``."""
    day = after.astimezone(zone).date()
    if not is_business_day(day, config=config) or at_local(
        day, config.business_day_start, zone
    ) <= after.astimezone(UTC):
        day = add_business_days(day, 1, config=config)
    return at_local(day, config.business_day_start, zone)


def rca_deadline(recovered_at: datetime, *, config: RemindersConfig, zone: ZoneInfo) -> datetime:
    """When the root-cause analysis is due: ``rca_business_days`` business days after the local
    date of recovery, at ``rca_due_time``."""
    days = config.rca_business_days or 0
    local_day = recovered_at.astimezone(zone).date()
    return at_local(add_business_days(local_day, days, config=config), config.rca_due_time, zone)


def rca_early_reminder(deadline: datetime, *, config: RemindersConfig, zone: ZoneInfo) -> datetime:
    """The morning ``rca_remind_before_business_days`` business days before ``deadline``."""
    local_day = deadline.astimezone(zone).date()
    before = add_business_days(local_day, -config.rca_remind_before_business_days, config=config)
    return at_local(before, config.business_day_start, zone)


# -- parsing what people type ---------------------------------------------------------------


def parse_duration(text: str) -> timedelta:
    """A snooze: ``30m``, ``2h``, ``1h30m``, ``1d``, ``45s`` or a bare number of minutes.

    Raises:
        InvalidInput: not a duration, or outside 1 minute … 30 days.
    """
    return when.parse_duration(text, what="snooze", minimum=MIN_SNOOZE, maximum=MAX_SNOOZE)


def parse_due(text: str, *, now: datetime, config: RemindersConfig, zone: ZoneInfo) -> datetime:
    """A follow-up's due time: ``2024-12-13`` (that day at the start of business, local time),
    ``2024-12-13T15:00`` (local) or with an offset (``…T23:00Z``), ``today``, ``tomorrow``, or in
    a number of days (``3d``) or business days (``3bd``).

    Raises:
        InvalidInput: not a date, or a day before today.
    """
    raw = text.strip().lower()
    local_now = now.astimezone(zone)
    example = "use a date like 2024-12-13, a local time like 2024-12-13T15:00, today, 3d or 3bd"
    day: date | None = None
    if raw in ("today", "tomorrow"):
        day = local_now.date() + timedelta(days=1 if raw == "tomorrow" else 0)
    elif raw.endswith("bd") and raw[:-2].isdigit() and len(raw) <= 5:
        day = add_business_days(local_now.date(), int(raw[:-2]), config=config)
    elif raw.endswith("d") and raw[:-1].isdigit() and len(raw) <= 4:
        day = local_now.date() + timedelta(days=int(raw[:-1]))
    if day is not None:
        return at_local(day, config.business_day_start, zone)
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            due = at_local(day, config.business_day_start, zone)
        else:
            moment = datetime.fromisoformat(text.strip().upper())
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=zone)
            due = moment.astimezone(UTC)
            day = due.astimezone(zone).date()
    except ValueError:
        raise InvalidInput(f"{text.strip()!r} is not a due date; {example}") from None
    if day < local_now.date():
        raise InvalidInput(
            f"the due date {text.strip()} is in the past (today is {local_now.date()} in "
            f"{zone.key}); give today or a later day"
        )
    return due


def audience_of(*groups: Iterable[str]) -> tuple[str, ...]:
    """The union of ``groups`` in order, without repeats."""
    return tuple(dict.fromkeys(name for group in groups for name in group))

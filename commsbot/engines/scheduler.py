"""APScheduler wiring: wake up when the next reminder is due, and now and then regardless.

The truth is the ``reminder`` table; the scheduler keeps no state worth persisting (APScheduler
job stores cannot be shared between processes anyway). Two jobs, both with fixed ids and
``replace_existing=True``:

- ``reminders-next-due``: a one-off date job at the earliest pending due time, re-armed after
  every tick;
- ``reminders-safety-tick``: an interval job every ``poll_seconds`` that also runs at start (so
  what came due while the bot was down fires once, right away) and notices reminders other
  processes created (the CLI, another replica).

Both use ``coalesce=True`` (a backlog of missed ticks is one tick: the table says what is due,
not the number of missed runs) and ``misfire_grace_time=None`` (a late wake-up still runs: being
late is never a reason to skip a reminder). Ticks are serialised by a lock; the database work
runs in a thread (:func:`asyncio.to_thread`), off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from commsbot.engines.outage import Diagnose, OutageLog
from commsbot.services.deps import Deps
from commsbot.services.reminder_firing import (
    DEFAULT_BATCH,
    Enqueue,
    Fired,
    Tick,
    fire_and_look_ahead,
)

log = logging.getLogger("commsbot.reminders")

NEXT_DUE_JOB = "reminders-next-due"
SAFETY_TICK_JOB = "reminders-safety-tick"
_NEXT_DUE_INSTANCES = 4


class ReminderScheduler:
    """Fires due reminders from inside ``commsbot run``'s event loop.

    Args:
        deps: the use cases' dependencies (its clock decides what is due).
        enqueue: hands each fired reminder's notice to the outbox in the claiming transaction;
            None: nothing is queued, ``on_fired`` shows the notices.
        on_fired: called in the loop with what each tick fired, after its commit.
        poll_seconds: the safety tick (default: ``[reminders].poll_seconds``).
        batch: reminders claimed per transaction.
        diagnose: names a database outage behind an exception (said once, not per tick).

    Example:
        >>> scheduler = ReminderScheduler(deps, enqueue=enqueue_notice)  # doctest: +SKIP
        >>> await scheduler.start()  # inside the running loop
        >>> ...
        >>> await scheduler.stop()
    """

    def __init__(
        self,
        deps: Deps,
        *,
        enqueue: Enqueue | None,
        on_fired: Callable[[list[Fired]], None] | None = None,
        poll_seconds: float | None = None,
        batch: int = DEFAULT_BATCH,
        diagnose: Diagnose | None = None,
    ) -> None:
        self._deps = deps
        self._enqueue = enqueue
        self._on_fired = on_fired
        self._poll = poll_seconds or deps.settings.reminders.poll_seconds
        self._batch = batch
        self._lock = asyncio.Lock()
        self._diagnose = diagnose or _no_outage
        self._outage = OutageLog(
            log, what="reminders", url=deps.settings.db_url, diagnose=self._diagnose
        )
        self._scheduler: Any = None
        self.ticks = 0

    async def start(self) -> None:
        """Start the scheduler on the running loop; the first tick runs at once."""
        # Not at the top: APScheduler (and its tzlocal) stays off the CLI's start-up path.
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        scheduler.start()
        self._scheduler = scheduler
        scheduler.add_job(
            self.tick,
            "interval",
            seconds=self._poll,
            id=SAFETY_TICK_JOB,
            name="look for due reminders",
            replace_existing=True,
            next_run_time=datetime.now(UTC),
        )

    async def stop(self) -> None:
        """Stop waking up, and wait for a tick in progress to finish its transaction."""
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
        async with self._lock:
            pass

    def wake(self) -> None:
        """Tick as soon as possible (e.g. after a chat button created or snoozed a reminder).

        Call from the event loop's thread.
        """
        self._arm(self._deps.clock.now())

    async def tick(self) -> list[Fired]:
        """Fire what is due, then re-arm the next-due job. Never raises: a failed tick is
        logged and the safety tick tries again."""
        async with self._lock:
            self.ticks += 1
            try:
                result = await asyncio.to_thread(self._work)
            except Exception as exc:
                if not self._outage.failed(exc):
                    log.exception("reminder tick failed; trying again in %s s", self._poll)
                return []
            self._outage.ok()
        if result.fired:
            log.info("fired %d reminder(s)", len(result.fired))
            for fired in result.fired:
                log.debug(
                    "reminder %s (%s) of %s fired",
                    fired.reminder.id,
                    fired.reminder.kind.value,
                    fired.notice.incident_ref,
                    extra={
                        "reminder_id": fired.reminder.id,
                        "incident_id": fired.reminder.incident_id,
                        "incident_ref": fired.notice.incident_ref,
                    },
                )
            if self._on_fired is not None:
                self._on_fired(result.fired)
        # When stuck, the safety tick looks again; waking at once would spin.
        self._arm(None if result.stuck else result.next_due)
        return result.fired

    def _work(self) -> Tick:
        # One trip to a worker thread per tick.
        return fire_and_look_ahead(
            self._deps,
            enqueue=self._enqueue,
            batch=self._batch,
            is_outage=lambda exc: self._diagnose(exc) is not None,
        )

    def _arm(self, upcoming: datetime | None) -> None:
        scheduler = self._scheduler
        if scheduler is None or not scheduler.running:
            return
        if upcoming is None:
            if scheduler.get_job(NEXT_DUE_JOB) is not None:
                scheduler.remove_job(NEXT_DUE_JOB)
            return
        # The injected clock decides what is due; APScheduler counts in real time.
        delay = max(0.0, (upcoming - self._deps.clock.now()).total_seconds())
        scheduler.add_job(
            self.tick,
            "date",
            run_date=datetime.now(UTC) + timedelta(seconds=delay),
            id=NEXT_DUE_JOB,
            name="fire the next due reminder",
            replace_existing=True,
            # The tick that re-arms this job is itself still an instance of it; with the
            # default of 1 a wake-up due before that tick returns would be skipped. The lock
            # serialises the instances.
            max_instances=_NEXT_DUE_INSTANCES,
        )


def _no_outage(exc: BaseException) -> str | None:
    return None


async def start_reminders(
    deps: Deps, *, diagnose: Diagnose | None = None
) -> ReminderScheduler | None:
    """Start firing reminders into the outbox (``commsbot run``); None when there is nothing
    to fire: ``[reminders] enabled = false`` and no scheduled-maintenance timer either (the
    bot's start and end of maintenance windows run on this scheduler too).

    Notices go to ``commsbot.delivery``'s outbox inside the claiming transaction, so a
    reminder's notice is sent exactly when its firing committed.
    """
    cfg = deps.settings.maintenance
    keeps_windows = cfg.auto_start or cfg.auto_complete or bool(cfg.remind_before_hours)
    if not deps.settings.reminders.enabled and not keeps_windows:
        return None
    from commsbot.services.outbox import enqueue_notice

    quiet = logging.getLogger("apscheduler")
    if quiet.level == logging.NOTSET:
        # Its INFO lines ("Running job …", "executed successfully") would print every tick.
        quiet.setLevel(logging.WARNING)

    scheduler = ReminderScheduler(deps, enqueue=enqueue_notice, diagnose=diagnose)
    await scheduler.start()
    return scheduler

"""The dispatcher: an asyncio task inside ``commsbot run`` that empties the outbox.

One worker per destination and per notifier, each with at most one attempt in flight:

- in order per (target, incident): a later update is not sent while an earlier one to the same
  target is pending, sending or retrying (a dead one no longer blocks: it has been raised);
- independent across targets: a platform that is down (or hangs) delays only its own worker;
- each attempt claims its row first (a conditional UPDATE that only one replica wins, with a
  lease); a row whose lease ran out while ``sending`` (a crash) is claimed again and marked
  ``maybe_sent``, so the target checks before posting again;
- failures are retried with exponential backoff and full jitter, never sooner than a
  platform's Retry-After, until the target's deadline; then the delivery is dead, on the
  incident's timeline and to its notifiers;
- token buckets per target and per platform keep within the documented rate limits;
- when stopped, it claims nothing more, lets attempts in flight finish for a grace period, and
  then releases the rest: due again at once, marked ``maybe_sent`` (they may have reached the
  platform), so another dispatcher takes them without waiting for the lease to run out.

All database work runs in threads (``asyncio.to_thread``) in short transactions; no platform
call happens inside one. The clock and the sleep function are injected, so tests move time by
hand.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from commsbot.delivery.config import DestinationConfig, NotifierConfig
from commsbot.delivery.model import DeliveryKind, DeliveryRecord
from commsbot.delivery.ports import DeliveryFailed, Destination, Notifier, Receipt
from commsbot.engines.batching import Batcher
from commsbot.engines.outage import Diagnose, OutageLog
from commsbot.services import dispatch
from commsbot.services.deps import Deps
from commsbot.timing import Clock, Rate, Sleep, TokenBucket, backoff_delay

log = logging.getLogger("commsbot.delivery")

#: How often the outbox is read when nothing wakes the dispatcher sooner (approvals made by
#: another process, such as the CLI, are only seen this way).
POLL_SECONDS = 1.0
#: Deliveries to unconfigured targets are checked this often.
ORPHAN_CHECK_SECONDS = 300.0


@dataclass
class _Worker:
    """One destination or notifier: its config, its buckets, whether an attempt is running
    (and whether it holds a claim yet: an attempt still waiting for its rate limit is dropped
    at shutdown, one that claimed its delivery is finished or released)."""

    name: str
    config: DestinationConfig | NotifierConfig
    send: Callable[[dispatch.Job], Awaitable[Receipt]]
    buckets: list[TokenBucket] = field(default_factory=list)
    busy: bool = False
    claiming: bool = False


def _notifier_send(notifier: Notifier) -> Callable[[dispatch.Job], Awaitable[Receipt]]:
    async def send(job: dispatch.Job) -> Receipt:
        assert job.notice is not None
        return await notifier.notify(job.notice)

    return send


def _destination_send(destination: Destination) -> Callable[[dispatch.Job], Awaitable[Receipt]]:
    async def send(job: dispatch.Job) -> Receipt:
        if job.maintenance is not None:
            return await destination.deliver_maintenance(job.maintenance)
        assert job.outbound is not None
        return await destination.deliver(job.outbound)

    return send


class Dispatcher:
    """Empties the outbox until stopped.

    Args:
        deps: the use cases' dependencies (units of work, settings, clock).
        destinations / notifiers: name → (the target, its configuration entry).
        type_rates: type → the documented limit of one target of that type (used when an
            entry sets no ``rate_per_second`` of its own).
        platform_rates: type → a limit shared by every target of that type.
        clock / sleep / rng: injectable time and randomness (tests).
        owner: this dispatcher's name on the leases it takes (default: host, pid, random).
        poll_seconds: how often to read the outbox when nothing wakes it sooner
            (``deps.waker`` wakes it while it runs).
        diagnose: names a database outage behind an exception (said once, not per poll).

    Example:
        >>> dispatcher = Dispatcher(deps, destinations={"console": (console, cfg)})
        >>> await dispatcher.run(stop)  # doctest: +SKIP
    """

    def __init__(
        self,
        deps: Deps,
        *,
        destinations: Mapping[str, tuple[Destination, DestinationConfig]],
        notifiers: Mapping[str, tuple[Notifier, NotifierConfig]] | None = None,
        type_rates: Mapping[str, Rate] | None = None,
        platform_rates: Mapping[str, Rate] | None = None,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        owner: str | None = None,
        poll_seconds: float = POLL_SECONDS,
        diagnose: Diagnose | None = None,
    ) -> None:
        self._deps = deps
        self._outage = OutageLog(
            log, what="the outbox", url=deps.settings.db_url, diagnose=diagnose or _no_outage
        )
        self._type_rates = dict(type_rates or {})
        self._clock = clock or deps.clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.owner = owner or f"{socket.gethostname()[:30]}:{_pid()}:{secrets.token_hex(4)}"
        self._poll = poll_seconds
        self._wakeup = asyncio.Event()
        self._claims: Batcher[dispatch.Claim, dispatch.Job | None] = Batcher(
            lambda claims: dispatch.claim_batch(deps, claims)
        )
        self._finishes: Batcher[dispatch.Outcome, bool] = Batcher(
            lambda outcomes: dispatch.finish_batch(deps, outcomes)
        )
        self._tasks: dict[asyncio.Task[None], _Worker] = {}
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        #: The destinations and notifiers themselves (to close them at shutdown).
        self.targets: list[object] = [
            *(d for d, _ in destinations.values()),
            *(n for n, _ in (notifiers or {}).values()),
        ]
        platform = {
            kind: TokenBucket(rate, clock=self._clock, sleep=sleep)
            for kind, rate in (platform_rates or {}).items()
        }
        self._destinations = {
            name: self._worker(name, cfg, _destination_send(dest), platform)
            for name, (dest, cfg) in destinations.items()
        }
        self._notifiers = {
            name: self._worker(name, cfg, _notifier_send(notifier), platform)
            for name, (notifier, cfg) in (notifiers or {}).items()
        }

    def _worker(
        self,
        name: str,
        config: DestinationConfig | NotifierConfig,
        send: Callable[[dispatch.Job], Awaitable[Receipt]],
        platform: Mapping[str, TokenBucket],
    ) -> _Worker:
        buckets = []
        default = self._type_rates.get(config.type)
        per_second = config.rate_per_second or (default.per_second if default else None)
        if per_second is not None:
            burst = config.burst or (default.burst if default else 1)
            rate = Rate(per_second, burst=burst)
            buckets.append(TokenBucket(rate, clock=self._clock, sleep=self._sleep))
        if config.type in platform:
            buckets.append(platform[config.type])
        return _Worker(name=name, config=config, send=send, buckets=buckets)

    def wake(self) -> None:
        """Look at the outbox now (after a local approval, or when an attempt ended).

        Safe to call from any thread (use cases run in worker threads).
        """
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wakeup.set()
        else:
            loop.call_soon_threadsafe(self._wakeup.set)

    async def run(self, stop: asyncio.Event, *, grace: float | None = None) -> None:
        """Dispatch until ``stop`` is set; then claim nothing more, let the attempts in
        flight finish for up to ``grace`` seconds, and release the ones still running.

        A released delivery is due again at once and marked ``maybe_sent``: another
        dispatcher (a replica, or this bot started again) takes it over without waiting for
        its lease to run out, and its target checks whether it arrived before posting again.

        Args:
            grace: default ``[runtime]``'s share for deliveries
                (:attr:`~commsbot.runtime_config.RuntimeConfig.delivery_grace_seconds`).
        """
        if grace is None:
            grace = self._deps.settings.runtime.delivery_grace_seconds
        self._loop = asyncio.get_running_loop()
        stop_listening = self._deps.waker.listen(self.wake)
        notifier_configs = [w.config for w in self._notifiers.values()]
        assert all(isinstance(c, NotifierConfig) for c in notifier_configs)
        next_orphan_check = self._clock.now()
        try:
            while not stop.is_set():
                now = self._clock.now()
                self._wakeup.clear()
                try:
                    await asyncio.to_thread(
                        dispatch.expand_notices,
                        self._deps,
                        notifiers=notifier_configs,  # type: ignore[arg-type]
                        now=now,
                    )
                    if now >= next_orphan_check:
                        next_orphan_check = now + timedelta(seconds=ORPHAN_CHECK_SECONDS)
                        await self._check_orphans(now)
                    wake_at = await self._dispatch_due(now)
                except Exception as exc:
                    # The database may be restarting; the outbox keeps everything until then.
                    if not self._outage.failed(exc):
                        log.exception("reading the outbox failed; trying again shortly")
                    wake_at = None
                else:
                    self._outage.ok()
                timeout = self._poll
                if wake_at is not None:
                    # From the time now, not at the top of the loop: the work above took some.
                    left = (wake_at - self._clock.now()).total_seconds()
                    timeout = min(timeout, max(left, 0.0))
                await self._wait(timeout, stop)
        finally:
            stop_listening()
            await self._shutdown(grace)

    async def _dispatch_due(self, now: datetime) -> datetime | None:
        idle_destinations = [n for n, w in self._destinations.items() if not w.busy]
        idle_notifiers = [n for n, w in self._notifiers.items() if not w.busy]
        if not idle_destinations and not idle_notifiers:
            return None
        records, wake_at = await asyncio.to_thread(
            dispatch.due,
            self._deps,
            now=self._clock.now(),
            destinations=idle_destinations,
            notifiers=idle_notifiers,
        )
        for record in records:
            workers = self._notifiers if record.kind is DeliveryKind.NOTICE else self._destinations
            worker = workers.get(record.target)
            if worker is None or worker.busy:
                continue
            worker.busy = True
            task = asyncio.create_task(self._attempt(worker, record))
            self._tasks[task] = worker
            task.add_done_callback(self._forget)
        return wake_at

    async def _check_orphans(self, now: datetime) -> None:
        unknown = await asyncio.to_thread(
            dispatch.expire_orphans,
            self._deps,
            destinations=list(self._destinations),
            notifiers=list(self._notifiers),
            now=self._clock.now(),
        )
        for what in unknown:
            log.warning(
                "deliveries to %s wait, but it is not configured; add it back to commsbot.toml "
                "or they go dead at their deadline",
                what,
            )

    async def _wait(self, timeout: float, stop: asyncio.Event) -> None:
        if self._wakeup.is_set() or stop.is_set():
            return
        waiters = {
            asyncio.ensure_future(self._sleep(timeout)),
            asyncio.ensure_future(self._wakeup.wait()),
            asyncio.ensure_future(stop.wait()),
        }
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)

    async def _shutdown(self, grace: float) -> None:
        self._stopping = True
        # Attempts still waiting for their rate limit have claimed nothing: drop them now.
        waiting = [t for t, w in self._tasks.items() if not w.claiming]
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
        running = set(self._tasks)
        if not running:
            return
        log.info(
            "stopping: waiting up to %g s for %d deliver%s being sent",
            grace,
            len(running),
            "y" if len(running) == 1 else "ies",
        )
        _, pending = await asyncio.wait(running, timeout=grace)
        # Cancelled, each attempt still sending releases its delivery (see _attempt).
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _attempt(self, worker: _Worker, record: DeliveryRecord) -> None:
        try:
            for bucket in worker.buckets:
                await bucket.acquire()
            if self._stopping:
                return  # stopped while this waited for its rate limit: claim nothing new
            worker.claiming = True
            now = self._clock.now()
            until = now + timedelta(seconds=worker.config.lease)
            claiming = asyncio.ensure_future(
                self._claims.submit(
                    dispatch.Claim(delivery_id=record.id, owner=self.owner, now=now, until=until)
                )
            )
            try:
                job = await asyncio.shield(claiming)
            except asyncio.CancelledError:
                # Stopped while the claim was being written: if it won, give it back unsent.
                job = await claiming
                if job is not None:
                    await self._release(worker, job, sent=False)
                raise
            if job is None:
                return  # another dispatcher has it, or it is no longer due
            try:
                outcome = await self._send(worker, job)
            except asyncio.CancelledError:
                await self._release(worker, job, sent=True)
                raise
            if await self._finishes.submit(outcome) and outcome.receipt is not None:
                log.info(
                    "delivery %s to %s sent: %s (attempt %d)",
                    record.id,
                    worker.name,
                    _what(job),
                    job.record.attempts,
                    extra=_fields(job.record, job),
                )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception(
                "delivery %s to %s: the attempt could not be recorded; it is tried again "
                "when its lease runs out",
                record.id,
                worker.name,
                extra=_fields(record),
            )
        finally:
            worker.busy = worker.claiming = False
            self.wake()

    async def _release(self, worker: _Worker, job: dispatch.Job, *, sent: bool) -> None:
        """Give back a delivery whose attempt is abandoned at shutdown, due again now, so
        that the next holder takes it at once. ``sent``: its request was on its way, so it is
        marked ``maybe_sent`` (the next attempt checks before posting again)."""
        record = job.record
        now = self._clock.now()
        error = (
            "commsbot stopped while this attempt was running (it may have been delivered; "
            "the next attempt checks first)"
            if sent
            else "commsbot stopped before sending it"
        )
        fields = _fields(record)
        try:
            released = await self._finishes.submit(
                dispatch.Outcome(
                    record=record,
                    owner=self.owner,
                    at=now,
                    error=error,
                    retry_at=now,
                    maybe_sent=sent,
                )
            )
        except Exception:
            log.exception(
                "delivery %s to %s: could not release it at shutdown; it is tried again when "
                "its lease runs out",
                record.id,
                worker.name,
                extra=fields,
            )
            return
        if released:
            log.warning(
                "delivery %s to %s: released at shutdown, due again now for the next holder%s",
                record.id,
                worker.name,
                " (still being sent at the end of the grace period: it may have been "
                "delivered, the next attempt checks first)"
                if sent
                else "",
                extra=fields,
            )

    async def _send(self, worker: _Worker, job: dispatch.Job) -> dispatch.Outcome:
        config = worker.config
        record = job.record
        retryable, retry_after, maybe_sent = True, None, False
        try:
            async with asyncio.timeout(config.attempt_timeout_seconds):
                receipt = await worker.send(job)
            return dispatch.Outcome(
                record=record, owner=self.owner, at=self._clock.now(), receipt=receipt
            )
        except DeliveryFailed as failed:
            error = str(failed) or type(failed).__name__
            retryable, retry_after, maybe_sent = (
                failed.retryable,
                failed.retry_after,
                failed.ambiguous,
            )
        except TimeoutError:
            error = f"no answer within {config.attempt_timeout_seconds:g} s"
            maybe_sent = True
        except Exception as exc:  # an adapter bug must not stop the worker
            log.exception("%s %r failed unexpectedly", type(worker.send).__name__, worker.name)
            error = f"{type(exc).__name__}: {exc}"
            maybe_sent = True
        now = self._clock.now()
        if maybe_sent:
            error += " (it may have been delivered; the next attempt checks first)"
        retry_at = None
        if retryable and now < record.deadline_at:
            delay = backoff_delay(
                attempt=record.attempts,
                base=config.backoff_base_seconds,
                cap=config.backoff_cap_seconds,
                rng=self._rng,
                retry_after=retry_after,
            )
            retry_at = min(now + timedelta(seconds=delay), record.deadline_at)
        elif not retryable:
            error = f"{error} (not retried: the platform refused it)"
        log.warning(
            "delivery %s to %s failed (attempt %d): %s%s",
            record.id,
            worker.name,
            record.attempts,
            error,
            f"; next try at {retry_at.isoformat()}" if retry_at else "; dead",
            extra=_fields(record),
        )
        return dispatch.Outcome(
            record=record,
            owner=self.owner,
            at=now,
            error=error[:2000],
            retry_at=retry_at,
            maybe_sent=maybe_sent,
        )


def _fields(record: DeliveryRecord, job: dispatch.Job | None = None) -> dict[str, str]:
    """The structured fields of a log line about ``record`` (``--log-format json``)."""
    fields = {
        "delivery_id": record.id,
        "target": record.target,
        "incident_id": record.incident_id,
    }
    if record.draft_id is not None:
        fields["draft_id"] = record.draft_id
    if job is not None and job.outbound is not None:
        fields["incident_ref"] = job.outbound.incident.incident.ref
        fields["draft_id"] = job.outbound.update.draft_id
    elif job is not None and job.notice is not None:
        fields["incident_ref"] = job.notice.incident_ref
        if job.notice.draft_id is not None:
            fields["draft_id"] = job.notice.draft_id
        if job.notice.reminder_id is not None:
            fields["reminder_id"] = job.notice.reminder_id
    return fields


def _what(job: dispatch.Job) -> str:
    """``update #2 of INC-1``, ``the correction of update #2 of INC-1``, ``notice reminder …``."""
    if job.outbound is not None:
        update = f"update #{job.outbound.update.seq} of {job.outbound.incident.incident.ref}"
        return f"the correction of {update}" if job.outbound.is_correction else update
    assert job.notice is not None
    return f"notice {job.notice.kind} of {job.notice.incident_ref}"


def _no_outage(exc: BaseException) -> str | None:
    return None


def _pid() -> int:
    return os.getpid()

"""The subscriber sender: an asyncio task inside ``commsbot run`` that works the fan-outs.

Each round it sends the one-off messages that are due (confirmations, …), then the next
batch of the oldest fan-out (the main pass, behind its cursor), then the rows due for
another attempt. Emails go one at a time over the sender's one SMTP connection (the next is
rendered while the previous is on the wire); webhook subscriptions a few at a time.
Outcomes are written in the background in groups (one transaction for many), so the
database does not set the pace.

What happens on failure (``MailFailed``'s scopes):

- temporary (4xx, timeouts, a lost connection): retried with back-off until the fan-out's
  give-up window ends;
- an address refused (5xx to RCPT): the subscriber is marked undeliverable, unless
  ``refusals_in_a_row`` addresses were refused one after the other, which says the server is
  at fault: then none is marked, and the fan-out pauses like below;
- the message refused: that subscriber's copy failed; the address stays;
- the server refuses *us* (login, relay, sender): the fan-out pauses (1 minute, doubling up to
  30) and the team is told once through the notifiers; no address is marked.

A SIGKILL loses nothing: rows it held stay ``sending`` until their lease ends (it is extended
while the engine works), then are claimed again and sent, marked ``maybe_sent``; the
Message-ID is the same, so a receiver that had accepted the first copy can drop the second.
On a clean stop it stops claiming, records what it sent, and hands back the rest at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Generic, TypeVar

from commsbot.engines.outage import Diagnose, OutageLog
from commsbot.services import subscriber_admin, subscriber_dispatch
from commsbot.services.deps import Deps
from commsbot.services.subscriber_dispatch import (
    Batch,
    MessageJob,
    MessageOutcome,
    Recipient,
    SendOutcome,
)
from commsbot.subscriptions.fanout import RefusalStreak, SendState, send_key
from commsbot.subscriptions.messages import MessageKind, MessageState, challenge_echoed
from commsbot.subscriptions.model import (
    SubscriberKind,
    SubscriberState,
    confirmation_deadline,
)
from commsbot.subscriptions.ports import (
    FailureScope,
    HookFailed,
    HookSender,
    MailFailed,
    MailSender,
)
from commsbot.subscriptions.render import (
    EmailRenderer,
    PreparedNotice,
    recipient_for,
    subscriber_link,
)
from commsbot.subscriptions.tokens import SubscriptionKeys, TokenPurpose
from commsbot.timing import Clock, Sleep, backoff_delay

log = logging.getLogger("commsbot.subscribers")

POLL_SECONDS = 1.0
PRUNE_EVERY = timedelta(hours=1)
LEASE_SECONDS = 120.0
#: Back-off of one subscriber's retries, and of a paused fan-out.
RETRY_BASE_SECONDS = 30.0
RETRY_CAP_SECONDS = 1800.0
PAUSE_FIRST_SECONDS = 60.0
PAUSE_CAP_SECONDS = 1800.0
#: Webhook subscriptions sent at once within a batch.
HOOKS_AT_ONCE = 8
_MESSAGES_AT_ONCE = 50
#: The state a subscriber must still be in for a message of each kind to make sense.
_NEEDS = {
    MessageKind.CONFIRM: SubscriberState.PENDING,
    MessageKind.CHALLENGE: SubscriberState.PENDING,
    MessageKind.ALREADY: SubscriberState.CONFIRMED,
}

T = TypeVar("T")


class _Writer(Generic[T]):
    """Writes what is put in, in groups, in a worker thread (group commit), in order."""

    def __init__(self, write: Callable[[list[T]], object], *, what: str) -> None:
        self._write = write
        self._what = what
        self._queue: list[T] = []
        self._task: asyncio.Task[None] | None = None

    def put(self, item: T) -> None:
        self._queue.append(item)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        while self._queue:
            group, self._queue = self._queue[:500], self._queue[500:]
            for attempt in range(3):
                try:
                    await asyncio.to_thread(self._write, group)
                    break
                except Exception:
                    if attempt == 2:
                        # The rows stay claimed; they are sent again once the lease ends.
                        log.exception("could not record %d %s", len(group), self._what)
                    else:
                        await asyncio.sleep(0.5 * (attempt + 1))

    async def flush(self) -> None:
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)


class SubscriberSender:
    """Sends subscriber email and webhooks until stopped.

    Args:
        deps: the use cases' dependencies (its ``subscription_keys`` sign the links).
        mail: the SMTP sender.
        hooks: the webhook subscriptions' sender (None when they are off).
        renderer: builds the emails.
        clock / sleep / rng: injectable (tests).
        owner: this sender's name on its claims.
        poll_seconds: how often to look when nothing wakes it (approvals in this process
            wake it through ``deps.waker``).
        lease_seconds: how long a claim holds without being extended (a crashed holder's
            rows are taken over after it).
        retry_seconds: (base, cap) of one subscriber's retry back-off (full jitter).
        pause_seconds: (first, cap) of a paused fan-out's wait, doubling.
        diagnose: names a database outage (said once, not every poll).
    """

    def __init__(
        self,
        deps: Deps,
        *,
        mail: MailSender,
        renderer: EmailRenderer,
        hooks: HookSender | None = None,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        owner: str | None = None,
        poll_seconds: float = POLL_SECONDS,
        lease_seconds: float = LEASE_SECONDS,
        retry_seconds: tuple[float, float] = (RETRY_BASE_SECONDS, RETRY_CAP_SECONDS),
        pause_seconds: tuple[float, float] = (PAUSE_FIRST_SECONDS, PAUSE_CAP_SECONDS),
        diagnose: Diagnose | None = None,
    ) -> None:
        assert deps.subscription_keys is not None
        self._deps = deps
        self._config = deps.settings.subscriptions
        self._keys: SubscriptionKeys = deps.subscription_keys
        self._base_url = deps.settings.page.url
        self.mail = mail
        self.hooks = hooks
        self._renderer = renderer
        self._clock = clock or deps.clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.owner = owner or f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"
        self._poll = poll_seconds
        self._lease = timedelta(seconds=lease_seconds)
        self._retry_base, self._retry_cap = retry_seconds
        self._pause_first, self._pause_cap = pause_seconds
        self._outage = OutageLog(
            log, what="subscriber email", url=deps.settings.db_url, diagnose=diagnose or _none
        )
        self._wakeup = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._prepared: tuple[str, PreparedNotice] | None = None
        self._streak: RefusalStreak[tuple[Batch, Recipient, str]] = RefusalStreak(
            self._config.refusals_in_a_row
        )
        self._pauses: dict[str, float] = {}
        self._sends: _Writer[SendOutcome] = _Writer(
            lambda group: subscriber_dispatch.finish_sends(deps, group), what="sends"
        )
        self._messages: _Writer[MessageOutcome] = _Writer(
            lambda group: subscriber_dispatch.finish_messages(deps, group), what="messages"
        )
        self.batch_size = self._config.batch_size
        #: Counters for tests and the log.
        self.sent = 0
        self.batches = 0

    # --- the loop --------------------------------------------------------------------------

    def wake(self) -> None:
        """Look for work now (safe from any thread)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._wakeup.set)

    async def run(self, stop: asyncio.Event) -> None:
        """Send until ``stop`` is set; then record what was sent and hand back the rest."""
        self._loop = asyncio.get_running_loop()
        stop_listening = self._deps.waker.listen(self.wake)
        heartbeat = asyncio.create_task(self._heartbeat(stop))
        next_prune = self._clock.now()
        try:
            while not stop.is_set():
                self._wakeup.clear()
                worked = False
                try:
                    now = self._clock.now()
                    if now >= next_prune:
                        next_prune = now + PRUNE_EVERY
                        pruned = await asyncio.to_thread(subscriber_admin.prune, self._deps)
                        if pruned.subscribers:
                            log.info("pruned %d unconfirmed sign-ups", pruned.subscribers)
                    worked = await self._round(stop)
                except Exception as exc:
                    if not self._outage.failed(exc):
                        log.exception("subscriber sender failed; trying again shortly")
                else:
                    self._outage.ok()
                if not worked:
                    await self._wait(stop)
        finally:
            stop_listening()
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            await self._sends.flush()
            await self._messages.flush()
            try:
                released = await asyncio.to_thread(
                    subscriber_dispatch.release, self._deps, owner=self.owner
                )
                if released:
                    log.info("handed back %d subscriber sends not made before stopping", released)
            except Exception:
                log.warning("could not hand back claimed sends; their lease runs out instead")

    async def _round(self, stop: asyncio.Event) -> bool:
        """One look at every kind of work; True when something was done."""
        worked = await self._send_messages(stop)
        if stop.is_set():
            return worked
        now = self._clock.now()
        batch = await asyncio.to_thread(
            subscriber_dispatch.claim_batch,
            self._deps,
            owner=self.owner,
            now=now,
            until=now + self._lease,
            limit=self._config.batch_size,
        )
        if batch is not None:
            worked = True
            await self._send_batch(batch, stop)
        if stop.is_set():
            return worked
        now = self._clock.now()
        retries = await asyncio.to_thread(
            subscriber_dispatch.claim_retries,
            self._deps,
            owner=self.owner,
            now=now,
            until=now + self._lease,
            limit=self._config.batch_size,
        )
        for retry in retries:
            worked = True
            await self._send_batch(retry, stop)
        return worked

    async def _wait(self, stop: asyncio.Event) -> None:
        waiters = {
            asyncio.ensure_future(self._sleep(self._poll)),
            asyncio.ensure_future(self._wakeup.wait()),
            asyncio.ensure_future(stop.wait()),
        }
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)

    async def _heartbeat(self, stop: asyncio.Event) -> None:
        every = max(self._lease.total_seconds() / 4, 0.05)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
            if stop.is_set():
                return
            try:
                await asyncio.to_thread(
                    subscriber_dispatch.extend,
                    self._deps,
                    owner=self.owner,
                    until=self._clock.now() + self._lease,
                )
            except Exception:
                log.warning("could not extend the lease of claimed sends", exc_info=True)

    # --- one batch -------------------------------------------------------------------------

    def _prepare(self, batch: Batch) -> PreparedNotice:
        if self._prepared is None or self._prepared[0] != batch.fanout.id:
            self._prepared = (batch.fanout.id, self._renderer.prepare(batch.content.notice))
        return self._prepared[1]

    async def _send_batch(self, batch: Batch, stop: asyncio.Event) -> None:
        self.batches += 1
        emails = [r for r in batch.recipients if r.subscriber.kind is SubscriberKind.EMAIL]
        hooks = [r for r in batch.recipients if r.subscriber.kind is SubscriberKind.WEBHOOK]
        hook_task = asyncio.create_task(self._send_hooks(batch, hooks, stop)) if hooks else None
        try:
            await self._send_emails(batch, emails, stop)
        finally:
            if hook_task is not None:
                await hook_task
        # Refusals not followed by a message that went through: the addresses are bad.
        for suspect in self._streak.succeeded():
            self._undeliverable(*suspect)

    async def _send_emails(
        self, batch: Batch, recipients: Sequence[Recipient], stop: asyncio.Event
    ) -> None:
        if not recipients:
            return
        prepared = self._prepare(batch)
        in_flight: tuple[Recipient, asyncio.Task[object]] | None = None
        for index, recipient in enumerate(recipients):
            if stop.is_set():
                break
            message = prepared.to(
                recipient_for(
                    recipient.subscriber,
                    keys=self._keys,
                    base_url=self._base_url,
                    now=self._clock.now(),
                )
            )
            if in_flight is not None:
                paused = await self._settle(batch, *in_flight)
                if paused is not None:
                    rest = [r.subscriber.id for r in recipients[index:]]
                    await self._pause(batch, paused[0], [*paused[1], *rest])
                    return
            in_flight = (recipient, asyncio.create_task(self.mail.send(message)))
            await asyncio.sleep(0)  # let it put its first command on the wire
        if in_flight is not None:
            paused = await self._settle(batch, *in_flight)
            if paused is not None:
                await self._pause(batch, *paused)

    async def _settle(
        self, batch: Batch, recipient: Recipient, task: asyncio.Task[object]
    ) -> tuple[str, list[str]] | None:
        """Record how one email ended; (why, subscribers held) when the fan-out must pause."""
        sub_id = recipient.subscriber.id
        try:
            await task
        except MailFailed as failed:
            error = str(failed)[:1000]
            scope = failed.scope
            if scope is FailureScope.TEMPORARY:
                self._retry(batch, recipient, error, retry_after=failed.retry_after)
            elif scope is FailureScope.MESSAGE:
                self._record(batch, sub_id, SendState.FAILED, error=error)
            elif scope is FailureScope.ADDRESS:
                if self._streak.refused((batch, recipient, error)):
                    why = (
                        f"{len(self._streak)} addresses in a row were refused (the last: "
                        f"{error}); the mail server is refusing us, not them"
                    )
                    return why, []
            else:
                return error, [sub_id]
            return None
        except Exception as exc:  # a bug must not stop the engine: try again later
            log.exception("sending to subscriber %s failed unexpectedly", sub_id)
            self._retry(batch, recipient, f"{type(exc).__name__}: {exc}", retry_after=None)
            return None
        self.sent += 1
        self._record(batch, sub_id, SendState.SENT)
        for suspect in self._streak.succeeded():
            self._undeliverable(*suspect)
        self._pauses.pop(batch.fanout.id, None)
        return None

    async def _pause(self, batch: Batch, error: str, held: list[str]) -> None:
        """Pause the fan-out: the server refuses us. Nothing held is marked."""
        held = [*held, *(r.subscriber.id for _, r, _ in self._streak.release())]
        await self._sends.flush()
        seconds = min(self._pauses.get(batch.fanout.id, self._pause_first / 2) * 2, self._pause_cap)
        self._pauses[batch.fanout.id] = seconds
        until = self._clock.now() + timedelta(seconds=seconds)
        told = await asyncio.to_thread(
            subscriber_dispatch.pause,
            self._deps,
            fanout_id=batch.fanout.id,
            owner=self.owner,
            until=until,
            error=error,
            held=held,
        )
        log.error(
            "subscriber emails of %s paused for %g s: %s%s",
            batch.fanout.subject_ref,
            seconds,
            error,
            " (the team was told)" if told else "",
        )

    def _record(
        self,
        batch: Batch,
        subscriber_id: str,
        state: SendState,
        *,
        error: str | None = None,
        retry_at: datetime | None = None,
        worked: bool | None = None,
        gone: bool = False,
    ) -> None:
        self._sends.put(
            SendOutcome(
                fanout_id=batch.fanout.id,
                subscriber_id=subscriber_id,
                owner=self.owner,
                at=self._clock.now(),
                state=state,
                retry_at=retry_at,
                error=error,
                worked=worked,
                gone=gone,
            )
        )

    def _undeliverable(self, batch: Batch, recipient: Recipient, error: str) -> None:
        self._record(batch, recipient.subscriber.id, SendState.UNDELIVERABLE, error=error)

    def _retry_at(
        self, attempt: int, deadline: datetime, retry_after: float | None
    ) -> datetime | None:
        now = self._clock.now()
        delay = backoff_delay(
            attempt=attempt,
            base=self._retry_base,
            cap=self._retry_cap,
            rng=self._rng,
            retry_after=retry_after,
        )
        at = now + timedelta(seconds=delay)
        return at if at < deadline else None

    def _retry(
        self,
        batch: Batch,
        recipient: Recipient,
        error: str,
        *,
        retry_after: float | None,
        worked: bool | None = None,
    ) -> None:
        at = self._retry_at(recipient.attempt, batch.fanout.deadline_at, retry_after)
        if at is None:
            self._record(
                batch,
                recipient.subscriber.id,
                SendState.FAILED,
                error=f"{error} (gave up: its give-up window ended)",
                worked=worked,
            )
        else:
            self._record(
                batch,
                recipient.subscriber.id,
                SendState.RETRYING,
                error=error,
                retry_at=at,
                worked=worked,
            )

    # --- webhooks --------------------------------------------------------------------------

    async def _send_hooks(
        self, batch: Batch, recipients: Sequence[Recipient], stop: asyncio.Event
    ) -> None:
        if self.hooks is None:
            for r in recipients:
                self._record(
                    batch,
                    r.subscriber.id,
                    SendState.RETRYING,
                    retry_at=self._clock.now() + timedelta(seconds=self._retry_cap),
                    error="webhook subscriptions are turned off ([subscriptions.webhooks])",
                )
            return
        if batch.content.delivery is None:
            # Nothing webhooks could be sent (no payload frozen at publication): not the
            # endpoints' fault, so it does not count against their health.
            for r in recipients:
                self._record(
                    batch,
                    r.subscriber.id,
                    SendState.FAILED,
                    error="this notice has no webhook payload (only email was frozen for it)",
                )
            return
        hooks = self.hooks
        gate = asyncio.Semaphore(HOOKS_AT_ONCE)

        async def one(recipient: Recipient) -> None:
            async with gate:
                if stop.is_set():
                    return
                sub = recipient.subscriber
                try:
                    await hooks.deliver(
                        sub.address,
                        content=batch.content,
                        delivery_id=batch.fanout.id,
                        key=send_key(batch.fanout.notice_id, sub.id),
                        secret=sub.webhook_secret,
                        maybe_sent=recipient.maybe_sent,
                    )
                except HookFailed as failed:
                    error = str(failed)[:1000]
                    if failed.retryable and not failed.gone:
                        self._retry(
                            batch, recipient, error, retry_after=failed.retry_after, worked=False
                        )
                    else:
                        self._record(
                            batch,
                            sub.id,
                            SendState.FAILED,
                            error=error,
                            worked=False,
                            gone=failed.gone,
                        )
                    return
                except Exception as exc:
                    log.exception("webhook subscription %s failed unexpectedly", sub.id)
                    self._retry(batch, recipient, f"{type(exc).__name__}: {exc}", retry_after=None)
                    return
                self.sent += 1
                self._record(batch, sub.id, SendState.SENT, worked=True)

        await asyncio.gather(*(one(r) for r in recipients))

    # --- one-off messages ------------------------------------------------------------------

    async def _send_messages(self, stop: asyncio.Event) -> bool:
        now = self._clock.now()
        jobs = await asyncio.to_thread(
            subscriber_dispatch.claim_messages,
            self._deps,
            owner=self.owner,
            now=now,
            until=now + self._lease,
            limit=_MESSAGES_AT_ONCE,
        )
        for job in jobs:
            if stop.is_set():
                break
            self._messages.put(await self._message(job))
        return bool(jobs)

    def _outcome(
        self,
        job: MessageJob,
        state: MessageState,
        *,
        error: str | None = None,
        retry_at: datetime | None = None,
        confirm: tuple[str, int] | None = None,
    ) -> MessageOutcome:
        return MessageOutcome(
            message_id=job.message.id,
            owner=self.owner,
            at=self._clock.now(),
            state=state,
            error=error,
            retry_at=retry_at,
            confirm=confirm,
        )

    async def _message(self, job: MessageJob) -> MessageOutcome:
        message, sub = job.message, job.subscriber
        kind = message.kind
        generation = message.payload.get("generation")
        if kind is not MessageKind.DISABLED and (
            sub is None
            or (generation is not None and sub.generation != generation)
            or (
                kind in (MessageKind.CONFIRM, MessageKind.CHALLENGE)
                and sub.state is not SubscriberState.PENDING
            )
            or (kind is MessageKind.ALREADY and sub.state is not SubscriberState.CONFIRMED)
        ):
            return self._outcome(job, MessageState.SKIPPED, error="no longer needed")
        try:
            if kind is MessageKind.CHALLENGE:
                assert sub is not None
                return await self._challenge(job)
            email = self._email(job)
            await self.mail.send(email)
        except MailFailed as failed:
            error = str(failed)[:1000]
            if failed.scope is FailureScope.ADDRESS or failed.scope is FailureScope.MESSAGE:
                return self._outcome(job, MessageState.FAILED, error=error)
            if failed.scope is FailureScope.SERVER:
                log.error("the mail server refuses a %s email: %s", kind.value, error)
            return self._message_retry(job, error, failed.retry_after)
        except HookFailed as failed:
            if not failed.retryable or failed.gone:
                return self._outcome(job, MessageState.FAILED, error=str(failed)[:1000])
            return self._message_retry(job, str(failed)[:1000], failed.retry_after)
        except Exception as exc:
            log.exception("subscriber message %s failed unexpectedly", message.id)
            return self._message_retry(job, f"{type(exc).__name__}: {exc}", None)
        return self._outcome(job, MessageState.SENT)

    def _message_retry(
        self, job: MessageJob, error: str, retry_after: float | None
    ) -> MessageOutcome:
        at = self._retry_at(job.message.attempts, job.message.deadline_at, retry_after)
        if at is None:
            return self._outcome(job, MessageState.FAILED, error=f"{error} (gave up)")
        return self._outcome(job, MessageState.PENDING, error=error, retry_at=at)

    def _email(self, job: MessageJob) -> EmailMessage:
        message, sub = job.message, job.subscriber
        renderer = self._renderer
        if message.kind is MessageKind.DISABLED:
            payload = message.payload
            return renderer.webhook_disabled(
                owner=str(payload["owner"]),
                url=str(payload["url"]),
                failing_since=datetime.fromisoformat(str(payload["failing_since"])),
                last_error=str(payload.get("last_error", "")),
                message_key=message.id,
                now=message.created_at,
            )
        assert sub is not None
        if message.kind is MessageKind.ALREADY:
            return renderer.already_subscribed(
                recipient_for(sub, keys=self._keys, base_url=self._base_url, now=self._clock.now()),
                message_key=message.id,
                now=message.created_at,
            )
        requested = sub.consent.requested_at
        return renderer.confirmation(
            address=sub.address,
            # Signed at the request: the link expires exactly when the email says.
            confirm_url=subscriber_link(
                TokenPurpose.CONFIRM, sub, keys=self._keys, base_url=self._base_url, now=requested
            ),
            expires_at=confirmation_deadline(sub, window=self._config.confirmation_window),
            components=sorted(sub.components),
            message_key=message.id,
            now=message.created_at,
        )

    async def _challenge(self, job: MessageJob) -> MessageOutcome:
        sub = job.subscriber
        assert sub is not None
        assert sub.webhook_secret is not None
        if self.hooks is None:
            return self._message_retry(job, "webhook subscriptions are turned off", None)
        challenge = secrets.token_urlsafe(24)
        answer = await self.hooks.challenge(
            sub.address,
            subscription={
                "id": sub.id,
                "url": sub.address,
                "components": sorted(sub.components),
                "confirm_by": confirmation_deadline(
                    sub, window=self._config.confirmation_window
                ).isoformat(),
            },
            challenge=challenge,
            secret=sub.webhook_secret,
            key=f"c{job.message.id}",
        )
        if not challenge_echoed(answer.body, challenge):
            return self._message_retry(
                job,
                f"HTTP {answer.status}, but the body did not echo the challenge (answer with "
                'the challenge, or {"challenge": "…"})',
                None,
            )
        return self._outcome(job, MessageState.SENT, confirm=(sub.id, sub.generation))


async def run_sender(sender: SubscriberSender, stop: asyncio.Event) -> None:
    """Run until ``stop``; then close the SMTP connection and the webhook client."""
    log.info(
        "subscriber email and webhooks: sending as %s (batches of %d)",
        sender.owner,
        sender.batch_size,
    )
    try:
        await sender.run(stop)
    finally:
        for close in (sender.mail.aclose, sender.hooks.aclose if sender.hooks else None):
            if close is not None:
                try:
                    await close()
                except Exception:
                    log.warning("closing the subscriber senders failed", exc_info=True)


def _none(exc: BaseException) -> str | None:
    return None

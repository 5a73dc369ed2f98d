"""What every use case needs, bundled once by the composition root (``bootstrap.py``)."""

from __future__ import annotations

import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from commsbot.services.ports import UnitOfWork
from commsbot.settings import Settings
from commsbot.subscriptions.tokens import SubscriptionKeys
from commsbot.templates import TemplateRenderer
from commsbot.timing import Clock, SystemClock

_ALPHABET = string.ascii_lowercase + string.digits


def new_id() -> str:
    """12 lowercase letters and digits, as Statuspage ids are."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(12))


class Waker:
    """Wakes this process's dispatcher when a use case has queued something for it.

    One per process, made by the composition root as part of :class:`Deps`. The dispatcher
    listens while it runs; a surface that ran a use case calls :meth:`wake`, so that what was
    queued (an approval request, a published update's deliveries) goes out now rather than at
    the dispatcher's next poll. Approvals made by another process (the CLI) are seen by that
    poll. Safe to call from any thread (use cases run in worker threads).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def listen(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` on every :meth:`wake` until the returned function is called."""
        with self._lock:
            self._listeners.append(callback)

        def stop_listening() -> None:
            with self._lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)

        return stop_listening

    def wake(self) -> None:
        """Tell every listener (the running dispatcher) to look at the outbox now."""
        with self._lock:
            listeners = list(self._listeners)
        for callback in listeners:
            callback()


@dataclass(frozen=True)
class Deps:
    """The use cases' dependencies.

    Attributes:
        uow: makes a new unit of work (one transaction).
        reader: makes a unit of work that only reads (beside writers, not behind them);
            defaults to ``uow``.
        settings: the validated configuration.
        renderer: default wording for drafts.
        clock: the time; tests pass a controllable one.
        ids: makes new public ids.
        waker: wakes this process's dispatcher after a use case queued something.
        subscription_keys: signs and checks subscriber links (None when subscriptions are
            off); made from ``[subscriptions] secret_env`` by the composition root.
    """

    uow: Callable[[], UnitOfWork]
    settings: Settings
    renderer: TemplateRenderer
    clock: Clock = field(default_factory=SystemClock)
    ids: Callable[[], str] = new_id
    reader: Callable[[], UnitOfWork] | None = None
    waker: Waker = field(default_factory=Waker, compare=False)
    subscription_keys: SubscriptionKeys | None = field(default=None, compare=False)

    def read(self) -> UnitOfWork:
        """A unit of work for queries."""
        return (self.reader or self.uow)()

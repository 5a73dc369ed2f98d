"""What every use case needs, bundled once by the composition root (``bootstrap.py``)."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field

from commsbot.services.ports import UnitOfWork
from commsbot.settings import Settings
from commsbot.templates import TemplateRenderer
from commsbot.timing import Clock, SystemClock

_ALPHABET = string.ascii_lowercase + string.digits


def new_id() -> str:
    """12 lowercase letters and digits, as Statuspage ids are."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(12))


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
    """

    uow: Callable[[], UnitOfWork]
    settings: Settings
    renderer: TemplateRenderer
    clock: Clock = field(default_factory=SystemClock)
    ids: Callable[[], str] = new_id
    reader: Callable[[], UnitOfWork] | None = None

    def read(self) -> UnitOfWork:
        """A unit of work for queries."""
        return (self.reader or self.uow)()

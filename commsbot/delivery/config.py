"""``[[destinations]]`` and ``[[notifiers]]`` in ``commsbot.toml``.

Common keys are checked here; each type's own keys by that type's pydantic model, found in the
registry of types (:mod:`commsbot.delivery.registry`) given as the validation context's
``target_types`` (the built-in types when none is given). Secrets never appear in the file: a
type names the environment variable that holds one (``secret_env = "COMMSBOT_WEBHOOK_SECRET"``).

With no ``[[destinations]]`` the bot broadcasts to one ``console`` destination; with no
``[[notifiers]]`` internal notices go to one ``console`` notifier.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, ClassVar, NoReturn, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from commsbot.delivery.registry import BUILT_IN_TYPES, Role, TargetTypes
from commsbot.domain.model import Severity

#: Keys that look like a secret written into the file itself.
_SECRET_WORDS = re.compile(r"(secret|token|password|passwd|api_?key|webhook_url)", re.I)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")
DEFAULT_GIVE_UP_HOURS = 24.0


def target_types(info: ValidationInfo) -> TargetTypes:
    """The registry of types this validation uses: the context's ``target_types``, else the
    built-in one."""
    context = info.context if isinstance(info.context, dict) else {}
    found = context.get("target_types")
    return found if isinstance(found, TargetTypes) else BUILT_IN_TYPES


def _refuse(key: str, value: Any, message: str) -> NoReturn:
    """Fail validation naming ``key`` of this entry (``destinations.0.type``), not the entry."""
    raise ValidationError.from_exception_data(
        "target",
        [{"type": PydanticCustomError("value_error", message), "loc": (key,), "input": value}],
    )


class _Target(BaseModel):
    """What destinations and notifiers have in common.

    Attributes:
        name: unique among the destinations (or notifiers); shown in the delivery ledger.
        type: ``console``, ``webhook``, ``apprise``, ``slack``, ``discord`` or
            ``static-export`` (destinations only); each type takes its own keys too.
        rate_per_second / burst: the token bucket for this target; unset: the type's
            documented default.
        give_up_after_hours: retried with backoff until this long after it was queued, then
            dead.
        backoff_base_seconds / backoff_cap_seconds: full-jitter exponential backoff between
            attempts.
        attempt_timeout_seconds: one attempt is abandoned (as *maybe sent*) after this long.
        lease_seconds: how long a replica holds a delivery it is sending; after a crash
            another takes it over once this has passed. Default: twice the attempt timeout
            plus 30 s.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(min_length=1, max_length=64)
    type: str
    rate_per_second: float | None = Field(default=None, gt=0, le=1000)
    burst: int | None = Field(default=None, ge=1, le=1000)
    give_up_after_hours: float = Field(default=DEFAULT_GIVE_UP_HOURS, gt=0, le=24 * 30)
    backoff_base_seconds: float = Field(default=2.0, gt=0, le=3600)
    backoff_cap_seconds: float = Field(default=600.0, gt=0, le=86_400)
    attempt_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    lease_seconds: float | None = Field(default=None, gt=0, le=3600)

    _options: BaseModel | None = PrivateAttr(default=None)

    role: ClassVar[Role] = "destination"

    @field_validator("name")
    @classmethod
    def _usable_name(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError(
                "not a usable name; use letters, digits and - _ . : (e.g. status-webhook), "
                "starting with a letter or digit"
            )
        return value

    @model_validator(mode="after")
    def _type_and_options(self, info: ValidationInfo) -> Self:
        role = self.role
        registry = target_types(info)
        kind = registry.find(self.type)
        valid = ", ".join(registry.type_names(role))
        if kind is None or not kind.supports(role):
            _refuse("type", self.type, f"not a {role} type; valid types: {valid}")
        extras = dict(self.__pydantic_extra__ or {})
        for key in extras:
            if _SECRET_WORDS.search(key) and not key.endswith("_env"):
                _refuse(
                    key,
                    "***",
                    "looks like a secret, and secrets never go in commsbot.toml: put it in an "
                    f"environment variable (or .env) and name that variable with {key}_env if "
                    f"the {self.type} type takes one",
                )
        # A ValidationError raised here is reported under this entry's keys (destinations.0.url).
        self._options = kind.options_model().model_validate(extras)
        lease = self.lease
        if lease <= self.attempt_timeout_seconds:
            _refuse(
                "lease_seconds",
                lease,
                f"must be longer than attempt_timeout_seconds = "
                f"{self.attempt_timeout_seconds:g}, or a slow attempt could be taken over "
                "and sent twice",
            )
        if self.backoff_cap_seconds < self.backoff_base_seconds:
            _refuse(
                "backoff_cap_seconds",
                self.backoff_cap_seconds,
                f"is below backoff_base_seconds = {self.backoff_base_seconds:g}; the cap must "
                "be at least the base",
            )
        return self

    @property
    def options(self) -> Any:
        """The type's own keys, validated by its model."""
        return self._options

    @property
    def lease(self) -> float:
        if self.lease_seconds is not None:
            return self.lease_seconds
        return self.attempt_timeout_seconds * 2 + 30

    @property
    def give_up_after(self) -> timedelta:
        return timedelta(hours=self.give_up_after_hours)


class DestinationConfig(_Target):
    """A public surface: ``[[destinations]]``.

    Attributes:
        severities: only incidents of these severities; unset: all.
        components: only incidents (and scheduled maintenances) affecting one of these
            components (case-insensitive); unset: all.
        maintenance: post scheduled-maintenance notices here too (a maintenance has no
            severity: ``severities`` does not filter them).
    """

    severities: list[Severity] | None = None
    components: list[str] | None = None
    maintenance: bool = True

    def wants(self, *, severity: Severity, components: list[str]) -> bool:
        """Whether an update of an incident with this severity and components goes here."""
        if self.severities is not None and severity not in self.severities:
            return False
        if self.components is None:
            return True
        wanted = {c.casefold() for c in self.components}
        return any(c.casefold() in wanted for c in components)

    def wants_maintenance(self, *, components: list[str]) -> bool:
        """Whether notices of a scheduled maintenance of these components go here."""
        if not self.maintenance:
            return False
        if self.components is None:
            return True
        wanted = {c.casefold() for c in self.components}
        return any(c.casefold() in wanted for c in components)


class NotifierConfig(_Target):
    """An internal channel: ``[[notifiers]]``.

    Attributes:
        kinds: only these notices (``approval_requested``, ``draft_decided``,
            ``incident_changed``, ``delivery_dead``, ``reminder``); unset: all.
    """

    kinds: list[str] | None = None

    role: ClassVar[Role] = "notifier"

    def wants(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds


def _unique(entries: list[Any]) -> list[Any]:
    seen: set[str] = set()
    for entry in entries:
        if entry.name in seen:
            raise ValueError(f"the name {entry.name!r} is used twice; each entry needs its own")
        seen.add(entry.name)
    return entries


Destinations = Annotated[list[DestinationConfig], AfterValidator(_unique)]
Notifiers = Annotated[list[NotifierConfig], AfterValidator(_unique)]

DEFAULT_DESTINATION = {"name": "console", "type": "console"}
DEFAULT_NOTIFIER = {"name": "console", "type": "console"}


def destinations_of(configured: list[DestinationConfig]) -> list[DestinationConfig]:
    """The configured destinations, or the default console one when there are none."""
    return configured or [DestinationConfig.model_validate(DEFAULT_DESTINATION)]


def notifiers_of(configured: list[NotifierConfig]) -> list[NotifierConfig]:
    """The configured notifiers, or the default console one when there are none."""
    return configured or [NotifierConfig.model_validate(DEFAULT_NOTIFIER)]

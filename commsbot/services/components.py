"""Component names: the configured catalogue, or components made on first use."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from commsbot.domain.errors import InvalidInput
from commsbot.domain.model import Component, ComponentStatus
from commsbot.domain.text import clean_name
from commsbot.services.deps import Deps
from commsbot.services.ports import UnitOfWork
from commsbot.settings import Settings

MAX_NAME = 100


def sync_catalogue(uow: UnitOfWork, settings: Settings, *, now: datetime) -> None:
    """Make the stored components match the configured ones (new ones start operational).

    Components configured earlier and since removed stay stored: past incidents name them.
    """
    stored = uow.components.get_many(c.name for c in settings.components)
    for position, cfg in enumerate(settings.components, start=1):
        comp = stored.get(cfg.name)
        if comp is None:
            uow.components.add(
                Component(
                    name=cfg.name,
                    description=cfg.description,
                    group=cfg.group,
                    position=position,
                    updated_at=now,
                    created_at=now,
                )
            )
        elif (comp.description, comp.group, comp.position) != (
            cfg.description,
            cfg.group,
            position,
        ):
            comp.description, comp.group, comp.position = cfg.description, cfg.group, position
            uow.components.save(comp)


def resolve(
    uow: UnitOfWork, settings: Settings, names: Iterable[str], *, now: datetime
) -> dict[str, Component]:
    """Map names as typed to stored components, matching case-insensitively.

    With a configured catalogue only its components exist; with none, a new name makes a new
    component (operational until an update says otherwise).

    The result is keyed by the names as typed; they are compared after the text rules of
    :func:`~commsbot.domain.text.clean_name` (NFC, so ``é`` typed either way is one name).

    Raises:
        InvalidInput: a name is not in the configured catalogue, or is not a usable name.
    """
    typed_names = list(names)
    if not typed_names:
        return {}
    stored = {c.name.casefold(): c for c in uow.components.all()}
    configured = {c.name.casefold(): c.name for c in settings.components}
    result: dict[str, Component] = {}
    for typed in typed_names:
        try:
            name = clean_name(typed, what="component name", limit=MAX_NAME, forbidden="=")
        except InvalidInput as refused:
            raise InvalidInput(refused.message, field="components") from None
        key = name.casefold()
        if configured and key not in configured:
            raise InvalidInput(
                f"unknown component {name!r}; configured components are: "
                + ", ".join(c.name for c in settings.components),
                field="components",
            )
        comp = stored.get(key)
        if comp is None:
            comp = Component(
                name=configured.get(key, name),
                position=len(stored) + 1,
                updated_at=now,
                created_at=now,
            )
            uow.components.add(comp)
            stored[key] = comp
        result[typed] = comp
    return result


def canonical_changes(
    uow: UnitOfWork,
    settings: Settings,
    changes: Mapping[str, ComponentStatus],
    *,
    now: datetime,
) -> dict[str, ComponentStatus]:
    """Component changes keyed by the stored names, whatever case they were typed in."""
    comps = resolve(uow, settings, changes, now=now)
    return {comps[typed].name: status for typed, status in changes.items()}


def component_names(deps: Deps) -> list[str]:
    """The configured catalogue's names, else every component stored so far."""
    if deps.settings.components:
        return [c.name for c in deps.settings.components]
    with deps.read() as uow:
        return [c.name for c in uow.components.all()]

"""Who may do what. Adapters never decide this: they pass an :class:`Actor` and ask here.

Actors and the lists they are matched against are plain strings. A list entry matches an actor
whose id is that string or who belongs to a group of that name, so one configuration covers
every surface: ``alice`` (CLI/API), ``slack:U024BE7LH``, ``slack-group:S0614TZR7``,
``discord:80351110224678912``, ``discord-role:41771983423143936``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from commsbot.domain.errors import NotAllowed
from commsbot.domain.model import Draft, Incident, Severity
from commsbot.domain.text import is_invisible, sanitize_text


class Reviewed(Protocol):
    """What the four-eyes rule reads of any draft: incident updates and maintenance notices."""

    @property
    def id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def last_editor(self) -> str: ...
    @property
    def authors(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Actor:
    """Someone acting through some surface, with the groups/roles that surface says they hold."""

    id: str
    groups: frozenset[str] = frozenset()
    display: str | None = None

    def __post_init__(self) -> None:
        # A platform's display name is shown in messages and refusals but nobody here typed
        # it: keep it readable rather than refuse the person.
        if self.display is not None:
            shown = sanitize_text(self.display, limit=200)
            visible = any(not is_invisible(ch) for ch in shown)
            object.__setattr__(self, "display", shown if visible else None)

    @property
    def name(self) -> str:
        return self.display or self.id

    def matches(self, entries: frozenset[str]) -> bool:
        return self.id in entries or not self.groups.isdisjoint(entries)


@dataclass(frozen=True)
class ApprovalPolicy:
    """The approval rules. The default is four eyes on the final text, anyone else approving.

    Attributes:
        allow_self_approval: a team may let the last editor of a draft (its author, when
            nobody else changed it) approve it, explicitly.
        approvers: who may approve any draft; empty means anyone (but its last editor).
        approvers_by_severity: replaces ``approvers`` for incidents of that severity.
        responders: who may declare, propose, edit and note; empty means anyone.
    """

    allow_self_approval: bool = False
    approvers: frozenset[str] = frozenset()
    approvers_by_severity: Mapping[Severity, frozenset[str]] = field(default_factory=dict)
    responders: frozenset[str] = frozenset()

    def approvers_for(self, severity: Severity) -> frozenset[str]:
        return self.approvers_by_severity.get(severity, self.approvers)

    def check_respond(self, actor: Actor, attempted: str) -> None:
        """Refuse ``attempted`` (e.g. "declare an incident") to actors outside ``responders``."""
        if self.responders and not actor.matches(self.responders):
            raise NotAllowed(
                f"{actor.name} may not {attempted}: only configured responders may "
                f"({_listing(self.responders)}); ask one of them or your commsbot admin"
                f"{_group_hint(self.responders, actor)}"
            )

    def check_approve(self, actor: Actor, draft: Draft, incident: Incident) -> None:
        """Refuse an approval that breaks four eyes on the final text, or the approver lists.

        Four eyes: whoever last changed what the draft says (its text, status, components or
        promised next update time) may not approve that version; anyone else allowed to
        approve may, its first author included (an edit is a review of what it keeps).
        """
        self._check_four_eyes(actor, draft, changed="text, status, components or next update time")
        allowed = self.approvers_for(incident.severity)
        if allowed and not actor.matches(allowed):
            raise NotAllowed(
                f"{actor.name} may not approve draft {draft.id} of {incident.ref} "
                f"({incident.severity.value}): approvers are {_listing(allowed)}"
                f"{_group_hint(allowed, actor)}"
            )

    def check_approve_maintenance(self, actor: Actor, draft: Reviewed, ref: str) -> None:
        """The same rule for a scheduled maintenance's draft: four eyes on what it says (text,
        window, components, start and end texts), and ``approvers`` when set (a maintenance has
        no severity)."""
        self._check_four_eyes(
            actor, draft, changed="text, window, components or start and end texts"
        )
        if self.approvers and not actor.matches(self.approvers):
            raise NotAllowed(
                f"{actor.name} may not approve draft {draft.id} of {ref}: approvers are "
                f"{_listing(self.approvers)}"
            )

    def check_reject_maintenance(self, actor: Actor, draft: Reviewed, ref: str) -> None:
        """Approvers may reject a maintenance draft; so may its author, withdrawing it."""
        if draft.authors[:1] == (actor.id,):
            return
        if self.approvers and not actor.matches(self.approvers):
            raise NotAllowed(
                f"{actor.name} may not reject draft {draft.id} of {ref}: only its author or an "
                f"approver ({_listing(self.approvers)}) may"
            )

    def _check_four_eyes(self, actor: Actor, draft: Reviewed, *, changed: str) -> None:
        if draft.last_editor == actor.id and not self.allow_self_approval:
            if tuple(draft.authors) == (actor.id,):
                done = "they wrote it"
            else:
                done = f"they made its last change ({changed})"
            raise NotAllowed(
                f"{actor.name} may not approve draft {draft.id} (version {draft.version}): "
                f"{done}, and someone else must read and approve this version (four eyes on "
                "what is published)"
            )

    def check_reject(self, actor: Actor, draft: Draft, incident: Incident) -> None:
        """Approvers may reject; so may the author, withdrawing their own draft."""
        if draft.author == actor.id:
            return
        allowed = self.approvers_for(incident.severity)
        if allowed and not actor.matches(allowed):
            raise NotAllowed(
                f"{actor.name} may not reject draft {draft.id} of {incident.ref}: only its "
                f"author or an approver ({_listing(allowed)}) may"
                f"{_group_hint(allowed, actor)}"
            )


#: Entries that name a group of people; only the chat surface that saw the person knows them.
GROUP_PREFIXES = ("slack-group:", "discord-role:")


def _group_hint(entries: frozenset[str], actor: Actor) -> str:
    """Why a group entry did not match someone acting where no group membership is known (the
    CLI, the API), and what would: said only when it may be the reason."""
    if actor.groups or not any(e.startswith(GROUP_PREFIXES) for e in entries):
        return ""
    return (
        " (slack-group: and discord-role: entries match only when acting in Slack or Discord, "
        "which know who is in them; from the CLI or the API a person needs an entry of their "
        f"own, such as {actor.id!r})"
    )


def _listing(entries: frozenset[str]) -> str:
    return ", ".join(sorted(entries))

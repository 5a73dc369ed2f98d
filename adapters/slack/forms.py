"""The modals: how each form looks (its blocks and their ids) and how a submission reads back.

Pure. Components come from the configured catalogue (one select per component, its impact) or,
with no catalogue, from free text (``ChatGPT, API=partial_outage``). ``private_metadata``
(:class:`Meta`) carries what the submission needs — where to answer, which incident, draft and
version — never held in memory. Reading a submission turns ``view.state.values`` into a typed
form, or into errors per block (:class:`FormErrors`); a refusal from the core is placed next to
the field it names (:func:`error_block`), so the person's input stays in the open form.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypedDict, cast

from adapters.slack.blocks import (
    MAX_BLOCKS_MODAL,
    MAX_PRIVATE_METADATA,
    escape,
    input_block,
    option,
    plain,
    section,
    select,
    text_input,
    truncate,
)
from adapters.slack.wire import Block, InputBlock, ModalView, StateValues, View
from commsbot.domain.errors import CommsbotError, GuardFailed, InvalidInput, InvalidTransition
from commsbot.domain.lifecycle import Status, allowed_targets
from commsbot.domain.model import (
    MAX_BODY,
    MAX_TITLE,
    ComponentStatus,
    Severity,
    parse_component_changes,
)

#: Callback ids of the submittable modals, and the selects that change a form while it is open.
DECLARE = "commsbot.declare"
UPDATE = "commsbot.update"
EDIT = "commsbot.edit"
REJECT = "commsbot.reject"
PICK = "commsbot.pick"
STATUS_CHANGED = "commsbot.modal.status"
INCIDENT_PICKED = "commsbot.modal.incident"

#: Block ids. An update's text is ``body:<status>``: changing the status swaps in its wording.
TITLE, SEVERITY, STATUS, REASON, INCIDENT = "title", "severity", "status", "reason", "incident"
BODY, BODY_PREFIX, NEXT_UPDATE = "body", "body:", "next_update"
COMPONENTS, COMPONENT_PREFIX = "components", "comp:"

POSTMORTEM = "postmortem"
DEFAULT_IMPACT = "default"
NOT_AFFECTED = "none"
#: Per-component selects while the catalogue fits a modal; free text beyond.
MAX_SELECT_COMPONENTS = MAX_BLOCKS_MODAL - 10

#: The core's refusals name the input they concern (``CommsbotError.field``); this is the block
#: each field is shown next to. A transition refusal is about the status by its very kind.
FIELD_BLOCKS = {
    "title": TITLE,
    "severity": SEVERITY,
    "status": STATUS,
    "components": COMPONENTS,
    "body": BODY,
    "reason": REASON,
    "next_update_by": NEXT_UPDATE,
}


class Meta(TypedDict, total=False):
    """``private_metadata``: what a submission needs, in short keys (3,000 characters at most)."""

    c: str | None  # the channel to answer in
    r: str | None  # the response URL to answer through
    i: str  # the incident
    h: str | None  # fingerprint of the template text the form was filled with
    d: str  # the draft
    v: int  # the draft's version
    ch: str | None  # the message (channel, ts) whose controls the outcome settles
    ts: str | None


def pack(meta: Meta) -> str:
    """``private_metadata``; a response URL is dropped rather than overflow the limit."""
    text = json.dumps(meta, separators=(",", ":"))
    if len(text) > MAX_PRIVATE_METADATA:
        text = json.dumps({k: v for k, v in meta.items() if k != "r"}, separators=(",", ":"))
    return text


def unpack(view: View) -> Meta:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return cast(Meta, data) if isinstance(data, dict) else {}


def fingerprint(text: str | None) -> str:
    """A short hash of prefilled text: was it left as it was?"""
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()[:12]


# --- building ------------------------------------------------------------------------------


def modal(
    callback_id: str | None, title: str, blocks: list[Block], meta: Meta, submit: str
) -> ModalView:
    view: ModalView = {
        "type": "modal",
        "title": plain(title, 24),
        "close": plain("Cancel", 24),
        "blocks": blocks[:MAX_BLOCKS_MODAL],
    }
    if callback_id is not None:
        view["callback_id"] = callback_id
        view["submit"] = plain(submit, 24)
        view["private_metadata"] = pack(meta)
    return view


def message_view(title: str, text: str, *, close: str = "Close") -> ModalView:
    """A modal that only says something (already-escaped mrkdwn); "Loading…" is one."""
    view = modal(None, title, [section(truncate(text, 3000))], {}, "")
    view["close"] = plain(close, 24)
    return view


def loading_view(title: str) -> ModalView:
    """Opened at once (``trigger_id`` lives 3 s), replaced when the real form is ready."""
    return message_view(title, ":hourglass: Loading…", close="Cancel")


def component_blocks(
    catalogue: Sequence[str] | None,
    *,
    current: Mapping[str, ComponentStatus],
    chosen: Mapping[str, str],
    declaring: bool,
    free_text: str | None = None,
) -> list[Block]:
    """One impact select per catalogue component, or one free-text field."""
    if not catalogue or len(catalogue) > MAX_SELECT_COMPONENTS:
        now = ", ".join(f"{n}={s.value}" for n, s in current.items())
        hint = "Comma-separated; STATUS: " + ", ".join(s.value for s in ComponentStatus)
        label = (
            "Components (NAME or NAME=STATUS)" if declaring else "Component changes (NAME=STATUS)"
        )
        example = "ChatGPT, API=partial_outage" if declaring else "API=operational"
        element = text_input(free_text, placeholder=example, max_length=2000)
        hint = f"Now: {now}. {hint}" if now else hint
        return [input_block(COMPONENTS, label, element, optional=True, hint=hint)]
    impacts = [
        option(s.label, s.value) for s in ComponentStatus if s is not ComponentStatus.OPERATIONAL
    ]
    if declaring:
        options = [
            option("Affected (severity's default)", DEFAULT_IMPACT),
            *impacts,
            option("Not affected", NOT_AFFECTED),
        ]
    else:
        options = [
            option(ComponentStatus.OPERATIONAL.label, ComponentStatus.OPERATIONAL.value),
            *impacts,
        ]
    placeholder = "Not affected" if declaring else "No change"
    blocks: list[Block] = []
    for name in catalogue:
        initial = chosen.get(name) or (current[name].value if name in current else None)
        chooser = select(options, initial, placeholder=placeholder)
        blocks.append(input_block(COMPONENT_PREFIX + name, name, chooser, optional=True))
    return blocks


def next_update_block(initial: str | None, *, hint: str) -> InputBlock:
    """The optional "Next update" field: a duration, a local time or an ISO time."""
    element = text_input(initial, max_length=64, placeholder="45m, 1h30m or 16:30")
    return input_block(NEXT_UPDATE, "Next update in / by", element, optional=True, hint=hint)


def declare_view(
    *, catalogue: Sequence[str] | None, severity: Severity | None, meta: Meta
) -> ModalView:
    """``/incident declare`` without a title (prefilled with ``severity`` when given)."""
    severities = [option(s.value.upper(), s.value) for s in Severity]
    title = text_input(max_length=MAX_TITLE, placeholder="ChatGPT, API and Sora unavailable")
    body = text_input(multiline=True, placeholder="Leave empty for the standard wording")
    blocks: list[Block] = [
        input_block(TITLE, "Title (what the public will see)", title),
        input_block(SEVERITY, "Severity", select(severities, severity.value if severity else None)),
        *component_blocks(catalogue, current={}, chosen={}, declaring=True),
        input_block(
            BODY,
            "First message (the acknowledgment)",
            body,
            optional=True,
            hint="Empty: the standard acknowledgment naming the components above. "
            "It is a draft: a second person approves it before it goes out.",
        ),
        next_update_block(
            None,
            hint="When the public is promised the next update. Empty: the severity's cadence "
            "(sev4: no promise).",
        ),
    ]
    return modal(DECLARE, "Declare an incident", blocks, meta, submit="Declare")


def status_choices(current: Status, *, postmortem_only: bool = False) -> list[tuple[str, str]]:
    """(value, label) of every status an update may set from ``current``."""
    if postmortem_only:
        return [(POSTMORTEM, "Postmortem (root-cause analysis)")]
    out = []
    for target in allowed_targets(current):
        label = f"{target.label} (progress update)" if target is current else target.label
        if current is Status.RECOVERED and target is Status.INVESTIGATING:
            label = "Investigating (reopen: give a reason)"
        out.append((target.value, label))
    if current is Status.RECOVERED:
        out.append((POSTMORTEM, "Postmortem (root-cause analysis)"))
    return out


def update_view(
    *,
    callback_id: str,
    heading: str,
    choices: list[tuple[str, str]],
    form: UpdateForm,
    catalogue: Sequence[str] | None,
    current: Mapping[str, ComponentStatus],
    meta: Meta,
    promise_hint: str = "Empty: the severity's cadence.",
) -> ModalView:
    """The update form (``callback_id`` UPDATE) or the draft edit form (EDIT).

    ``promise_hint`` says what an empty "Next update" field means (the default, or "keep").
    """
    statuses = [option(label, value) for value, label in choices]
    status_select = select(statuses, form.choice, action_id=STATUS_CHANGED)
    free = ", ".join(f"{n}={v}" for n, v in form.components.items()) or None
    blocks: list[Block] = [
        section(truncate(heading, 3000)),
        input_block(STATUS, "Status this update sets", status_select, dispatch_action=True),
        input_block(
            BODY_PREFIX + form.choice,
            "Text of the update",
            text_input(form.body, multiline=True, max_length=3000),
            hint="{next_update_by} is written as the time in Next update when it is approved.",
        ),
        next_update_block(
            form.next_update,
            hint=f"When the public is promised the next update. {promise_hint} A recovery "
            "promises none.",
        ),
        *component_blocks(
            catalogue, current=current, chosen=form.components, declaring=False, free_text=free
        ),
        input_block(
            REASON,
            "Reason (needed to reopen)",
            text_input(form.reason, max_length=1000),
            optional=True,
        ),
    ]
    title = "Draft an update" if callback_id == UPDATE else "Edit the draft"
    return modal(callback_id, title, blocks, meta, submit="Save draft")


def pick_view(options: list[tuple[str, str]], meta: Meta) -> ModalView:
    """Which open incident to update; choosing one turns this into the update form."""
    incidents = [option(label, value) for value, label in options]
    element = select(incidents, action_id=INCIDENT_PICKED, placeholder="Open incidents")
    blocks: list[Block] = [input_block(INCIDENT, "Incident", element, dispatch_action=True)]
    return modal(PICK, "Draft an update", blocks, meta, submit="Next")


def reject_view(*, draft_id: str, version: int, meta: Meta) -> ModalView:
    """Asks why; the draft and the message to mark are in ``meta``."""
    why = text_input(multiline=True, max_length=1000, placeholder="say when it started")
    blocks: list[Block] = [
        section(
            f"Reject draft `{escape(draft_id)}` v{version}. Its author is told why; "
            "nothing is published."
        ),
        input_block(REASON, "Why? (the author sees this)", why),
    ]
    return modal(REJECT, "Reject the draft", blocks, meta, submit="Reject")


# --- reading -------------------------------------------------------------------------------


class FormErrors(Exception):
    """Input the modal should show next to its fields: block id → message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


@dataclass(frozen=True)
class DeclareForm:
    title: str
    severity: Severity
    components: dict[str, ComponentStatus | None]
    body: str | None
    next_update: str | None = None


@dataclass(frozen=True)
class UpdateForm:
    """What an update (or edit) form shows and, once submitted, holds."""

    choice: str  # a Status value, or "postmortem"
    body: str | None
    reason: str | None = None
    components: dict[str, str] = field(default_factory=dict)  # name → chosen status value
    #: As typed (45m, 16:30, ISO); None keeps the draft's promise (or the default when new).
    next_update: str | None = None

    @property
    def status(self) -> Status | None:
        """The status chosen; None for the postmortem (the core knows it keeps "recovered")."""
        return None if self.choice == POSTMORTEM else Status(self.choice)

    @property
    def postmortem(self) -> bool:
        return self.choice == POSTMORTEM


def _values(view: View) -> StateValues:
    return (view.get("state") or {"values": {}}).get("values") or {}


def _read(values: StateValues, block_id: str) -> str | None:
    """The value of a text input or the chosen option of a select, else None."""
    # Each input block holds one element; its action id varies (the status select dispatches).
    element = next(iter((values.get(block_id) or {}).values()), None)
    if element is None:
        return None
    if element.get("type") == "static_select" or "selected_option" in element:
        chosen = element.get("selected_option")
        return chosen["value"] if chosen else None
    value = element.get("value")
    return (value.strip() or None) if isinstance(value, str) else None


def _body_block(values: StateValues) -> str:
    return next((b for b in values if b.startswith(BODY_PREFIX)), BODY_PREFIX)


def _components(
    values: StateValues, *, declaring: bool, errors: dict[str, str]
) -> dict[str, str | None]:
    """Component name → chosen value (raw), from selects or the free-text field."""
    out: dict[str, str | None] = {}
    for block_id in values:
        if block_id.startswith(COMPONENT_PREFIX):
            chosen = _read(values, block_id)
            if chosen is not None and chosen != NOT_AFFECTED:
                name = block_id.removeprefix(COMPONENT_PREFIX)
                out[name] = None if chosen == DEFAULT_IMPACT else chosen
    text = _read(values, COMPONENTS)
    items = [p.strip() for p in (text or "").replace("\n", ",").split(",") if p.strip()]
    try:
        for item in items:
            if "=" in item:
                out.update({k: v.value for k, v in parse_component_changes([item]).items()})
            elif declaring:
                out[item] = None
            else:
                raise InvalidInput(f"component {item!r} has no status; write {item}=STATUS")
    except InvalidInput as exc:
        errors[COMPONENTS] = str(exc)
    return out


def read_declare(view: View) -> DeclareForm:
    """Raises FormErrors for anything the modal itself can flag."""
    values = _values(view)
    errors: dict[str, str] = {}
    title = _read(values, TITLE)
    if not title:
        errors[TITLE] = "Give the incident a title"
    severity = _read(values, SEVERITY)
    if severity not in {s.value for s in Severity}:
        errors[SEVERITY] = "Choose a severity"
    comps = _components(values, declaring=True, errors=errors)
    body = _read(values, BODY)
    if body and len(body) > MAX_BODY:
        errors[BODY] = f"At most {MAX_BODY} characters"
    if errors or title is None or severity is None:
        raise FormErrors(errors)
    return DeclareForm(
        title=title,
        severity=Severity(severity),
        components={n: None if v is None else ComponentStatus(v) for n, v in comps.items()},
        body=body,
        next_update=_read(values, NEXT_UPDATE),
    )


def read_update(view: View, *, strict: bool = True) -> UpdateForm:
    """The update/edit form as submitted (``strict``), or as it stands while open.

    Raises:
        FormErrors: (``strict`` only) no status chosen, no text, a malformed component.
    """
    values = _values(view)
    errors: dict[str, str] = {}
    choice = _read(values, STATUS) or ""
    if choice != POSTMORTEM and choice not in {s.value for s in Status}:
        errors[STATUS] = "Choose the status this update sets"
    body_block = _body_block(values)
    body = _read(values, body_block)
    if not body:
        errors[body_block] = "Write the text of the update"
    comps = _components(values, declaring=False, errors=errors)
    if errors and strict:
        raise FormErrors(errors)
    return UpdateForm(
        choice=choice,
        body=body,
        reason=_read(values, REASON),
        components={n: v for n, v in comps.items() if v is not None},
        next_update=_read(values, NEXT_UPDATE),
    )


def read_reason(view: View) -> str:
    reason = _read(_values(view), REASON)
    if not reason:
        raise FormErrors({REASON: "Say why, so the author can fix it"})
    return reason


def changes_against(
    chosen: Mapping[str, str], current: Mapping[str, ComponentStatus]
) -> dict[str, ComponentStatus]:
    """The selections that differ from the components' current status (the rest: no change)."""
    return {
        name: ComponentStatus(value)
        for name, value in chosen.items()
        if current.get(name) is not ComponentStatus(value)
    }


def error_block(exc: CommsbotError, view: View) -> str:
    """The input block a refusal from the core is shown next to: the one of the field it
    names (:data:`FIELD_BLOCKS`), else the form's first input."""
    ids = [b["block_id"] for b in view.get("blocks") or [] if b["type"] == "input"]
    named = exc.field or ("status" if isinstance(exc, InvalidTransition | GuardFailed) else "")
    wanted = FIELD_BLOCKS.get(named)
    for block_id in ids:
        if wanted == COMPONENTS and block_id.startswith(COMPONENT_PREFIX):
            return block_id
        if wanted == BODY and block_id.startswith(BODY_PREFIX):
            return block_id
        if block_id == wanted:
            return block_id
    return ids[0] if ids else STATUS

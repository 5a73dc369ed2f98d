"""The declare, update, edit and reject modals, and the small views around them.

Pure. Components come from the configured catalogue (one select per component, its impact) or,
with no catalogue, from free text (``ChatGPT, API=partial_outage``). ``private_metadata`` carries
what the submission needs (where to answer, which draft and version), never held in memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapters.slack.blocks import MAX_BLOCKS_MODAL, Block, escape, plain, truncate
from adapters.slack.forms import (
    DEFAULT_IMPACT,
    NEXT_UPDATE,
    NOT_AFFECTED,
    POSTMORTEM,
    VALUE,
    UpdateForm,
    pack,
)
from commsbot.domain.lifecycle import Status, allowed_targets
from commsbot.domain.model import (
    MAX_TITLE,
    ComponentStatus,
    Severity,
)

DECLARE = "commsbot.declare"
UPDATE = "commsbot.update"
EDIT = "commsbot.edit"
REJECT = "commsbot.reject"
PICK = "commsbot.pick"
STATUS_CHANGED = "commsbot.modal.status"
INCIDENT_PICKED = "commsbot.modal.incident"
#: Per-component selects while the catalogue fits a modal; free text beyond.
MAX_SELECT_COMPONENTS = MAX_BLOCKS_MODAL - 10


# --- elements ------------------------------------------------------------------------------


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, 75), "value": value}


def _input(block_id: str, label: str, element: dict[str, Any], **extra: Any) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
    }
    block.update(extra)
    return block


def _text(
    initial: str | None = None,
    *,
    multiline: bool = False,
    max_length: int = 3000,
    placeholder: str | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": VALUE,
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial[:max_length]
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    return element


def _select(
    options: list[dict[str, Any]],
    initial: str | None = None,
    *,
    action_id: str = VALUE,
    placeholder: str = "Choose…",
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": plain(placeholder, 150),
        "options": options[:100],
    }
    chosen = [o for o in options if o["value"] == initial]
    if chosen:
        element["initial_option"] = chosen[0]
    return element


def _modal(
    callback_id: str,
    title: str,
    blocks: list[Block],
    meta: Mapping[str, Any],
    submit: str = "Submit",
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, 24),
        "submit": plain(submit, 24),
        "close": plain("Cancel", 24),
        "private_metadata": pack(meta),
        "blocks": blocks[:MAX_BLOCKS_MODAL],
    }


def loading_view(title: str) -> dict[str, Any]:
    """Opened at once (``trigger_id`` lives 3 s), replaced when the real form is ready."""
    return {
        "type": "modal",
        "title": plain(title, 24),
        "close": plain("Cancel", 24),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": ":hourglass: Loading…"}}],
    }


def message_view(title: str, text: str) -> dict[str, Any]:
    """A modal that only says something (already-escaped mrkdwn)."""
    return {
        "type": "modal",
        "title": plain(title, 24),
        "close": plain("Close", 24),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, 3000)}}],
    }


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
        if now:
            hint = f"Now: {now}. {hint}"
        example = "ChatGPT, API=partial_outage" if declaring else "API=operational"
        return [
            _input(
                "components",
                "Components (NAME or NAME=STATUS)"
                if declaring
                else "Component changes (NAME=STATUS)",
                _text(free_text, placeholder=example, max_length=2000),
                optional=True,
                hint=plain(hint, 2000),
            )
        ]
    options = [
        _option(s.label, s.value) for s in ComponentStatus if s is not ComponentStatus.OPERATIONAL
    ]
    if declaring:
        options = [
            _option("Affected (severity's default)", DEFAULT_IMPACT),
            *options,
            _option("Not affected", NOT_AFFECTED),
        ]
    else:
        options = [
            _option(ComponentStatus.OPERATIONAL.label, ComponentStatus.OPERATIONAL.value),
            *options,
        ]
    blocks = []
    for name in catalogue:
        initial = chosen.get(name) or (current[name].value if name in current else None)
        blocks.append(
            _input(
                f"comp:{name}",
                name,
                _select(options, initial, placeholder="Not affected" if declaring else "No change"),
                optional=True,
            )
        )
    return blocks


def next_update_block(initial: str | None, *, hint: str) -> Block:
    """The optional "Next update" field: a duration, a local time or an ISO time."""
    return _input(
        NEXT_UPDATE,
        "Next update in / by",
        _text(initial, max_length=64, placeholder="45m, 1h30m or 16:30"),
        optional=True,
        hint=plain(hint, 2000),
    )


# --- declare -------------------------------------------------------------------------------


def declare_view(
    *,
    catalogue: Sequence[str] | None,
    severity: Severity | None,
    title: str | None,
    meta: Mapping[str, Any],
) -> dict[str, Any]:
    sev_options = [_option(s.value.upper(), s.value) for s in Severity]
    blocks: list[Block] = [
        _input(
            "title",
            "Title (what the public will see)",
            _text(title, max_length=MAX_TITLE, placeholder="ChatGPT, API and Sora unavailable"),
        ),
        _input("severity", "Severity", _select(sev_options, severity.value if severity else None)),
        *component_blocks(catalogue, current={}, chosen={}, declaring=True),
        _input(
            "body",
            "First message (the acknowledgment)",
            _text(multiline=True, placeholder="Leave empty for the standard wording"),
            optional=True,
            hint=plain(
                "Empty: the standard acknowledgment naming the components above. "
                "It is a draft: a second person approves it before it goes out.",
                2000,
            ),
        ),
        next_update_block(
            None,
            hint="When the public is promised the next update. Empty: the severity's cadence "
            "(sev4: no promise).",
        ),
    ]
    return _modal(DECLARE, "Declare an incident", blocks, meta, submit="Declare")


# --- update and edit -----------------------------------------------------------------------


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
    meta: Mapping[str, Any],
    promise_hint: str = "Empty: the severity's cadence.",
) -> dict[str, Any]:
    """The update form (``callback_id`` UPDATE) or the draft edit form (EDIT).

    ``promise_hint`` says what an empty "Next update" field means (the default, or "keep").
    """
    status_select = _select(
        [_option(label, value) for value, label in choices], form.choice, action_id=STATUS_CHANGED
    )
    free = ", ".join(f"{n}={v}" for n, v in form.components.items()) or None
    blocks: list[Block] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": truncate(heading, 3000)}},
        _input("status", "Status this update sets", status_select, dispatch_action=True),
        # The block id names the status so that changing it swaps in that status's wording.
        _input(
            f"body:{form.choice}",
            "Text of the update",
            _text(form.body, multiline=True, max_length=3000),
            hint=plain(
                "{next_update_by} is written as the time in Next update when it is approved.",
                2000,
            ),
        ),
        next_update_block(
            form.next_update,
            hint=f"When the public is promised the next update. {promise_hint} A recovery "
            "promises none.",
        ),
        *component_blocks(
            catalogue, current=current, chosen=form.components, declaring=False, free_text=free
        ),
        _input(
            "reason",
            "Reason (needed to reopen)",
            _text(form.reason, max_length=1000),
            optional=True,
        ),
    ]
    title = "Draft an update" if callback_id == UPDATE else "Edit the draft"
    return _modal(callback_id, title, blocks, meta, submit="Save draft")


# --- pick an incident, reject --------------------------------------------------------------


def pick_view(options: list[tuple[str, str]], meta: Mapping[str, Any]) -> dict[str, Any]:
    """Which open incident to update; choosing one turns this into the update form."""
    element = _select(
        [_option(label, value) for value, label in options],
        action_id=INCIDENT_PICKED,
        placeholder="Open incidents",
    )
    blocks = [_input("incident", "Incident", element, dispatch_action=True)]
    return _modal(PICK, "Draft an update", blocks, meta, submit="Next")


def reject_view(*, draft_id: str, version: int, meta: Mapping[str, Any]) -> dict[str, Any]:
    """Asks why; the draft and the message to mark are in ``meta``."""
    blocks = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"Reject draft `{escape(draft_id)}` v{version}. Its author is told why; "
                "nothing is published.",
            },
        },
        _input(
            "reason",
            "Why? (the author sees this)",
            _text(multiline=True, max_length=1000, placeholder="say when it started"),
        ),
    ]
    return _modal(REJECT, "Reject the draft", blocks, meta, submit="Reject")

"""Reading submitted forms: ``view.state.values`` into typed forms, or errors per field.

Pure. Each error names the block it belongs to, so Slack shows it next to the field (with
``response_action: errors``) and the person's input stays in the form.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters.slack.blocks import MAX_PRIVATE_METADATA
from commsbot.domain.errors import InvalidInput
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import MAX_BODY, ComponentStatus, Severity, parse_component_changes

VALUE = "value"
POSTMORTEM = "postmortem"
DEFAULT_IMPACT = "default"
NOT_AFFECTED = "none"


class FormErrors(Exception):
    """Input the modal should show next to its fields: block id → message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


def pack(meta: Mapping[str, Any]) -> str:
    """``private_metadata``; a response URL is dropped rather than overflow the limit."""
    text = json.dumps(meta, separators=(",", ":"))
    if len(text) > MAX_PRIVATE_METADATA:
        text = json.dumps({k: v for k, v in meta.items() if k != "r"}, separators=(",", ":"))
    return text


def unpack(view: Mapping[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


#: The optional "Next update" text input of the declare, update and edit forms.
NEXT_UPDATE = "next_update"


@dataclass(frozen=True)
class DeclareForm:
    title: str
    severity: Severity
    components: dict[str, ComponentStatus | None]
    body: str | None
    next_update: str | None = None


def _values(view: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    state = view.get("state") or {}
    values = state.get("values") or {}
    return values if isinstance(values, dict) else {}


def _read(values: Mapping[str, Any], block_id: str) -> str | None:
    """The value of a text input or the chosen option of a select, else None."""
    # Each input block holds one element; its action id varies (the status select dispatches).
    elements = values.get(block_id) or {}
    element = next(iter(elements.values()), None) if isinstance(elements, dict) else None
    if not isinstance(element, dict):
        return None
    if element.get("type") == "static_select" or "selected_option" in element:
        option = element.get("selected_option") or {}
        chosen = option.get("value")
        return str(chosen) if chosen is not None else None
    value = element.get("value")
    return (value.strip() or None) if isinstance(value, str) else None


def _components(
    values: Mapping[str, Any], *, declaring: bool, errors: dict[str, str]
) -> dict[str, str | None]:
    """Component name → chosen value (raw), from selects or the free-text field."""
    out: dict[str, str | None] = {}
    for block_id in values:
        if block_id.startswith("comp:"):
            chosen = _read(values, block_id)
            if chosen is not None and chosen != NOT_AFFECTED:
                out[block_id.removeprefix("comp:")] = None if chosen == DEFAULT_IMPACT else chosen
    text = _read(values, "components")
    if text:
        items = [p.strip() for p in text.replace("\n", ",").split(",") if p.strip()]
        try:
            for item in items:
                if "=" in item:
                    out.update({k: v.value for k, v in parse_component_changes([item]).items()})
                elif declaring:
                    out[item] = None
                else:
                    raise InvalidInput(f"component {item!r} has no status; write {item}=STATUS")
        except InvalidInput as exc:
            errors["components"] = str(exc)
    return out


def read_declare(view: Mapping[str, Any]) -> DeclareForm:
    """Raises FormErrors for anything the modal itself can flag."""
    values = _values(view)
    errors: dict[str, str] = {}
    title = _read(values, "title")
    if not title:
        errors["title"] = "Give the incident a title"
    severity = _read(values, "severity")
    if severity not in {s.value for s in Severity}:
        errors["severity"] = "Choose a severity"
    comps = _components(values, declaring=True, errors=errors)
    body = _read(values, "body")
    if body and len(body) > MAX_BODY:
        errors["body"] = f"At most {MAX_BODY} characters"
    if errors:
        raise FormErrors(errors)
    assert title is not None
    assert severity is not None
    return DeclareForm(
        title=title,
        severity=Severity(severity),
        components={n: None if v is None else ComponentStatus(v) for n, v in comps.items()},
        body=body,
        next_update=_read(values, NEXT_UPDATE),
    )


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
        return None if self.choice == POSTMORTEM else Status(self.choice)

    @property
    def postmortem(self) -> bool:
        return self.choice == POSTMORTEM


def read_update(
    view: Mapping[str, Any], *, current: Mapping[str, ComponentStatus] | None = None
) -> UpdateForm:
    """The submitted update/edit form; component values equal to ``current`` are no change."""
    values = _values(view)
    errors: dict[str, str] = {}
    choice = _read(values, "status")
    if choice != POSTMORTEM and choice not in {s.value for s in Status}:
        errors["status"] = "Choose the status this update sets"
    body_block = next((b for b in values if b.startswith("body:")), "body:")
    body = _read(values, body_block)
    if not body:
        errors[body_block] = "Write the text of the update"
    comps = _components(values, declaring=False, errors=errors)
    if errors:
        raise FormErrors(errors)
    assert choice is not None
    now = current or {}
    changes = {
        n: v for n, v in comps.items() if v is not None and (n not in now or now[n].value != v)
    }
    return UpdateForm(
        choice=choice,
        body=body,
        reason=_read(values, "reason"),
        components=changes,
        next_update=_read(values, NEXT_UPDATE),
    )


def body_block_id(view: Mapping[str, Any]) -> str:
    return next((b for b in _values(view) if b.startswith("body:")), "body:")


def current_body(view: Mapping[str, Any]) -> str | None:
    return _read(_values(view), body_block_id(view))


def current_reason(view: Mapping[str, Any]) -> str | None:
    return _read(_values(view), "reason")


def current_next_update(view: Mapping[str, Any]) -> str | None:
    return _read(_values(view), NEXT_UPDATE)


def chosen_components(view: Mapping[str, Any]) -> dict[str, str]:
    """The component selections currently in a form (kept when the form is rebuilt)."""
    return {
        n: v
        for n, v in _components(_values(view), declaring=False, errors={}).items()
        if v is not None
    }


def read_reason(view: Mapping[str, Any]) -> str:
    reason = _read(_values(view), "reason")
    if not reason:
        raise FormErrors({"reason": "Say why, so the author can fix it"})
    return reason

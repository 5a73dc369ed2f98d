"""Slack's wire formats, as far as commsbot reads or writes them (as ``discord/types/`` does).

Pure types: what arrives (the slash-command form, ``block_actions`` and ``view_submission``
payloads, the Web API answers read back) and what leaves (the Block Kit blocks and modal views
commsbot builds). Keys Slack may leave out are ``NotRequired``; nothing here is validated at
run time — the handlers read payloads defensively (``.get``) and mypy checks the keys they use.
Reference: api.slack.com/interactivity/slash-commands, /reference/interaction-payloads,
/reference/block-kit, and the Web API methods named below.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

# --- Block Kit: what commsbot builds ------------------------------------------------------


class PlainText(TypedDict):
    type: Literal["plain_text"]
    text: str
    emoji: NotRequired[bool]


class Mrkdwn(TypedDict):
    type: Literal["mrkdwn"]
    text: str
    verbatim: NotRequired[bool]


class Option(TypedDict):
    text: PlainText
    value: str


class Button(TypedDict):
    type: Literal["button"]
    text: PlainText
    action_id: str
    value: str
    style: NotRequired[Literal["primary", "danger"]]


class StaticSelect(TypedDict):
    type: Literal["static_select"]
    action_id: str
    placeholder: PlainText
    options: list[Option]
    initial_option: NotRequired[Option]


class PlainTextInput(TypedDict):
    type: Literal["plain_text_input"]
    action_id: str
    multiline: bool
    max_length: int
    initial_value: NotRequired[str]
    placeholder: NotRequired[PlainText]


class SectionBlock(TypedDict):
    type: Literal["section"]
    block_id: NotRequired[str]
    text: NotRequired[Mrkdwn]
    fields: NotRequired[list[Mrkdwn]]


class ContextBlock(TypedDict):
    type: Literal["context"]
    block_id: NotRequired[str]
    elements: list[Mrkdwn]


class ActionsBlock(TypedDict):
    type: Literal["actions"]
    block_id: NotRequired[str]
    elements: list[Button | StaticSelect]


class InputBlock(TypedDict):
    type: Literal["input"]
    block_id: str
    label: PlainText
    element: PlainTextInput | StaticSelect
    optional: NotRequired[bool]
    hint: NotRequired[PlainText]
    dispatch_action: NotRequired[bool]


Block = SectionBlock | ContextBlock | ActionsBlock | InputBlock


class ModalView(TypedDict):
    """``views.open`` / ``views.update``: a modal. Without ``callback_id`` it cannot be
    submitted (the "Loading…" and message-only modals)."""

    type: Literal["modal"]
    title: PlainText
    close: PlainText
    blocks: list[Block]
    callback_id: NotRequired[str]
    submit: NotRequired[PlainText]
    private_metadata: NotRequired[str]


# --- message metadata (written with each message, read back from the history) ---------------


class EventPayload(TypedDict, total=False):
    """What commsbot's messages carry in ``metadata.event_payload``, to be found again."""

    kind: str
    key: str
    incident_id: str
    draft_id: str
    version: int
    reminder_id: str
    update_id: str
    seq: int
    corrected: bool


class Metadata(TypedDict):
    event_type: str
    event_payload: EventPayload


# --- Web API answers commsbot reads ---------------------------------------------------------


class Message(TypedDict):
    """A message as ``conversations.history``/``.replies`` (``include_all_metadata``) and
    ``block_actions`` payloads show it."""

    ts: str
    text: NotRequired[str]
    blocks: NotRequired[list[Block]]
    metadata: NotRequired[Metadata]


class HistoryResponse(TypedDict):
    """``conversations.history`` and ``conversations.replies``."""

    ok: bool
    messages: NotRequired[list[Message]]


class PostMessageResponse(TypedDict):
    """``chat.postMessage``."""

    ok: bool
    ts: str


class ViewResponse(TypedDict):
    """``views.open`` / ``views.update``: the view as Slack stored it."""

    ok: bool
    view: NotRequired[OpenedView]


class OpenedView(TypedDict):
    id: str
    hash: str


class UsergroupUsersResponse(TypedDict):
    """``usergroups.users.list``."""

    ok: bool
    users: NotRequired[list[str]]


class AuthTestResponse(TypedDict):
    """``auth.test``."""

    ok: bool
    user: NotRequired[str]
    team: NotRequired[str]


# --- what arrives ------------------------------------------------------------------------


class SlashCommand(TypedDict):
    """The form of a slash command (as Bolt hands it over as ``command``)."""

    command: str
    text: str
    user_id: str
    trigger_id: str
    user_name: NotRequired[str]
    channel_id: NotRequired[str]
    response_url: NotRequired[str]


class User(TypedDict):
    id: str
    username: NotRequired[str]
    name: NotRequired[str]


class Container(TypedDict):
    """Where a control was used: a message (``channel_id``, ``message_ts``) or a modal."""

    type: Literal["message", "view"]
    channel_id: NotRequired[str]
    message_ts: NotRequired[str]


class Channel(TypedDict):
    id: str


class StateValue(TypedDict):
    """One element's value in ``view.state.values``: typed text or a chosen option."""

    type: str
    value: NotRequired[str | None]
    selected_option: NotRequired[Option | None]


#: ``view.state.values``: block id → action id → value.
StateValues = dict[str, dict[str, StateValue]]


class State(TypedDict):
    values: StateValues


class View(TypedDict):
    """A modal as a ``block_actions`` or ``view_submission`` payload sends it back."""

    id: str
    hash: NotRequired[str]
    callback_id: NotRequired[str]
    private_metadata: NotRequired[str]
    blocks: NotRequired[list[Block]]
    state: NotRequired[State]


class Action(TypedDict):
    """One pressed button or changed select of a ``block_actions`` payload."""

    action_id: str
    type: str
    value: NotRequired[str]
    selected_option: NotRequired[Option | None]


class BlockActions(TypedDict):
    """``type = block_actions``: a button or select in a message or a modal."""

    type: Literal["block_actions"]
    user: User
    actions: list[Action]
    trigger_id: NotRequired[str]
    container: NotRequired[Container]
    channel: NotRequired[Channel]
    message: NotRequired[Message]
    view: NotRequired[View]
    response_url: NotRequired[str]


class ViewSubmission(TypedDict):
    """``type = view_submission``: a modal's submit button."""

    type: Literal["view_submission"]
    user: User
    view: View

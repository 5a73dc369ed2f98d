"""The ``/incident`` grammar: one registry of subcommands that parses text and builds the help.

Pure: no Slack, no I/O. :func:`parse` turns the text after ``/incident`` into one frozen value
per subcommand (``Declare``, ``Update``, …), or raises :class:`UsageError` naming the subcommand
whose usage should be shown — and nothing else, whatever was typed. Text arguments work without
any modal::

    /incident declare sev1 ChatGPT, API and Sora unavailable | ChatGPT, API, Sora=partial_outage
    /incident update INC-1 identified We found the cause | API=partial_outage
    /incident approve k2v9x0q7ab1c v2
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from commsbot.domain.errors import InvalidInput
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import ComponentStatus, Severity, parse_component_changes

# --- what the text parses into: one frozen value per subcommand ----------------------------


@dataclass(frozen=True)
class Help:
    topic: str | None = None


@dataclass(frozen=True)
class Declare:
    """``title`` None: open the modal (prefilled with ``severity`` when given)."""

    title: str | None = None
    severity: Severity | None = None
    components: dict[str, ComponentStatus | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Update:
    """``status`` None and not ``keep_status``/``postmortem``: open the modal."""

    incident: str | None = None
    status: Status | None = None
    keep_status: bool = False
    postmortem: bool = False
    body: str | None = None
    reason: str | None = None
    components: dict[str, ComponentStatus] = field(default_factory=dict)

    @property
    def wants_modal(self) -> bool:
        return self.status is None and not self.keep_status and not self.postmortem


@dataclass(frozen=True)
class ShowStatus:
    incident: str | None = None


@dataclass(frozen=True)
class ListIncidents:
    open_only: bool = False


@dataclass(frozen=True)
class Approve:
    draft_id: str
    version: int | None = None


@dataclass(frozen=True)
class Reject:
    draft_id: str
    reason: str


@dataclass(frozen=True)
class Timeline:
    incident: str


@dataclass(frozen=True)
class Note:
    incident: str
    text: str


@dataclass(frozen=True)
class EditIncident:
    """A new severity and/or title; ``commander`` for a handoff (``ME``: whoever typed it)."""

    incident: str
    severity: Severity | None = None
    title: str | None = None
    commander: str | None = None


#: ``handoff INC-1 me``: the person typing takes over.
ME = "me"

Command = (
    Help
    | Declare
    | Update
    | ShowStatus
    | ListIncidents
    | Approve
    | Reject
    | Timeline
    | Note
    | EditIncident
)


class UsageError(Exception):
    """The text is not a valid ``/incident`` command.

    Attributes:
        message: what was wrong, for the person who typed it.
        topic: the subcommand whose usage applies, or None for the general help.
    """

    def __init__(self, message: str, *, topic: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.topic = topic

    def render(self, command: str = "/incident") -> str:
        """The message followed by the right usage (or the list of subcommands)."""
        return f"{self.message}\n{help_text(command, self.topic)}"


# --- the registry --------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    name: str
    usage: str
    summary: str
    parse: Callable[[str], Command]
    examples: tuple[str, ...] = ()


SUBCOMMANDS: dict[str, Spec] = {}
_ALIASES = {"?": "help", "-h": "help", "--help": "help", "ls": "list", "show": "status"}


def subcommand(
    name: str, *, usage: str, summary: str, examples: tuple[str, ...] = ()
) -> Callable[[Callable[[str], Command]], Callable[[str], Command]]:
    """Register the parser of one subcommand; its usage and summary build the help text."""

    def register(func: Callable[[str], Command]) -> Callable[[str], Command]:
        SUBCOMMANDS[name] = Spec(name, usage, summary, func, examples)
        return func

    return register


def help_text(command: str = "/incident", topic: str | None = None) -> str:
    """The help of one subcommand, or the list of all of them."""
    spec = SUBCOMMANDS.get(topic or "")
    if spec is not None:
        lines = [f"Usage: `{command} {spec.usage}`", spec.summary]
        lines += [f"  e.g. `{command} {example}`" for example in spec.examples]
        return "\n".join(lines)
    lines = [f"`{command}` subcommands:"]
    lines += [f"• `{command} {s.usage}` — {s.summary}" for s in SUBCOMMANDS.values()]
    lines.append(f"`{command} help SUBCOMMAND` shows examples.")
    return "\n".join(lines)


def parse(text: str) -> Command:
    """Parse the text typed after the slash command.

    Raises:
        UsageError: the text is not a valid command; ``topic`` names the usage to show.
    """
    cleaned = unescape(text).strip()
    if not cleaned:
        return Help()
    head, rest = _split_word(cleaned)
    name = head.lower()
    name = _ALIASES.get(name, name)
    spec = SUBCOMMANDS.get(name)
    if spec is None:
        raise UsageError(f"unknown subcommand {_quote(head)}")
    try:
        return spec.parse(rest.strip())
    except UsageError as exc:
        exc.topic = exc.topic or name
        raise
    except InvalidInput as exc:
        raise UsageError(str(exc), topic=name) from None


def unescape(text: str) -> str:
    """Undo the escaping Slack applies to slash-command text (``&lt;`` ``&gt;`` ``&amp;``)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# --- pieces --------------------------------------------------------------------------------

_REF = re.compile(r"^(?:inc-?|#)?(\d{1,9})$", re.IGNORECASE)
_PUBLIC_ID = re.compile(r"^[a-z0-9]{12}$")
_DRAFT_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_VERSION = re.compile(r"^v?(\d{1,6})$", re.IGNORECASE)
_SEVERITY = re.compile(r"^sev-?([1-4])$", re.IGNORECASE)
_ANY_SEVERITY = re.compile(r"^sev-?\d+$", re.IGNORECASE)
_USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")

_STATUS_WORDS: dict[str, Status] = {s.value: s for s in Status} | {
    "monitoring": Status.FIXING,
    "resolved": Status.RECOVERED,
}


def _quote(text: str, limit: int = 40) -> str:
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return "'" + shown.replace("`", "'") + "'"


def _split_word(text: str) -> tuple[str, str]:
    parts = text.split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0], (parts[1] if len(parts) > 1 else "")


def incident_ref(word: str) -> str | None:
    """``INC-42``, ``inc42``, ``#42``, ``42`` → ``INC-42``; a 12-character id as is; else None."""
    match = _REF.match(word)
    if match:
        return f"INC-{int(match.group(1))}"
    if _PUBLIC_ID.match(word):
        return word
    return None


def _need_ref(word: str, what: str) -> str:
    ref = incident_ref(word)
    if ref is None:
        shown = _quote(word) if word else "nothing"
        raise UsageError(f"{what} needs an incident such as INC-42; got {shown}")
    return ref


def _split_components(text: str) -> tuple[str, list[str]]:
    """``TEXT | A, B=partial_outage`` → (``TEXT``, [``A``, ``B=partial_outage``])."""
    main, sep, tail = text.rpartition("|")
    if not sep:
        return text.strip(), []
    items = [item.strip() for item in re.split(r"[,\n]", tail) if item.strip()]
    if not items:
        raise UsageError(
            "nothing after '|'; list components as NAME or NAME=STATUS, comma-separated"
        )
    return main.strip(), items


def _severity(word: str) -> Severity | None:
    """``sev1``…``sev4`` → the severity; another word → None (it starts a title); ``sev5`` or
    ``sev0`` → refused rather than taken as the start of a title."""
    match = _SEVERITY.match(word)
    if match:
        return Severity(f"sev{match.group(1)}")
    if _ANY_SEVERITY.match(word):
        raise UsageError(f"unknown severity {_quote(word)}; write sev1, sev2, sev3 or sev4")
    return None


def _commander(word: str) -> str:
    """Who takes over: ``me``, a Slack mention (``<@U…>``, ``<@U…|name>``) or an actor id."""
    if word.lower() == ME:
        return ME
    match = _USER_MENTION.match(word)
    if match:
        return f"slack:{match.group(1)}"
    if word.startswith("@"):
        # Slack sends a typed @name as plain text: it does not say who that is.
        raise UsageError(
            f"{_quote(word)} does not say which member that is; write `me` to take the "
            "incident over, or their member ID as slack:U… (profile → ⋮ → Copy member ID)"
        )
    return word


# --- the subcommands, in the order the help lists them ------------------------------------


@subcommand(
    "declare",
    usage="declare [sev1-4] [TITLE] [| COMPONENT[=STATUS], …]",
    summary="open an incident (no title: a form); its acknowledgment is drafted for approval",
    examples=(
        "declare sev1 ChatGPT, API and Sora unavailable",
        "declare sev2 Slow logins | Login=degraded_performance",
        "declare",
    ),
)
def _declare(rest: str) -> Command:
    first, remainder = _split_word(rest)
    severity = _severity(first)
    title, items = _split_components(remainder if severity else rest)
    components: dict[str, ComponentStatus | None] = {}
    for item in items:
        if "=" in item:
            components.update(parse_component_changes([item]))
        else:
            components[item] = None
    if not title:
        if components:
            raise UsageError("components were given but no title; write the title before '|'")
        return Declare(severity=severity)
    return Declare(title=title, severity=severity, components=components)


@subcommand(
    "update",
    usage="update [INCIDENT] [STATUS [TEXT]] [| COMPONENT=STATUS, …]",
    summary=(
        "draft an update (no status: a form). STATUS: investigating, identified, fixing, "
        "recovered, progress (same status), postmortem, or reopen REASON"
    ),
    examples=(
        "update INC-1",
        "update INC-1 identified",
        "update INC-1 fixing A fix is rolling out | API=partial_outage",
        "update INC-1 recovered | ChatGPT=operational, API=operational",
        "update INC-1 reopen errors are back",
    ),
)
def _update(rest: str) -> Command:
    if not rest:
        return Update()
    first, remainder = _split_word(rest)
    ref = _need_ref(first, "update")
    if not remainder:
        return Update(incident=ref)
    word, text = _split_word(remainder)
    text, items = _split_components(text)
    changes = parse_component_changes(items) if items else {}
    kind = word.lower()
    body = text or None
    if kind == "progress":
        if body is None:
            raise UsageError("a progress update needs its text: update INC-1 progress TEXT")
        return Update(incident=ref, keep_status=True, body=body, components=changes)
    if kind == "postmortem":
        return Update(incident=ref, postmortem=True, body=body, components=changes)
    if kind == "reopen":
        if body is None:
            raise UsageError("reopening needs a reason: update INC-1 reopen REASON")
        return Update(incident=ref, status=Status.INVESTIGATING, reason=body, components=changes)
    status = _STATUS_WORDS.get(kind)
    if status is None:
        choices = ", ".join([*(s.value for s in Status), "progress", "postmortem", "reopen"])
        raise UsageError(f"unknown status {_quote(word)}; write one of: {choices}")
    return Update(incident=ref, status=status, body=body, components=changes)


@subcommand(
    "status",
    usage="status [INCIDENT]",
    summary="where an incident stands (no incident: every open one)",
    examples=("status INC-1", "status"),
)
def _status(rest: str) -> Command:
    if not rest:
        return ShowStatus()
    first, extra = _split_word(rest)
    if extra:
        raise UsageError(f"status takes one incident; unexpected {_quote(extra)}")
    return ShowStatus(incident=_need_ref(first, "status"))


@subcommand(
    "list",
    usage="list [open]",
    summary="recent incidents, newest first (open: only those not recovered)",
    examples=("list", "list open"),
)
def _list(rest: str) -> Command:
    word = rest.strip().lower()
    if word in ("", "all"):
        return ListIncidents()
    if word == "open":
        return ListIncidents(open_only=True)
    raise UsageError(f"list takes 'open' or nothing; got {_quote(rest)}")


@subcommand(
    "approve",
    usage="approve DRAFT [vN]",
    summary="approve a draft, which publishes it (not your own; vN: the version you read)",
    examples=("approve k2v9x0q7ab1c v2",),
)
def _approve(rest: str) -> Command:
    first, extra = _split_word(rest)
    if not first:
        raise UsageError("approve needs the draft's id")
    if not _DRAFT_ID.match(first):
        raise UsageError(f"{_quote(first)} is not a draft id")
    version = None
    if extra:
        match = _VERSION.match(extra.strip())
        if not match:
            raise UsageError(f"the version is written v2 or 2; got {_quote(extra)}")
        version = int(match.group(1))
    return Approve(draft_id=first, version=version)


@subcommand(
    "reject",
    usage="reject DRAFT REASON",
    summary="reject a draft, saying why (its author may withdraw it this way)",
    examples=("reject k2v9x0q7ab1c say when it started",),
)
def _reject(rest: str) -> Command:
    first, reason = _split_word(rest)
    if not first:
        raise UsageError("reject needs the draft's id and a reason")
    if not _DRAFT_ID.match(first):
        raise UsageError(f"{_quote(first)} is not a draft id")
    if not reason.strip():
        raise UsageError("reject needs a reason after the draft id")
    return Reject(draft_id=first, reason=reason.strip())


@subcommand(
    "timeline",
    usage="timeline INCIDENT",
    summary="everything that happened, for the postmortem",
    examples=("timeline INC-1",),
)
def _timeline(rest: str) -> Command:
    first, extra = _split_word(rest)
    if extra:
        raise UsageError(f"timeline takes one incident; unexpected {_quote(extra)}")
    return Timeline(incident=_need_ref(first, "timeline"))


@subcommand(
    "note",
    usage="note INCIDENT TEXT",
    summary="add an internal note to the timeline (never published)",
    examples=("note INC-1 DNS errors from kube-dns",),
)
def _note(rest: str) -> Command:
    first, text = _split_word(rest)
    ref = _need_ref(first, "note")
    if not text.strip():
        raise UsageError("note needs its text after the incident")
    return Note(incident=ref, text=text.strip())


@subcommand(
    "edit",
    usage="edit INCIDENT [sev1-4] [TITLE]",
    summary=(
        "change an incident's severity and/or title (the status page shows a new title with "
        "the next published update)"
    ),
    examples=(
        "edit INC-1 sev1",
        "edit INC-1 ChatGPT down in the EU",
        "edit INC-1 sev2 Slow logins",
    ),
)
def _edit(rest: str) -> Command:
    first, remainder = _split_word(rest)
    ref = _need_ref(first, "edit")
    word, after = _split_word(remainder)
    severity = _severity(word)
    title = (after if severity else remainder).strip()
    if severity is None and not title:
        raise UsageError("edit needs a new severity (sev1-4), a new title, or both")
    return EditIncident(incident=ref, severity=severity, title=title or None)


@subcommand(
    "handoff",
    usage="handoff INCIDENT me|slack:U…",
    summary="hand the incident over to a new commander (me: take it over yourself)",
    examples=("handoff INC-1 me", "handoff INC-1 slack:U024BE7LH"),
)
def _handoff(rest: str) -> Command:
    first, target = _split_word(rest)
    ref = _need_ref(first, "handoff")
    target = target.strip()
    if not target:
        raise UsageError("handoff needs who takes over: me, or slack:U…")
    if len(target.split()) > 1:
        raise UsageError(f"handoff takes one person; unexpected {_quote(target)}")
    return EditIncident(incident=ref, commander=_commander(target))


@subcommand("help", usage="help [SUBCOMMAND]", summary="this help, or one subcommand's examples")
def _help(rest: str) -> Command:
    word = _ALIASES.get(rest.strip().lower(), rest.strip().lower())
    if word and word not in SUBCOMMANDS:
        raise UsageError(f"no subcommand {_quote(rest.strip())}", topic="help")
    return Help(topic=word or None)

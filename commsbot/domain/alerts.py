"""Alertmanager notifications, and how one becomes an incident's title, components and note.

Pure: no I/O, no clock. Alertmanager treats a refusal (any 4xx) as final and never sends the
notification again, so nothing here refuses what a real Alertmanager sends: a value that cannot
be used as it is gets cleaned, shortened or replaced by a default, and every such change is
listed so the timeline says what was done.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from commsbot.domain.model import MAX_BODY, MAX_TITLE, Severity
from commsbot.domain.text import find_forbidden, is_invisible, sanitize_text

#: At most this many components on an incident opened from alerts (as through the API).
MAX_COMPONENTS = 50
#: A component name's longest form (the store's column and every surface allow 100).
MAX_COMPONENT_NAME = 100
#: Alerts listed one per line in the note; the rest are counted.
LISTED_ALERTS = 20
#: The longest label value or summary quoted in the note.
_QUOTED = 300
_ELLIPSIS = "…"
_SEVERITY_RANK = [Severity.SEV1, Severity.SEV2, Severity.SEV3, Severity.SEV4]


class AlertGroupState(StrEnum):
    """What the receiver last did with an alert group.

    ``claimed`` is never committed by this version (claim and bind share one transaction); a
    row in that state was left by an older version that died mid-way, and counts as unbound.
    """

    CLAIMED = "claimed"
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Alert:
    """One alert of a notification: ``status`` is ``firing`` or ``resolved``."""

    status: str
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    fingerprint: str = ""

    def key(self) -> str:
        """Alertmanager's fingerprint, or one made from the labels when it is missing.

        Always short, printable ASCII: it is stored and compared, never shown.
        """
        fingerprint = self.fingerprint
        if 0 < len(fingerprint) <= 64 and fingerprint.isascii() and fingerprint.isprintable():
            return fingerprint
        text = self.fingerprint or "\0".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass(frozen=True)
class AlertNotification:
    """One webhook notification of an alert group (Alertmanager's payload, version 4)."""

    group_key: str
    status: str
    alerts: tuple[Alert, ...]
    receiver: str = ""
    truncated_alerts: int = 0
    external_url: str = ""

    @property
    def firing(self) -> list[Alert]:
        return [a for a in self.alerts if a.status == "firing"]


@dataclass
class AlertGroup:
    """What the receiver did with one alert group (its ``group_key``), bound to an incident."""

    group_key: str
    state: AlertGroupState
    updated_at: datetime
    receiver: str = ""
    incident_id: str | None = None
    #: Fingerprints of the alerts firing at the last notification acted on, sorted.
    fingerprints: tuple[str, ...] = ()

    def bind(self, incident_id: str, fingerprints: Sequence[str], *, now: datetime) -> None:
        """The group now fires for ``incident_id`` with these alerts."""
        self.state = AlertGroupState.FIRING
        self.incident_id = incident_id
        self.fingerprints = tuple(fingerprints)
        self.updated_at = now

    def resolve(self, *, now: datetime) -> None:
        self.state = AlertGroupState.RESOLVED
        self.fingerprints = ()
        self.updated_at = now


# --- Text: what a label may hold, and what a title, a component name or a note may ---------


def scrub(text: str, *, lines: bool = False) -> str:
    """``text`` made storable and readable by the core's text rules, never refused.

    :func:`~commsbot.domain.text.sanitize_text` (NFC, LF line endings, stripped; control
    characters, noncharacters and unpaired surrogates dropped). Without ``lines``, every run of
    white space (line breaks included) becomes one space: a title or a name is one line.
    """
    cleaned = sanitize_text(text)
    return cleaned if lines else " ".join(cleaned.split())


def visible(text: str) -> bool:
    """Whether ``text`` has something a reader would see (not only spaces or invisible marks)."""
    return not all(is_invisible(ch) for ch in text)


def _one_line(text: str) -> str:
    # For the note: one line per alert, the author's spacing kept.
    return sanitize_text(text).replace("\n", " ").replace("\t", " ")


def _with_dropped_characters(notification: AlertNotification) -> int:
    """How many of the notification's texts hold characters :func:`scrub` drops (line endings
    aside): the note says so, since what it shows is not exactly what was sent."""
    texts = [notification.receiver, notification.external_url]
    for alert in notification.alerts:
        texts += [alert.status, *alert.labels.keys(), *alert.labels.values()]
        texts += [*alert.annotations.keys(), *alert.annotations.values()]
    return sum(find_forbidden(t.replace("\r", "")) is not None for t in texts)


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + _ELLIPSIS


def _quote(text: str) -> str:
    return shorten(_one_line(text), _QUOTED)


# --- Components, severity and title ---------------------------------------------------------


@dataclass(frozen=True)
class ComponentMapping:
    """The components a group of alerts names.

    Attributes:
        names: component names, in the order the alerts name them (catalogue spelling).
        ignored: label values that name no configured component (cleaned, shortened).
        adjustments: what was changed to make the names usable, for the timeline.
    """

    names: list[str]
    ignored: list[str]
    adjustments: list[str]


def map_components(
    alerts: Sequence[Alert],
    *,
    label: str,
    aliases: Mapping[str, str],
    catalogue: Sequence[str],
) -> ComponentMapping:
    """The components ``alerts`` name through their ``label``.

    Args:
        label: the label whose value names a component (``service``).
        aliases: label value → component name, for values that are not component names.
        catalogue: the configured components; empty when components are made on first use.
    """
    known = {name.casefold(): name for name in catalogue}
    found: dict[str, str] = {}
    ignored: dict[str, None] = {}
    adjustments: list[str] = []
    blank = 0
    for alert in alerts:
        raw = alert.labels.get(label, "")
        value = scrub(raw)
        if not visible(value):
            blank += 1 if raw else 0
            continue
        mapped = aliases.get(raw, aliases.get(value, value))
        name = scrub(mapped)
        if known:
            if name.casefold() in known:
                found.setdefault(name.casefold(), known[name.casefold()])
            else:
                ignored[shorten(value, MAX_COMPONENT_NAME)] = None
            continue
        # The store and the CLI's NAME=STATUS syntax allow neither '=' nor over 100 characters.
        usable = shorten(name.replace("=", "-"), MAX_COMPONENT_NAME)
        if usable != mapped and usable.casefold() not in found:
            adjustments.append(
                f"component name {usable!r} made from {shorten(mapped, 120)!r} "
                "(cleaned or shortened)"
            )
        found.setdefault(usable.casefold(), usable)
    if blank:
        adjustments.append(f"{blank} alert(s) had a {label!r} label with no visible text: ignored")
    names = list(found.values())
    if len(names) > MAX_COMPONENTS:
        adjustments.append(
            f"{len(names) - MAX_COMPONENTS} more component(s) named by the alerts were left off "
            f"(at most {MAX_COMPONENTS} per incident): " + ", ".join(names[MAX_COMPONENTS:])
        )
        names = names[:MAX_COMPONENTS]
    return ComponentMapping(names=names, ignored=list(ignored), adjustments=adjustments)


def pick_severity(
    alerts: Sequence[Alert],
    *,
    label: str,
    mapping: Mapping[str, Severity],
    default: Severity,
) -> tuple[Severity, list[str]]:
    """The most severe mapped severity among ``alerts`` (``default`` when none is mapped)."""
    found: list[Severity] = []
    unknown: dict[str, None] = {}
    for alert in alerts:
        value = alert.labels.get(label, "")
        key = scrub(value).lower()
        if key in mapping:
            found.append(mapping[key])
        elif key:
            unknown[_quote(value)] = None
    if found:
        return min(found, key=_SEVERITY_RANK.index), []
    if unknown:
        values = ", ".join(repr(v) for v in unknown)
        return default, [f"severity {values} is not mapped; used {default.value} (the default)"]
    return default, []


def _listed(names: Sequence[str]) -> str:
    if not names:
        return "some of our services"
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} and {names[-1]}"


def fit_title(
    template: str, names: Sequence[str], *, limit: int = MAX_TITLE
) -> tuple[str, list[str]]:
    """The public title for ``names``, at most ``limit`` characters, readable.

    Lists as many names as fit ("API, Web and 6 more"); a single name too long to fit is
    shortened with an ellipsis. Returns the title and what was changed, for the timeline.

    Example:
        >>> fit_title("{components} down", ["API", "Web", "Sora"], limit=16)
        ('API and 2 more down', ...)  # doctest: +SKIP
    """

    def render(listed: str) -> str:
        return scrub(template.format(components=listed))

    title = render(_listed(names))
    if len(title) <= limit:
        return title, []
    for shown in range(len(names) - 1, 0, -1):
        title = render(f"{', '.join(names[:shown])} and {len(names) - shown} more")
        if len(title) <= limit:
            return title, [
                f"title lists {shown} of {len(names)} components, to fit {limit} characters"
            ]
    # Even one name does not fit: shorten it, keeping as much of it as the limit allows.
    rest = f" and {len(names) - 1} more" if len(names) > 1 else ""
    first = names[0] if names else ""
    best: str | None = None
    low, high = 2, len(first) - 1
    while low <= high:
        middle = (low + high) // 2
        candidate = render(shorten(first, middle) + rest)
        if len(candidate) <= limit:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    if best is None:  # a template that leaves no room at all: cut the whole title
        best = shorten(render(_listed(names)), limit)
    return best, [f"title shortened to fit {limit} characters"]


# --- The note on the timeline -----------------------------------------------------------------


def describe(
    notification: AlertNotification,
    headline: str,
    *,
    ignored: Sequence[str] = (),
    adjustments: Sequence[str] = (),
) -> str:
    """The internal note: which alerts, their labels and summaries, and what was adjusted."""
    lines = [f"Alertmanager ({_quote(notification.receiver) or 'webhook'}): {headline}"]
    for alert in notification.alerts[:LISTED_ALERTS]:
        name = _quote(alert.labels.get("alertname", "")) or "alert"
        labels = " ".join(
            f"{_quote(k)}={_quote(v)}" for k, v in sorted(alert.labels.items()) if k != "alertname"
        )
        summary = _quote(
            alert.annotations.get("summary") or alert.annotations.get("description", "")
        )
        lines.append(
            f"- [{_quote(alert.status)}] {name} {labels}{': ' + summary if summary else ''}"
        )
    if len(notification.alerts) > LISTED_ALERTS:
        lines.append(f"- … and {len(notification.alerts) - LISTED_ALERTS} more")
    if notification.truncated_alerts:
        lines.append(f"({notification.truncated_alerts} alerts were left out by Alertmanager)")
    if ignored:
        lines.append(
            "Label values that name no configured component (ignored): " + ", ".join(ignored)
        )
    for adjustment in adjustments:
        lines.append(f"Adjusted: {_quote(adjustment)}")
    dropped = _with_dropped_characters(notification)
    if dropped:
        lines.append(
            f"Adjusted: control characters, noncharacters or unpaired surrogates were dropped "
            f"from {dropped} label or annotation value(s)"
        )
    if notification.external_url:
        lines.append(f"Alertmanager: {_quote(notification.external_url)}")
    return shorten("\n".join(lines), MAX_BODY)

"""Default wording for drafts, one Jinja2 file per status, overridable from a folder.

A team overrides a file by putting one of the same name (``investigating.md.j2``,
``identified.md.j2``, ``fixing.md.j2``, ``recovered.md.j2``, ``postmortem.md.j2``) in the folder
named by ``templates_dir``. Templates see ``title``, ``severity``, ``components`` (names),
``started_at``, ``resolved_at``, ``now`` and ``next_update_by``, and the filters ``human_list``,
``local_time`` ("3:16 PM PST") and ``local_date`` ("Dec 11").

``next_update_by | local_time`` writes the placeholder ``{next_update_by}``, not a time: the draft
fills it in from its own promised time whenever that changes and again at approval, so an edited
time changes the text (see :mod:`commsbot.domain.promise`).

Scheduled maintenance notices have their own files, overridable the same way:
``maintenance_announce``, ``_start``, ``_verify``, ``_resume``, ``_complete``, ``_extend`` and
``_cancel`` (``.md.j2``). They see ``title``, ``components`` and ``started``, and write
``{start}`` and ``{end}`` where the window's times go.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from commsbot.domain.errors import InvalidInput
from commsbot.domain.lifecycle import Status
from commsbot.domain.promise import NEXT_UPDATE, TimeFormat
from commsbot.domain.text import clean_text

if TYPE_CHECKING:
    import jinja2

TEMPLATE_NAMES = {status: f"{status.value}.md.j2" for status in Status}
POSTMORTEM_TEMPLATE = "postmortem.md.j2"
#: Scheduled maintenance notices, by the move they make (``maintenance_<kind>.md.j2``). They
#: write ``{start}`` and ``{end}`` where the window's times go (filled in when published).
MAINTENANCE_KINDS = ("announce", "start", "verify", "resume", "complete", "extend", "cancel")


def human_list(items: Sequence[str]) -> str:
    """``["ChatGPT", "API", "Sora"]`` → ``"ChatGPT, API and Sora"``."""
    names = list(items)
    if not names:
        return "some of our services"
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} and {names[-1]}"


def format_time(moment: datetime, zone: ZoneInfo) -> str:
    """``3:16 PM PST`` in ``zone``."""
    local = moment.astimezone(zone)
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'} {local.tzname()}"


def format_date(moment: datetime, zone: ZoneInfo) -> str:
    """``Dec 11`` in ``zone``."""
    local = moment.astimezone(zone)
    return f"{local:%b} {local.day}"


def format_promise(moment: datetime, zone: ZoneInfo, *, now: datetime) -> str:
    """A promised time as the public reads it on ``now``'s day: ``3:16 PM PST`` that day,
    ``Dec 11 3:16 PM PST`` on any other (a bare time would read as "today")."""
    if moment.astimezone(zone).date() == now.astimezone(zone).date():
        return format_time(moment, zone)
    return format_moment(moment, zone)


class _Promised(datetime):
    """The draft's promised time inside a template: ``local_time`` writes the placeholder."""


def format_moment(moment: datetime | None, zone: ZoneInfo) -> str:
    """``Dec 11 3:16 PM PST`` in ``zone``; ``—`` for no time at all."""
    if moment is None:
        return "—"
    return f"{format_date(moment, zone)} {format_time(moment, zone)}"


def _local_time(moment: datetime, zone: ZoneInfo) -> str:
    return NEXT_UPDATE if isinstance(moment, _Promised) else format_time(moment, zone)


class TemplateRenderer:
    """Renders the default text of a draft.

    Args:
        zone: the time zone times are shown in.
        folder: a folder whose templates replace the built-in ones of the same name.

    Example:
        >>> r = TemplateRenderer(zone=ZoneInfo("America/Los_Angeles"))
        >>> r.render(Status.INVESTIGATING, components=["API"], ...)  # doctest: +SKIP
    """

    def __init__(self, *, zone: ZoneInfo, folder: Path | None = None) -> None:
        if folder is not None and not folder.is_dir():
            raise InvalidInput(
                f"templates_dir {str(folder)!r} is not a folder; create it or remove the "
                "setting to use the built-in wording"
            )
        self._folder = folder
        self.zone = zone

    @cached_property
    def _env(self) -> jinja2.Environment:
        # Made when first needed: commands that only read never load Jinja2.
        import jinja2

        loaders: list[jinja2.BaseLoader] = []
        if self._folder is not None:
            loaders.append(jinja2.FileSystemLoader(self._folder))
        loaders.append(jinja2.PackageLoader("commsbot", "templates"))
        zone = self.zone
        # Plain text: the surfaces escape for themselves (Slack mrkdwn, HTML, …).
        env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=False,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["human_list"] = human_list
        env.filters["local_time"] = lambda m: _local_time(m, zone)
        env.filters["local_date"] = lambda m: format_date(m, zone)
        return env

    def show_time(self, moment: datetime) -> str:
        """``moment`` as a bare time ("3:46 PM PST"), in the team's zone."""
        return format_time(moment, self.zone)

    def promise_format(self, now: datetime) -> TimeFormat:
        """How drafts written at ``now`` state their promised time: "3:46 PM PST" the same
        day, "Dec 12 3:46 PM PST" on another (see :func:`format_promise`)."""
        return lambda moment: format_promise(moment, self.zone, now=now)

    def render(
        self,
        status: Status,
        *,
        title: str,
        severity: str,
        components: Sequence[str],
        started_at: datetime,
        now: datetime,
        next_update_by: datetime | None,
        resolved_at: datetime | None = None,
        postmortem: bool = False,
    ) -> str:
        """The default body of an update that sets ``status`` (or of the postmortem).

        ``next_update_by`` is the draft's promise; the text says ``{next_update_by}`` where the
        template shows it with ``local_time``.
        """
        name = POSTMORTEM_TEMPLATE if postmortem else TEMPLATE_NAMES[status]
        promised = (
            None
            if next_update_by is None
            else _Promised.combine(next_update_by.date(), next_update_by.timetz())
        )
        import jinja2

        try:
            text = self._env.get_template(name).render(
                title=title,
                severity=severity,
                components=list(components),
                started_at=started_at,
                resolved_at=resolved_at,
                now=now,
                next_update_by=promised,
            )
        except jinja2.TemplateError as exc:
            raise InvalidInput(f"template {name} cannot be rendered: {exc}") from exc
        return _tidy(text, name)

    def maintenance(
        self, kind: str, *, title: str, components: Sequence[str], started: bool = False
    ) -> str:
        """The default text of a maintenance notice of ``kind`` (see :data:`MAINTENANCE_KINDS`).

        Templates see ``title``, ``components`` (names) and ``started`` (the work has begun:
        an extension then moves only the end).
        """
        if kind not in MAINTENANCE_KINDS:
            raise InvalidInput(f"there is no default text for a {kind} notice; write one")
        name = f"maintenance_{kind}.md.j2"
        try:
            text = self._env.get_template(name).render(
                title=title, components=list(components), started=started
            )
        except jinja2.TemplateError as exc:
            raise InvalidInput(f"template {name} cannot be rendered: {exc}") from exc
        return _tidy(text, name)


def _tidy(text: str, name: str) -> str:
    # Tidy the spaces Jinja leaves around tags, but keep the author's paragraphs.
    tidy = "\n".join(" ".join(line.split()) for line in text.strip().splitlines())
    # A template in templates_dir is user text too (the built-in ones pass unchanged).
    return clean_text(tidy, what=f"text of template {name}", limit=1_000_000)


#: What a trial render gives each template (:func:`check_templates`): one incident with named
#: components and a promise, one with neither, as drafts meet them.
_TRIAL_START = datetime(2024, 12, 11, 23, 16, tzinfo=ZoneInfo("UTC"))
_TRIALS: tuple[dict[str, Any], ...] = (
    {
        "components": ["API", "Web"],
        "next_update_by": _TRIAL_START + timedelta(minutes=30),
        "resolved_at": _TRIAL_START + timedelta(hours=2),
    },
    {"components": [], "next_update_by": None, "resolved_at": None},
)


def check_templates(folder: Path) -> list[str]:
    """What is wrong with the templates in ``folder``, each as one sentence; empty when every
    template renders (compiled, and rendered with sample values: an unknown filter or variable
    shows only then).

    ``config check`` and start-up ask this, so a broken template is a configuration problem
    found before an outage, not a refusal of the first declaration.
    """
    renderer = TemplateRenderer(zone=ZoneInfo("UTC"), folder=folder)
    problems: list[str] = []
    for status, name in [*TEMPLATE_NAMES.items(), (Status.RECOVERED, POSTMORTEM_TEMPLATE)]:
        if not (folder / name).is_file():
            continue
        for trial in _TRIALS:
            try:
                renderer.render(
                    status,
                    title="Sample incident",
                    severity="sev1",
                    started_at=_TRIAL_START,
                    now=_TRIAL_START + timedelta(hours=3),
                    postmortem=name == POSTMORTEM_TEMPLATE,
                    **trial,
                )
            except InvalidInput as exc:
                problems.append(f"{folder / name}: {str(exc).rstrip('.')}")
                break
    return problems

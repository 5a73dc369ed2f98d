"""Postmortems and reports as files: rendered whole in memory, then put in place by renames.

``commsbot postmortem``, ``commsbot report`` and ``commsbot demo`` write through here. A
document is never half-written: every file is written to a temporary file beside its target
first, and only when all of them are written are they renamed into place (a rename within a
folder replaces a file whole). A target that exists and is not a regular file is refused
before anything is written.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from commsbot.domain.errors import InvalidInput
from commsbot.postmortem import (
    PostmortemFacts,
    PostmortemTemplateError,
    Report,
    check_template,
    compute,
    incident_chart,
    render_html,
    render_markdown,
    render_report_html,
    render_report_markdown,
    render_with_template,
    report_charts,
)
from commsbot.postmortem.report_chart import ReportCharts
from commsbot.settings import ConfigError


class NotWritten(InvalidInput):
    """The documents could not be written where asked; nothing there was changed."""


@dataclass(frozen=True)
class TemplateFile:
    """A team's template, read from a file.

    Attributes:
        setting: the ``[postmortem]`` key it was configured under, or None when it was given
            on the command line. An error in a configured template is a configuration
            problem (``ConfigError``); in one given on the command line, bad input.
    """

    path: Path
    text: str
    setting: str | None = None

    @classmethod
    def read(cls, path: Path, *, setting: str | None = None) -> TemplateFile:
        """Read ``path`` (UTF-8).

        Raises:
            ConfigError: a configured template cannot be read.
            InvalidInput: a template named on the command line cannot be read (field
                ``template``).
        """
        try:
            return cls(path=path, text=path.read_text(encoding="utf-8"), setting=setting)
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            message = f"cannot read the template {path}: {reason}; give a UTF-8 Jinja2 file"
            if setting is not None:
                raise ConfigError(f"[postmortem] {setting} = {str(path)!r}: {message}") from None
            raise InvalidInput(message, field="template") from None

    def check(self) -> None:
        """Compile it (syntax only: unknown names show when it renders).

        Raises:
            PostmortemTemplateError, ConfigError: as :meth:`render`.
        """
        try:
            check_template(self.text, html=self.setting == "html_template", name=str(self.path))
        except PostmortemTemplateError as exc:
            raise self._config_error(exc) from None

    def _config_error(self, exc: PostmortemTemplateError) -> Exception:
        if self.setting is None:
            return exc
        where = f", line {exc.line}" if exc.line is not None else ""
        return ConfigError(
            f"[postmortem] {self.setting} = {str(self.path)!r}{where}: {exc.detail}; fix "
            "the template or remove the setting"
        )

    def render(
        self,
        facts: PostmortemFacts,
        *,
        zone: ZoneInfo,
        html: bool,
        chart_path: str | None = None,
    ) -> str:
        try:
            return render_with_template(
                self.text,
                facts,
                zone=zone,
                html=html,
                chart_path=chart_path,
                name=str(self.path),
            )
        except PostmortemTemplateError as exc:
            raise self._config_error(exc) from None


@dataclass(frozen=True)
class PostmortemFiles:
    """Where each document of one postmortem was written (None: not asked for)."""

    markdown: Path | None
    html: Path | None
    chart: Path | None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "markdown": str(self.markdown) if self.markdown else None,
            "html": str(self.html) if self.html else None,
            "chart": str(self.chart) if self.chart else None,
        }


def postmortem_names(ref: str) -> tuple[str, str, str]:
    """The file names of an incident's Markdown, HTML and chart: ``INC-1-postmortem.md`` …"""
    stem = f"{ref}-postmortem"
    return f"{stem}.md", f"{stem}.html", f"{stem}.svg"


def write_postmortem(
    facts: PostmortemFacts,
    *,
    directory: Path,
    zone: ZoneInfo,
    markdown: bool = True,
    html: bool = True,
    markdown_template: TemplateFile | None = None,
    html_template: TemplateFile | None = None,
) -> PostmortemFiles:
    """Render one postmortem and write it into ``directory`` (made if missing).

    The Markdown comes with its chart as an SVG file beside it (the Markdown shows it as an
    image); the HTML page has the chart inline.

    Raises:
        PostmortemTemplateError: a template given on the command line has an error (its line).
        ConfigError: a configured template has an error (its line).
        NotWritten: ``directory`` cannot be written; nothing was changed.
    """
    figures = compute(facts)
    md_name, html_name, chart_name = postmortem_names(facts.incident.ref)
    files: dict[str, str] = {}
    if markdown:
        files[chart_name] = incident_chart(facts, zone=zone, figures=figures)
        files[md_name] = (
            markdown_template.render(facts, zone=zone, html=False, chart_path=chart_name)
            if markdown_template
            else render_markdown(facts, zone=zone, figures=figures, chart_path=chart_name)
        )
    if html:
        files[html_name] = (
            html_template.render(facts, zone=zone, html=True)
            if html_template
            else render_html(facts, zone=zone, figures=figures)
        )
    written = write_files(directory, files)
    return PostmortemFiles(
        markdown=written.get(md_name),
        html=written.get(html_name),
        chart=written.get(chart_name),
    )


def write_report(
    report: Report,
    *,
    zone: ZoneInfo,
    since: datetime | None = None,
    html: Path | None = None,
    markdown: Path | None = None,
) -> dict[str, Path]:
    """Write the report as one HTML page (charts inline) and/or Markdown with its three charts
    as SVG files beside it (``<name>-time-to-first-update.svg`` …).

    Returns:
        What was written: ``html``, ``markdown`` and each chart's name → its path.

    Raises:
        NotWritten: a file cannot be written; none of them was.
    """
    charts = report_charts(report)
    by_folder: dict[Path, dict[str, str]] = {}
    keys: dict[str, tuple[Path, str]] = {}
    if html is not None:
        page = render_report_html(report, zone=zone, charts=charts, since=since)
        by_folder.setdefault(html.parent, {})[html.name] = page
        keys["html"] = (html.parent, html.name)
    if markdown is not None:
        stem = markdown.name.removesuffix(".md")
        names = ReportCharts(
            time_to_first_update=f"{stem}-time-to-first-update.svg",
            promise_adherence=f"{stem}-promise-adherence.svg",
            mttr_by_severity=f"{stem}-time-to-recover.svg",
        )
        md_files = by_folder.setdefault(markdown.parent, {})
        md_files[markdown.name] = render_report_markdown(
            report, zone=zone, chart_paths=names, since=since
        )
        for key in ("time_to_first_update", "promise_adherence", "mttr_by_severity"):
            md_files[getattr(names, key)] = getattr(charts, key)
            keys[key] = (markdown.parent, getattr(names, key))
        keys["markdown"] = (markdown.parent, markdown.name)
    written: dict[Path, dict[str, Path]] = {}
    fields = {
        html.parent if html else None: "html",
        markdown.parent if markdown else None: "markdown",
    }
    staged: list[dict[str, Path]] = []
    try:
        for folder, files in by_folder.items():
            staged.append(_stage(folder, files, fields[folder]))
    except NotWritten:
        for temps in staged:
            _discard(temps)
        raise
    for folder, temps in zip(by_folder, staged, strict=True):
        written[folder] = _commit(folder, temps, fields[folder])
    return {key: written[folder][name] for key, (folder, name) in keys.items()}


def write_files(
    directory: Path, files: Mapping[str, str], *, field: str = "out"
) -> dict[str, Path]:
    """Write ``files`` (name → text) into ``directory`` together, or none of them.

    Raises:
        NotWritten: the folder cannot be made or written, or a target is not a regular file;
            nothing was changed (temporary files are removed).
    """
    return _commit(directory, _stage(directory, files, field), field)


def _stage(directory: Path, files: Mapping[str, str], field: str) -> dict[str, Path]:
    """Each file written to a temporary file beside its target; name → temporary path."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _refusal(directory, exc, field) from None
    for name in files:
        target = directory / name
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise NotWritten(
                f"cannot write {target}: it exists and is not a regular file; move it away or "
                "write somewhere else",
                field=field,
            )
    temps: dict[str, Path] = {}
    try:
        for name, text in files.items():
            handle, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
            temps[name] = Path(temp)
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
                out.write(text)
            os.chmod(temp, 0o644)  # mkstemp makes it 0600; the team shares documents
    except OSError as exc:
        _discard(temps)
        raise _refusal(directory, exc, field) from None
    return temps


def _commit(directory: Path, temps: Mapping[str, Path], field: str) -> dict[str, Path]:
    written: dict[str, Path] = {}
    try:
        for name, temp in temps.items():
            target = directory / name
            os.replace(temp, target)
            written[name] = target.resolve()
    except OSError as exc:
        _discard({n: t for n, t in temps.items() if n not in written})
        raise _refusal(directory, exc, field) from None
    return written


def _discard(temps: Mapping[str, Path]) -> None:
    for temp in temps.values():
        with contextlib.suppress(OSError):
            temp.unlink()


def _refusal(directory: Path, exc: OSError, field: str) -> NotWritten:
    reason = exc.strerror or type(exc).__name__
    return NotWritten(
        f"cannot write to {directory}: {reason}; choose a folder you can write to "
        f"(--{field.replace('_', '-')})",
        field=field,
    )

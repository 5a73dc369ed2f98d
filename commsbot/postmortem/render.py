"""The postmortem document, in Markdown and HTML, from Jinja2 templates a team may replace.

The built-in templates live in ``commsbot/postmortem/templates``; a team's own template is
rendered by :func:`render_with_template` with exactly the same context:

- ``doc``: a :class:`~commsbot.postmortem.document.Doc` (formatted rows; ``doc.facts`` and
  ``doc.figures`` hold the raw values),
- ``chart_svg``: the chart, inline SVG markup (HTML templates; empty in Markdown ones),
- ``chart_path``: where the caller wrote the chart beside the document, or None;

and the filters ``cell`` (a Markdown table cell: escapes ``|``, line breaks, Markdown and HTML),
``line`` (the same on one line, for headings), ``duration`` (a timedelta in words) and
``local`` (a datetime in the team's zone, ``zone``, also in the context). Templates run
sandboxed, with undefined names an error, so a mistake is reported
(:class:`PostmortemTemplateError`, with its line) rather than printed as an empty string.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache, lru_cache
from importlib import resources
from types import TracebackType
from typing import Literal
from zoneinfo import ZoneInfo

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from commsbot.domain.errors import InvalidInput
from commsbot.postmortem.chart import incident_chart
from commsbot.postmortem.compute import compute
from commsbot.postmortem.document import build
from commsbot.postmortem.figures import Figures
from commsbot.postmortem.model import PostmortemFacts
from commsbot.postmortem.report import Report
from commsbot.postmortem.report_chart import ReportCharts, report_charts
from commsbot.postmortem.text import duration, md_cell, md_line, when, xml_safe

Kind = Literal["markdown", "html", "report-markdown", "report-html"]
TEMPLATE_FILES: dict[Kind, str] = {
    "markdown": "postmortem.md.j2",
    "html": "postmortem.html.j2",
    "report-markdown": "report.md.j2",
    "report-html": "report.html.j2",
}
_SOURCE = "<template>"


class PostmortemTemplateError(InvalidInput):
    """A postmortem template that cannot be compiled or rendered.

    Attributes:
        line: the template's line the error is on (1-based), when known.
        name: the template's name (a file name, or ``<template>``).
    """

    code = "template_error"

    def __init__(self, message: str, *, line: int | None, name: str) -> None:
        where = f"{name}, line {line}" if line is not None else name
        super().__init__(f"postmortem template error in {where}: {message}")
        self.line = line
        self.name = name
        self.detail = message


@cache
def default_template(kind: Kind) -> str:
    """The text of a built-in template: a starting point for a team's own."""
    file = resources.files("commsbot.postmortem") / "templates" / TEMPLATE_FILES[kind]
    return file.read_text(encoding="utf-8")


def render_markdown(
    facts: PostmortemFacts,
    *,
    zone: ZoneInfo,
    figures: Figures | None = None,
    chart_path: str | None = None,
) -> str:
    """The postmortem in GitHub-flavoured Markdown.

    Args:
        zone: the team's time zone; every time is written in it.
        chart_path: the chart's file, relative to the document, to show as an image (the
            caller writes ``incident_chart(...)`` there); None leaves the image out.
    """
    return render_with_template(
        default_template("markdown"), facts, zone=zone, figures=figures, chart_path=chart_path
    )


def render_html(
    facts: PostmortemFacts,
    *,
    zone: ZoneInfo,
    figures: Figures | None = None,
) -> str:
    """The postmortem as one standalone HTML page, the chart inline (no script, no link)."""
    return render_with_template(
        default_template("html"), facts, zone=zone, figures=figures, html=True
    )


def render_with_template(
    template_text: str,
    facts: PostmortemFacts,
    *,
    zone: ZoneInfo,
    html: bool = False,
    figures: Figures | None = None,
    chart_path: str | None = None,
    name: str = _SOURCE,
) -> str:
    """Render ``template_text`` (a team's own template) with the postmortem's context.

    Args:
        html: autoescape (an HTML template); the chart is then available as ``chart_svg``.
        name: what error messages call the template (its file name).

    Raises:
        PostmortemTemplateError: the template does not compile, or fails while rendering
            (an unknown name, a bad filter, an unsafe attribute …); says what and on which line.
    """
    figs = figures or compute(facts)
    try:
        template = _compile(template_text, html)
    except jinja2.TemplateSyntaxError as exc:
        raise PostmortemTemplateError(exc.message or str(exc), line=exc.lineno, name=name) from None
    context = {
        "doc": build(facts, figs, zone),
        "chart_svg": Markup(incident_chart(facts, zone=zone, figures=figs)) if html else "",
        "chart_path": chart_path,
        "zone": zone,
    }
    try:
        return template.render(context)
    except jinja2.TemplateError as exc:
        line = _template_line(exc.__traceback__)
        raise PostmortemTemplateError(_describe(exc), line=line, name=name) from None
    except (TypeError, ValueError, KeyError, AttributeError, ArithmeticError) as exc:
        line = _template_line(exc.__traceback__)
        raise PostmortemTemplateError(
            f"{type(exc).__name__}: {exc}", line=line, name=name
        ) from None


def check_template(template_text: str, *, html: bool = False, name: str = _SOURCE) -> None:
    """Compile a team's template without rendering it (``commsbot config check``).

    Raises:
        PostmortemTemplateError: its syntax is wrong; says what and on which line. Names it
            does not know are found only when it is rendered.
    """
    try:
        _compile(template_text, html)
    except jinja2.TemplateSyntaxError as exc:
        raise PostmortemTemplateError(exc.message or str(exc), line=exc.lineno, name=name) from None


def render_report_markdown(
    report: Report,
    *,
    zone: ZoneInfo,
    chart_paths: ReportCharts | None = None,
    since: datetime | None = None,
) -> str:
    """The over-time report in GitHub-flavoured Markdown.

    Args:
        chart_paths: where the caller wrote the three charts (``report_charts``), relative to
            the document, to show as images; None leaves them out.
        since: the start the report was asked for, to say so (None: not said).
    """
    template = _compile(default_template("report-markdown"), False)
    return template.render(report=report, zone=zone, charts_path=chart_paths, since=since)


def render_report_html(
    report: Report,
    *,
    zone: ZoneInfo,
    charts: ReportCharts | None = None,
    since: datetime | None = None,
) -> str:
    """The over-time report as one standalone HTML page, its charts inline."""
    made = charts or report_charts(report)
    inline = ReportCharts(
        time_to_first_update=Markup(made.time_to_first_update),
        promise_adherence=Markup(made.promise_adherence),
        mttr_by_severity=Markup(made.mttr_by_severity),
    )
    template = _compile(default_template("report-html"), True)
    return template.render(report=report, zone=zone, charts=inline, since=since)


def _describe(exc: jinja2.TemplateError) -> str:
    if isinstance(exc, jinja2.UndefinedError):
        return f"{exc.message}; see the names a template can use in commsbot/postmortem/document.py"
    return exc.message or type(exc).__name__


def _template_line(tb: TracebackType | None) -> int | None:
    # Jinja2 rewrites tracebacks so that template frames carry the template's line numbers.
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _SOURCE:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


@lru_cache(maxsize=32)
def _compile(text: str, html: bool) -> jinja2.Template:
    # Compiling is most of the cost of rendering one document; a template's text is its key.
    return _environment(html).from_string(text)


@cache
def _environment(html: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.filters["cell"] = md_cell
    env.filters["line"] = md_line
    env.filters["duration"] = duration
    env.filters["safe_text"] = xml_safe
    env.filters["local"] = _local
    env.filters["rate"] = _rate
    return env


def _finalize(value: object) -> object:
    # Stored text may hold characters no HTML or XML page may contain; printed, they become
    # U+FFFD in every template (the chart, already clean, is markup and passes as it is).
    if isinstance(value, str) and not isinstance(value, Markup):
        return xml_safe(value)
    return value


@jinja2.pass_context
def _local(context: jinja2.runtime.Context, moment: datetime | None) -> str:
    zone = context.get("zone")
    if not isinstance(zone, ZoneInfo):
        raise TypeError("the local filter needs a ZoneInfo named zone in the template context")
    return when(moment, zone)


def _rate(share: float | None) -> str:
    return "—" if share is None else f"{round(100 * share)}%"

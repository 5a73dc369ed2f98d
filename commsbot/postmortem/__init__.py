"""Postmortems and comms analytics, computed from what the timeline already holds.

Pure: no I/O, no clock, no SQL. A use case reads one incident into
:class:`~commsbot.postmortem.model.PostmortemFacts`; from there :func:`compute` gives the
figures, :func:`render_markdown` / :func:`render_html` / :func:`render_with_template` the
document, :func:`incident_chart` its SVG, :func:`to_json` the data, and over many incidents
:func:`build_report` the team's figures by severity and month.
"""

from typing import TYPE_CHECKING, Any

from commsbot.postmortem.chart import incident_chart
from commsbot.postmortem.compute import compute
from commsbot.postmortem.data import report_to_json, to_json
from commsbot.postmortem.figures import Figures
from commsbot.postmortem.model import (
    DeliveryOutcome,
    DeliveryResult,
    FollowUp,
    FollowUpState,
    IncidentFacts,
    PostmortemFacts,
    PublishedUpdate,
    RcaDue,
)
from commsbot.postmortem.report import Distribution, Group, Report, build_report
from commsbot.postmortem.report_chart import ReportCharts, report_charts

if TYPE_CHECKING:
    from commsbot.postmortem.render import (
        PostmortemTemplateError,
        check_template,
        default_template,
        render_html,
        render_markdown,
        render_report_html,
        render_report_markdown,
        render_with_template,
    )

#: Imported on first use: rendering needs Jinja2, which the CLI's read-only commands (and
#: settings, which imports postmortem.config) have no use for.
_RENDER = frozenset(
    {
        "PostmortemTemplateError",
        "check_template",
        "default_template",
        "render_html",
        "render_markdown",
        "render_report_html",
        "render_report_markdown",
        "render_with_template",
    }
)


def __getattr__(name: str) -> Any:
    if name in _RENDER:
        from commsbot.postmortem import render

        return getattr(render, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DeliveryOutcome",
    "DeliveryResult",
    "Distribution",
    "Figures",
    "FollowUp",
    "FollowUpState",
    "Group",
    "IncidentFacts",
    "PostmortemFacts",
    "PostmortemTemplateError",
    "PublishedUpdate",
    "RcaDue",
    "Report",
    "ReportCharts",
    "build_report",
    "check_template",
    "compute",
    "default_template",
    "incident_chart",
    "render_html",
    "render_markdown",
    "render_report_html",
    "render_report_markdown",
    "render_with_template",
    "report_charts",
    "report_to_json",
    "to_json",
]

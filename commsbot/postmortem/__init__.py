"""Postmortems and comms analytics, computed from what the timeline already holds.

Pure: no I/O, no clock, no SQL. A use case reads one incident into
:class:`~commsbot.postmortem.model.PostmortemFacts`; from there :func:`compute` gives the
figures, :func:`render_markdown` / :func:`render_html` / :func:`render_with_template` the
document, :func:`incident_chart` its SVG, :func:`to_json` the data, and over many incidents
:func:`build_report` the team's figures by severity and month.
"""

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
from commsbot.postmortem.report import Distribution, Group, Report, build_report
from commsbot.postmortem.report_chart import ReportCharts, report_charts

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

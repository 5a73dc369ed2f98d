"""``commsbot postmortem INCIDENT`` and ``commsbot report``: the documents and the team's figures.

Imports only Typer at load time (``commsbot --help`` stays fast).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from commsbot.cli.support import JsonOpt, run_command

if TYPE_CHECKING:
    from commsbot.bootstrap import App
    from commsbot.engines.documents import PostmortemFiles, TemplateFile
    from commsbot.postmortem import PostmortemFacts
    from commsbot.services.postmortems import TeamReport


class Format(StrEnum):
    MD = "md"
    HTML = "html"
    BOTH = "both"


class _Written:
    """One postmortem written: its facts (for ``--json``) and its files."""

    def __init__(self, facts: PostmortemFacts, files: PostmortemFiles) -> None:
        self.facts = facts
        self.files = files

    def as_dict(self) -> dict[str, Any]:
        from commsbot.postmortem import to_json

        return {"postmortem": to_json(self.facts), "files": self.files.as_dict()}


def postmortem(
    incident: Annotated[
        str, typer.Argument(metavar="INCIDENT", help="INC-42, 42 or the incident id.")
    ],
    out: Annotated[
        Path, typer.Option("--out", metavar="DIR", help="Folder to write into (made if missing).")
    ] = Path("."),
    doc_format: Annotated[
        Format, typer.Option("--format", help="md (with the chart as SVG), html, or both.")
    ] = Format.BOTH,
    template: Annotated[
        Path | None,
        typer.Option(
            "--template",
            metavar="FILE",
            help="A Jinja2 template for the Markdown (default: [postmortem] template, else "
            "the built-in one).",
        ),
    ] = None,
    html_template: Annotated[
        Path | None,
        typer.Option(
            "--html-template",
            metavar="FILE",
            help="The same for the HTML (default: [postmortem] html_template).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the incident's postmortem: Markdown with its chart (SVG) and a standalone HTML page.

    Files are named after the incident (INC-1-postmortem.md, .svg, .html) and replaced whole.
    An incident still open gets a draft, marked as one, with its figures so far.
    """

    def action(wired: App) -> _Written:
        from commsbot.engines.documents import write_postmortem
        from commsbot.services.postmortems import load_postmortem

        facts = load_postmortem(wired.deps, incident_ref=incident)
        cfg = wired.settings.postmortem
        files = write_postmortem(
            facts,
            directory=out,
            zone=wired.settings.zone,
            markdown=doc_format is not Format.HTML,
            html=doc_format is not Format.MD,
            markdown_template=_template(template, cfg.template, "template"),
            html_template=_template(html_template, cfg.html_template, "html_template"),
        )
        return _Written(facts, files)

    def human(result: _Written, wired: App) -> str:
        inc = result.facts.incident
        what = (
            f"Draft postmortem of {inc.ref} (still {inc.status.value}: its figures run to now; "
            "write it again after recovery)"
            if inc.open
            else f"Postmortem of {inc.ref}"
        )
        files = result.files
        paths = [p for p in (files.markdown, files.chart, files.html) if p is not None]
        return "\n".join([f"{what} written:", *(f"  {p}" for p in paths)])

    run_command(as_json, action, human)


def _template(given: Path | None, configured: Path | None, setting: str) -> TemplateFile | None:
    from commsbot.engines.documents import TemplateFile

    if given is not None:
        return TemplateFile.read(given)
    if configured is not None:
        return TemplateFile.read(configured, setting=setting)
    return None


class _Reported:
    def __init__(self, found: TeamReport, files: dict[str, Path]) -> None:
        self.found = found
        self.files = files

    def as_dict(self) -> dict[str, Any]:
        return {
            "report": self.found.as_dict(),
            "files": {key: str(path) for key, path in self.files.items()},
        }


def report(
    since: Annotated[
        str,
        typer.Option(
            metavar="WHEN",
            help="Incidents declared since: 90d, 12w, 48h, a date (2024-10-01), an ISO time, "
            "or all.",
        ),
    ] = "90d",
    html: Annotated[
        Path | None,
        typer.Option("--html", metavar="FILE", help="Write the report as HTML, charts inline."),
    ] = None,
    markdown: Annotated[
        Path | None,
        typer.Option(
            "--markdown", metavar="FILE", help="Write it as Markdown, its charts as SVG beside."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The team's communication figures by severity and month: time to the first public
    update, approval latency, promises kept, time to recover, RCAs on time.

    Without --html or --markdown the Markdown report is printed.
    """

    def action(wired: App) -> _Reported:
        from commsbot.engines.documents import write_report
        from commsbot.services.postmortems import team_report

        found = team_report(wired.deps, since=since)
        files: dict[str, Path] = {}
        if html is not None or markdown is not None:
            files = write_report(
                found.report, zone=wired.settings.zone, html=html, markdown=markdown
            )
        return _Reported(found, files)

    def human(result: _Reported, wired: App) -> str:
        from commsbot.postmortem import render_report_markdown

        if not result.files:
            found = result.found
            text = render_report_markdown(found.report, zone=wired.settings.zone, since=found.since)
            return text.rstrip()
        total = result.found.report.total.incidents
        lines = [f"Report on {total} incident{'s' if total != 1 else ''} written:"]
        lines += [f"  {path}" for path in result.files.values()]
        return "\n".join(lines)

    run_command(as_json, action, human)

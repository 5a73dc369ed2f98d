"""``commsbot postmortem`` and ``commsbot report``, in process, on a database the 11 December
story was written into through the real use cases: the files they write read back field by
field, and every bad input refused with nothing half-written."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from commsbot.cli.main import app
from commsbot.domain.model import Severity
from commsbot.services.incidents import declare
from tests.postmortem.parse import SVG, check_html, md_table, unescape_cell
from tests.postmortem.seed import BODIES, MAYA, NOTE, PRODUCTS, pst, seed_dec11, wire

CONFIG = 'timezone = "America/Los_Angeles"\n'


@dataclass
class Env:
    folder: Path
    env: dict[str, str]

    def run(self, *args: str) -> Any:
        return CliRunner().invoke(app, list(args), env=self.env, catch_exceptions=False)

    def config(self, text: str) -> None:
        (self.folder / "commsbot.toml").write_text(CONFIG + text, encoding="utf-8")


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'story.db'}"
    app_, clock = wire(url)
    seed_dec11(app_, clock)
    clock.current = pst(16, 0, day=13)
    declare(app_.deps, title="Checkout failing", severity=Severity.SEV2,
            components={"API": None}, actor=MAYA)  # fmt: skip
    return url


@pytest.fixture
def cli(seeded_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    monkeypatch.chdir(tmp_path)  # no stray .env or commsbot.toml from where pytest runs
    env = Env(tmp_path, {"COMMSBOT_DATABASE_URL": seeded_db, "COMMSBOT_CONFIG": "commsbot.toml"})
    env.config("")
    return env


def rows_of(markdown: str, section: str) -> list[dict[str, str]]:
    table = md_table(markdown, section)
    return [
        dict(zip(table.header, (unescape_cell(c) for c in row), strict=True)) for row in table.rows
    ]


def test_postmortem_writes_markdown_chart_and_html_named_after_the_incident(cli: Env) -> None:
    result = cli.run("postmortem", "INC-1", "--out", "docs")

    assert result.exit_code == 0, result.output
    docs = (cli.folder / "docs").resolve()
    names = sorted(p.name for p in docs.iterdir())
    assert names == ["INC-1-postmortem.html", "INC-1-postmortem.md", "INC-1-postmortem.svg"]
    assert result.output.splitlines() == [
        "Postmortem of INC-1 written:",
        f"  {docs / 'INC-1-postmortem.md'}",
        f"  {docs / 'INC-1-postmortem.svg'}",
        f"  {docs / 'INC-1-postmortem.html'}",
    ]
    md = (docs / "INC-1-postmortem.md").read_text(encoding="utf-8")
    assert md.startswith("# Postmortem: INC-1 — ChatGPT, API and Sora unavailable\n")
    assert "DRAFT" not in md
    assert "](INC-1-postmortem.svg)" in md
    summary = {r["Field"]: r["Value"] for r in rows_of(md, "Summary")}
    assert summary == {
        "Severity": "SEV1",
        "Status": "Recovered",
        "Incident commander": "maya",
        "Declared": "3:16 PM PST",
        "Recovered": "7:38 PM PST",
        "Duration": "4 h 22 min",
        "Components (worst impact)": "ChatGPT: major outage, API: major outage, Sora: major outage",
    }
    updates = rows_of(md, "Timeline of public updates")
    assert [(r["#"], r["Time"], r["Status"], r["Author(s)"], r["Approver"]) for r in updates] == [
        ("1", "3:19 PM PST", "Investigating", "maya", "sam"),
        ("2", "3:57 PM PST", "Identified", "maya, lee", "maya"),
        ("3", "5:43 PM PST", "Fixing", "maya", "sam"),
        ("4", "7:38 PM PST", "Recovered", "maya", "sam"),
        ("5", "Dec 13, 10:05 AM PST", "Root-cause analysis", "lee", "maya"),
    ]
    assert updates[0]["Update"] == BODIES["1c"] + " (corrected 4:05 PM PST)"
    assert updates[3]["Update"] == BODIES[4]
    assert [r["Approval took"] for r in updates] == [
        "3 min",
        "5 min",
        "3 min",
        "2 min",
        "1 h 5 min",
    ]
    assert [r["Next update promised by"] for r in updates] == [
        "3:46 PM PST", "4:25 PM PST", "7:45 PM PST", "—", "—",
    ]  # fmt: skip
    log = rows_of(md, "Internal milestones and notes")
    assert ("3:52 PM PST", f"Note: {NOTE}", "maya") in [
        (r["Time"], r["What"], r["Who"]) for r in log
    ]
    figures = {r["Figure"]: r["Value"] for r in rows_of(md, "Communication figures")}
    assert figures["Time to first public update"] == "3 min (at 3:19 PM PST)"
    assert figures["Promises kept (next update by)"] == "1 of 3 (33%)"
    # 5 updates and 1 correction to 3 destinations: 12 sent (11 + the correction to Slack).
    assert figures["Deliveries"] == "12 of 18 sent; 1 dead; 8 retries"
    assert figures["Root-cause analysis"].endswith("on time (due Dec 18, 5:00 PM PST)")
    delivery = {r["Destination"]: r for r in rows_of(md, "Delivery")}
    assert (delivery["x-apprise"]["Sent"], delivery["x-apprise"]["Dead"]) == ("1", "1")
    assert delivery["slack-status"]["Sent"] == "6"
    followups = rows_of(md, "Follow-ups")
    assert [(r["Owner"], r["Due"], r["State"]) for r in followups] == [
        ("lee", "Dec 13, 2024", "done"),
        ("priya", "Dec 18, 2024", "open, overdue"),  # as of now, on the real clock
    ]
    chart = ET.fromstring((docs / "INC-1-postmortem.svg").read_text(encoding="utf-8"))
    rows = [g for g in chart.iter(f"{SVG}g") if g.get("class") == "pmchart-row"]
    marks = [g for g in chart.iter(f"{SVG}g") if g.get("class") == "pmchart-update"]
    assert [r.get("data-component") for r in rows] == list(PRODUCTS)
    assert len(marks) == 5
    page = check_html((docs / "INC-1-postmortem.html").read_text(encoding="utf-8"))
    assert page.find(f".//{SVG}svg") is not None  # the chart, inline


def test_format_json_and_a_second_run_replacing_the_files(cli: Env) -> None:
    md_only = cli.run("postmortem", "1", "--out", "md", "--format", "md")
    html_only = cli.run("postmortem", "1", "--out", "html", "--format", "html")
    assert (md_only.exit_code, html_only.exit_code) == (0, 0)
    assert sorted(p.name for p in (cli.folder / "md").iterdir()) == [
        "INC-1-postmortem.md", "INC-1-postmortem.svg",
    ]  # fmt: skip
    assert [p.name for p in (cli.folder / "html").iterdir()] == ["INC-1-postmortem.html"]

    (cli.folder / "md" / "INC-1-postmortem.md").write_text("old", encoding="utf-8")
    result = cli.run("postmortem", "INC-1", "--out", "md", "--format", "md", "--json")
    data = json.loads(result.output)
    assert result.exit_code == 0
    assert data["files"] == {
        "markdown": str((cli.folder / "md" / "INC-1-postmortem.md").resolve()),
        "html": None,
        "chart": str((cli.folder / "md" / "INC-1-postmortem.svg").resolve()),
    }
    assert (cli.folder / "md" / "INC-1-postmortem.md").read_text(encoding="utf-8") != "old"
    facts = data["postmortem"]
    assert facts["draft"] is False
    assert facts["incident"]["ref"] == "INC-1"
    assert [u["seq"] for u in facts["updates"]] == [1, 2, 3, 4, 5]
    assert facts["figures"]["time_to_first_update_s"] == 180.0
    assert facts["figures"]["promises"]["kept"] == 1
    assert sorted(f["owner"] for f in facts["followups"]) == ["lee", "priya"]
    # Nothing but the three documents' files: no temporary files left behind.
    assert not [p for p in (cli.folder / "md").iterdir() if p.name.startswith(".")]


def test_an_open_incident_gets_a_draft_clearly_marked(cli: Env) -> None:
    result = cli.run("postmortem", "INC-2", "--out", "docs")

    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "Draft postmortem of INC-2 (still investigating: its figures run to now; write it "
        "again after recovery) written:"
    )
    md = (cli.folder / "docs" / "INC-2-postmortem.md").read_text(encoding="utf-8")
    assert "> **DRAFT: INC-2 is still open.**" in md
    summary = {r["Field"]: r["Value"] for r in rows_of(md, "Summary")}
    assert summary["Recovered"] == "not yet"
    assert summary["Duration"].endswith("so far")
    page = check_html((cli.folder / "docs" / "INC-2-postmortem.html").read_text(encoding="utf-8"))
    title = page.find(".//{http://www.w3.org/1999/xhtml}title")
    title_text = title.text if title is not None else page.findtext(".//title")
    assert title_text is not None
    assert title_text.startswith("DRAFT ")


def test_an_unknown_incident_is_refused_and_nothing_is_written(cli: Env) -> None:
    result = cli.run("postmortem", "INC-99", "--out", "docs", "--json")

    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "not_found"
    assert "there is no incident 'INC-99'" in error["message"]
    assert not (cli.folder / "docs").exists()


def test_a_template_with_errors_names_its_line_and_writes_nothing(cli: Env) -> None:
    bad = cli.folder / "team.md.j2"
    bad.write_text("# {{ doc.ref }}\n\n{% for u in doc.updates %}\n{{ u.seq }\n", encoding="utf-8")
    unknown = cli.folder / "typo.md.j2"
    unknown.write_text("# {{ doc.ref }}\n\n{{ doc.no_such_field }}\n", encoding="utf-8")

    syntax = cli.run("postmortem", "INC-1", "--out", "docs", "--template", str(bad), "--json")
    typo = cli.run("postmortem", "INC-1", "--out", "docs", "--template", str(unknown))

    assert syntax.exit_code == 1
    error = json.loads(syntax.stdout)["error"]
    assert error["code"] == "template_error"
    assert f"postmortem template error in {bad}, line 4:" in error["message"]
    assert error["field"] is None
    assert typo.exit_code == 1
    assert f"error: postmortem template error in {unknown}, line 3:" in typo.stderr
    assert "no_such_field" in typo.stderr
    assert not (cli.folder / "docs").exists()


def test_a_configured_template_replaces_the_default_and_its_errors_are_config_errors(
    cli: Env,
) -> None:
    own = cli.folder / "own.md.j2"
    own.write_text("# Our review of {{ doc.ref }}\n\nOwner: {{ doc.commander }}\n", "utf-8")
    cli.config(f'[postmortem]\ntemplate = "{own}"\n')

    written = cli.run("postmortem", "INC-1", "--out", "docs", "--format", "md")

    assert written.exit_code == 0, written.output
    md = (cli.folder / "docs" / "INC-1-postmortem.md").read_text(encoding="utf-8")
    assert md == "# Our review of INC-1\n\nOwner: maya\n"

    own.write_text("# {{ doc.ref }}\n{% if %}\n", encoding="utf-8")
    broken = cli.run("postmortem", "INC-1", "--out", "docs", "--json")
    check = cli.run("config", "check", "--json")

    assert broken.exit_code == 3
    error = json.loads(broken.stdout)["error"]
    assert error["code"] == "config_error"
    assert error["message"].startswith(f"[postmortem] template = '{own}', line 2:")
    assert md == (cli.folder / "docs" / "INC-1-postmortem.md").read_text(encoding="utf-8")
    assert check.exit_code == 3
    problems = json.loads(check.stdout)["problems"]
    assert any(f"[postmortem] template = '{own}', line 2:" in p for p in problems)


def test_a_configured_template_that_is_missing_stops_at_load(cli: Env) -> None:
    cli.config('[postmortem]\nhtml_template = "nowhere.html.j2"\n')
    result = cli.run("postmortem", "INC-1", "--json")
    assert result.exit_code == 3
    message = json.loads(result.stdout)["error"]["message"]
    assert "postmortem.html_template = 'nowhere.html.j2': no such file" in message


def test_an_output_path_that_cannot_be_written_is_refused_cleanly(cli: Env) -> None:
    (cli.folder / "a-file").write_text("mine", encoding="utf-8")
    docs = cli.folder / "docs"
    docs.mkdir()
    (docs / "INC-1-postmortem.md").write_text("kept", encoding="utf-8")
    (docs / "INC-1-postmortem.html").mkdir()  # in the way of the HTML document

    into_file = cli.run("postmortem", "INC-1", "--out", "a-file/docs", "--json")
    in_the_way = cli.run("postmortem", "INC-1", "--out", "docs")
    proc = cli.run("postmortem", "INC-1", "--out", "/proc/commsbot-docs")

    assert into_file.exit_code == 1
    error = json.loads(into_file.stdout)["error"]
    assert error["field"] == "out"
    assert error["message"].startswith("cannot write to a-file/docs: ")
    assert "choose a folder you can write to (--out)" in error["message"]
    assert (cli.folder / "a-file").read_text(encoding="utf-8") == "mine"
    assert in_the_way.exit_code == 1
    assert "INC-1-postmortem.html: it exists and is not a regular file" in in_the_way.stderr
    # Nothing half-written: the Markdown already there is untouched, no chart, no temp files.
    assert sorted(p.name for p in docs.iterdir()) == [
        "INC-1-postmortem.html",
        "INC-1-postmortem.md",
    ]
    assert (docs / "INC-1-postmortem.md").read_text(encoding="utf-8") == "kept"
    assert proc.exit_code == 1
    assert proc.stderr.startswith("error: cannot write to /proc/commsbot-docs: ")


def test_report_prints_writes_and_explains(cli: Env) -> None:
    printed = cli.run("report", "--since", "all")
    as_json = cli.run("report", "--since", "2024-12-01", "--json")
    written = cli.run("report", "--since", "all", "--html", "out/report.html",
                      "--markdown", "out/report.md")  # fmt: skip
    refused = cli.run("report", "--since", "last tuesday", "--json")

    assert printed.exit_code == 0
    assert printed.output.startswith("# Incident communication report\n\n_2 incidents, declared")
    data = json.loads(as_json.output)
    assert data["files"] == {}
    report = data["report"]
    assert report["since"] == "2024-12-01T08:00:00.000Z"  # midnight in Los Angeles
    assert report["total"]["incidents"] == 2
    sev1 = next(g for g in report["by_severity"] if g["severity"] == "sev1")
    assert sev1["time_to_first_update"] == {"count": 1, "median_s": 180.0, "p90_s": 180.0}
    assert sev1["promises"]["kept"] == 1
    assert sev1["rca"] == {"judged": 1, "on_time": 1, "rate": 1.0}
    assert written.exit_code == 0, written.output
    out = cli.folder / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "report-promise-adherence.svg", "report-time-to-first-update.svg",
        "report-time-to-recover.svg", "report.html", "report.md",
    ]  # fmt: skip
    page = check_html((out / "report.html").read_text(encoding="utf-8"))
    assert len(page.findall(f".//{SVG}svg")) == 3
    assert "](report-time-to-first-update.svg)" in (out / "report.md").read_text("utf-8")
    assert refused.exit_code == 1
    assert json.loads(refused.stdout)["error"]["field"] == "since"

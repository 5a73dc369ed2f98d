"""The document, Markdown and HTML, read back and compared field by field."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from commsbot.domain.model import TimelineEntry
from commsbot.postmortem import (
    PostmortemTemplateError,
    default_template,
    render_html,
    render_markdown,
    render_with_template,
    to_json,
)
from tests.postmortem import fixtures as fx
from tests.postmortem.parse import (
    SVG,
    check_html,
    html_section_tables,
    md_table,
    md_tables,
    rendered_tables,
    text_of,
    unescape_cell,
)

#: Markdown section → HTML section id; the tables under each must say the same.
SECTIONS = {
    "Summary": "summary",
    "Timeline of public updates": "updates",
    "Internal milestones and notes": "milestones",
    "Component impact": "components",
    "Communication figures": "figures",
    "Promised next updates": "figures",
    "Delivery": "delivery",
    "Deliveries that needed retries or did not arrive": "delivery",
    "Follow-ups": "followups",
}


def rows_of(markdown: str, section: str) -> list[dict[str, str]]:
    table = md_table(markdown, section)
    return [
        dict(zip(table.header, (unescape_cell(c) for c in row), strict=True)) for row in table.rows
    ]


@pytest.fixture(scope="module")
def dec11_md() -> str:
    return render_markdown(fx.dec11(with_rca=True), zone=fx.PST, chart_path="INC-1 chart.svg")


@pytest.fixture(scope="module")
def dec11_html() -> ET.Element:
    return check_html(render_html(fx.dec11(with_rca=True), zone=fx.PST))


def test_markdown_summary(dec11_md: str) -> None:
    assert dec11_md.startswith("# Postmortem: INC-1 — ChatGPT, API and Sora unavailable\n")
    assert "DRAFT" not in dec11_md
    summary = {r["Field"]: r["Value"] for r in rows_of(dec11_md, "Summary")}
    assert summary == {
        "Severity": "SEV1",
        "Status": "Recovered",
        "Incident commander": "maya",
        "Declared": "3:16 PM PST",
        "Recovered": "7:38 PM PST",
        "Duration": "4 h 22 min",
        "Components (worst impact)": "ChatGPT: major outage, API: major outage, Sora: major outage",
    }
    # The chart beside the document, its file name made safe for a link.
    assert "](INC-1%20chart.svg)" in dec11_md


def test_markdown_updates_table(dec11_md: str) -> None:
    rows = rows_of(dec11_md, "Timeline of public updates")
    assert [r["#"] for r in rows] == ["1", "2", "3", "4", "5"]
    assert [r["Time"] for r in rows] == [
        "3:19 PM PST",
        "3:57 PM PST",
        "5:43 PM PST",
        "7:38 PM PST",
        "Dec 13, 10:00 AM PST",
    ]
    assert [r["Status"] for r in rows] == [
        "Investigating",
        "Identified",
        "Fixing",
        "Recovered",
        "Root-cause analysis",
    ]
    for row, seq in zip(rows[:4], range(1, 5), strict=True):
        assert row["Update"] == fx.DEC11_BODIES[seq]  # line break in #2 kept
    assert rows[1]["Author(s)"] == "maya, lee"
    assert [r["Approver"] for r in rows] == ["sam", "sam", "sam", "sam", "maya"]
    assert [r["Approval took"] for r in rows] == ["3 min", "5 min", "3 min", "2 min", "1 h"]
    assert [r["Next update promised by"] for r in rows] == [
        "3:49 PM PST",
        "4:25 PM PST",
        "7:45 PM PST",
        "—",
        "—",
    ]


def test_markdown_milestones_notes_components_figures(dec11_md: str) -> None:
    log = rows_of(dec11_md, "Internal milestones and notes")
    assert [(r["Time"], r["What"]) for r in log] == [
        ("3:16 PM PST", "Declared"),
        ("3:19 PM PST", "First public update (update #1)"),
        ("3:52 PM PST", "Note: Control plane API servers at 100% CPU; DNS lookups from "
         "workloads failing"),
        ("3:57 PM PST", "Cause identified (update #2)"),
        ("5:43 PM PST", "Fix rolling out (update #3)"),
        ("7:38 PM PST", "Recovered (update #4)"),
        ("Dec 13, 10:00 AM PST", "Root-cause analysis published (update #5)"),
    ]  # fmt: skip
    impact = rows_of(dec11_md, "Component impact")
    assert [r["Component"] for r in impact] == list(fx.PRODUCTS)
    assert {
        (r["Worst"], r["Major outage"], r["Partial outage"], r["Degraded performance"],
         r["Total impact"])
        for r in impact
    } == {("Major outage", "2 h 24 min", "1 h 55 min", "—", "4 h 19 min")}  # fmt: skip
    figures = {r["Figure"]: r["Value"] for r in rows_of(dec11_md, "Communication figures")}
    assert figures["Time to first public update"] == "3 min (at 3:19 PM PST)"
    assert figures["Approval latency (drafted → approved)"] == "median 3 min; longest 5 min (#2)"
    assert figures["Promises kept (next update by)"] == "1 of 3 (33%)"
    assert figures["Lateness of late promises"] == "median 43 min; worst 1 h 18 min"
    assert figures["Deliveries"] == "13 of 14 sent; 1 dead; 7 retries"
    assert figures["Time to recover (declared → recovered)"] == "4 h 22 min"
    assert figures["Root-cause analysis"] == (
        "published Dec 13, 10:00 AM PST, 1 d 14 h 22 min after recovery; on time "
        "(due Dec 16, 5:00 PM PST)"
    )
    promises = rows_of(dec11_md, "Promised next updates")
    assert [(r["Promised in"], r["Result"], r["Late by"]) for r in promises] == [
        ("1", "late", "8 min"),
        ("2", "late", "1 h 18 min"),
        ("3", "kept", "—"),
    ]
    assert promises[0]["What came"] == "#2 at 3:57 PM PST"


def test_markdown_delivery_and_followups(dec11_md: str) -> None:
    delivery = {r["Destination"]: r for r in rows_of(dec11_md, "Delivery")}
    assert delivery["x-apprise"] == {
        "Destination": "x-apprise",
        "Sent": "3",
        "Pending": "0",
        "Dead": "1",
        "Retries": "7",
        "Median after approval": "3 s",
        "Slowest": "45 s",
    }
    assert delivery["slack-status"]["Median after approval"] == "1.2 s"
    problems = rows_of(dec11_md, "Deliveries that needed retries or did not arrive")
    assert [(r["Update"], r["Result"], r["Attempts"]) for r in problems] == [
        ("#1", "sent", "4"),
        ("#2", "dead (gave up)", "5"),
    ]
    assert problems[1]["Last error"] == "HTTP 503 from the X API | service unavailable"
    followups = rows_of(dec11_md, "Follow-ups")
    assert [(r["Owner"], r["Due"], r["State"]) for r in followups] == [
        ("lee", "Dec 13, 2024", "done"),
        ("maya", "Dec 18, 2024", "open"),
    ]


def test_markdown_has_empty_sections_for_the_team(dec11_md: str) -> None:
    for heading in ("## Root cause", "## What went well", "## What to change"):
        after = dec11_md.split(heading + "\n", 1)[1]
        body = after.split("\n## ", 1)[0]
        assert re.fullmatch(r"\s*<!--.*-->\s*", body, re.S), body


def test_markdown_tables_render_as_tables(dec11_md: str) -> None:
    """A real GFM renderer sees the same tables, with the same cell text."""
    ours = md_tables(dec11_md)
    theirs = rendered_tables(dec11_md)
    assert len(theirs) == len(ours)
    for table, rendered in zip(ours, theirs, strict=True):
        assert rendered[0] == [unescape_cell(c) for c in table.header]
        assert rendered[1:] == [[unescape_cell(c) for c in row] for row in table.rows]


def test_html_says_what_the_markdown_says(dec11_md: str, dec11_html: ET.Element) -> None:
    title = dec11_html.find("head/title")
    assert title is not None
    assert title.text == "Postmortem INC-1: ChatGPT, API and Sora unavailable"
    h1 = dec11_html.find(".//h1")
    assert h1 is not None
    assert text_of(h1) == "Postmortem: INC-1 — ChatGPT, API and Sora unavailable"
    by_section: dict[str, list[list[list[str]]]] = {}
    for table in md_tables(dec11_md):
        rows = [[unescape_cell(c) for c in row] for row in table.rows]
        by_section.setdefault(SECTIONS[table.section], []).append(rows)
    for section, md in by_section.items():
        html = html_section_tables(dec11_html, section)
        # Tables with a header row keep it as their first <tr>.
        bodies = [t[1:] if t and len(t) > len(m) else t for t, m in zip(html, md, strict=True)]
        assert bodies == md, section


def test_html_embeds_the_chart_and_no_script(dec11_html: ET.Element) -> None:
    svgs = list(dec11_html.iter(f"{SVG}svg"))
    assert len(svgs) == 1
    assert svgs[0].get("role") == "img"
    assert not [e for e in dec11_html.iter() if str(e.tag).endswith("script")]
    sections = [s.get("id") for s in dec11_html.iter("section")]
    assert sections[-3:] == ["root-cause", "went-well", "to-change"]


def test_open_incident_is_a_marked_draft() -> None:
    facts = fx.still_open()
    md = render_markdown(facts, zone=fx.UTC_ZONE)
    assert "> **DRAFT: INC-4 is still open.**" in md
    assert "_Times are in UTC. Generated" in md  # not "UTC (UTC)"
    assert "Mar 2, 2025, 10:50 AM UTC" in md.split("\n\n")[1]
    summary = {r["Field"]: r["Value"] for r in rows_of(md, "Summary")}
    assert summary["Status"] == "Investigating (still open)"
    assert summary["Recovered"] == "not yet"
    assert summary["Duration"] == "50 min so far"
    promises = rows_of(md, "Promised next updates")
    assert [(r["Result"], r["Late by"]) for r in promises] == [("overdue", "16 min")]
    root = check_html(render_html(facts, zone=fx.UTC_ZONE))
    title = root.find("head/title")
    assert title is not None
    assert (title.text or "").startswith("DRAFT ")
    draft = root.find(".//p[@class='draft']")
    assert draft is not None
    assert "INC-4 is still open" in text_of(draft)


def test_no_public_update_document() -> None:
    facts = fx.no_update()
    md = render_markdown(facts, zone=fx.UTC_ZONE)
    assert "No public update was published." in md
    assert "Nothing was delivered." in md
    figures = {r["Figure"]: r["Value"] for r in rows_of(md, "Communication figures")}
    assert figures["Time to first public update"] == "none: nothing was published"
    assert figures["Root-cause analysis"] == "not due: the incident is still open"
    root = check_html(render_html(facts, zone=fx.UTC_ZONE))
    assert html_section_tables(root, "updates") == []


def test_correction_is_shown_on_its_update() -> None:
    md = render_markdown(fx.corrected(), zone=fx.UTC_ZONE)
    rows = rows_of(md, "Timeline of public updates")
    assert len(rows) == 4  # a correction is not a new update
    assert rows[0]["Update"] == (
        "We are investigating API timeouts (corrected text). (corrected 10:25 AM UTC)"
    )
    assert "(corrected" not in rows[1]["Update"]
    problems = rows_of(md, "Delivery")
    assert problems[0]["Sent"] == "2"  # the update and its correction


def test_sev4_without_promises_document() -> None:
    md = render_markdown(fx.sev4_quiet(), zone=fx.UTC_ZONE)
    figures = {r["Figure"]: r["Value"] for r in rows_of(md, "Communication figures")}
    assert figures["Promises kept (next update by)"] == "none to judge"
    assert figures["Root-cause analysis"].endswith("no due date")
    assert not [t for t in md_tables(md) if t.section == "Promised next updates"]


def test_notes_and_actors_are_escaped_not_obeyed() -> None:
    facts = fx.dec11()
    note = TimelineEntry(facts.incident.id, fx.pst(16, 0), "x|y", "note", "a | b\n<b>c</b> *d*")
    md = render_markdown(replace(facts, timeline=(*facts.timeline, note)), zone=fx.PST)
    log = rows_of(md, "Internal milestones and notes")
    assert ("Note: a | b\n<b>c</b> *d*", "x|y") in [(r["What"], r["Who"]) for r in log]


# -- templates -----------------------------------------------------------------------------


def test_custom_template_gets_the_same_context() -> None:
    text = "{{ doc.ref }}|{% for u in doc.updates %}{{ u.seq }}={{ u.approval }};{% endfor %}"
    assert (
        render_with_template(text, fx.dec11(), zone=fx.PST)
        == "INC-1|1=3 min;2=5 min;3=3 min;4=2 min;"
    )


def test_custom_html_template_is_autoescaped() -> None:
    facts = fx.dec11()
    facts = replace(facts, incident=replace(facts.incident, title="<script>alert(1)</script>"))
    out = render_with_template("<h1>{{ doc.title }}</h1>", facts, zone=fx.PST, html=True)
    assert out == "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>"


@pytest.mark.parametrize(
    ("template", "line", "words"),
    [
        ("# {{ doc.ref }}\n\n{% for u in doc.updates %}\n{{ u.seq }}\n", 4, "endfor"),
        ("one\ntwo\n{{ doc.nonexistent }}\n", 3, "nonexistent"),
        ("{{ doc.ref }}\n{{ doc.ref | nosuchfilter }}\n", 2, "nosuchfilter"),
        ("a\nb\nc\n{{ doc.ref.__class__.__mro__ }}\n", 4, "unsafe"),
        ("a\n{{ 1 / 0 }}\n", 2, "ZeroDivisionError"),
        ("{% if %}", 1, "Expected an expression"),
    ],
)
def test_template_errors_name_the_line(template: str, line: int, words: str) -> None:
    with pytest.raises(PostmortemTemplateError) as caught:
        render_with_template(template, fx.dec11(), zone=fx.PST, name="team.md.j2")
    error = caught.value
    assert error.line == line
    assert f"team.md.j2, line {line}" in str(error)
    assert words in str(error)
    assert error.code == "template_error"


def test_the_built_in_templates_are_the_defaults() -> None:
    facts = fx.dec11()
    assert render_with_template(default_template("markdown"), facts, zone=fx.PST) == (
        render_markdown(facts, zone=fx.PST)
    )


# -- data ------------------------------------------------------------------------------------


def test_json_view() -> None:
    data = to_json(fx.dec11(with_rca=True))
    assert json.loads(json.dumps(data)) == data
    assert data["draft"] is False
    assert data["incident"]["declared_at"] == "2024-12-11T23:16:00.000Z"
    stamps = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
    assert all(stamps.fullmatch(u["published_at"]) for u in data["updates"])
    figs = data["figures"]
    assert figs["time_to_first_update_s"] == 180.0
    assert figs["time_to_recover_s"] == 15720.0
    assert figs["approval_latency_s"]["median"] == 180.0
    assert figs["approval_latency_s"]["excluded_from_median"] == [5]
    assert figs["promises"]["kept"] == 1
    assert figs["promises"]["judged"] == 3
    assert [p["late_by_s"] for p in figs["promises"]["items"]] == [480.0, 4680.0, None]
    assert figs["promises"]["median_lateness_s"] == 2580.0
    assert figs["rca"]["result"] == "on_time"
    assert figs["rca"]["took_s"] == 138120.0
    chatgpt = data["components"][0]
    assert chatgpt["time_in_s"] == {"major_outage": 8640.0, "partial_outage": 6900.0}
    x = next(d for d in data["deliveries"] if d["destination"] == "x-apprise")
    assert (x["dead"], x["retries"]) == (1, 7)
    assert [i["result"] for i in x["items"]] == ["sent", "dead", "sent", "sent"]
    assert data["notes"] == [
        {
            "at": "2024-12-11T23:52:00.000Z",
            "actor": "maya",
            "text": "Control plane API servers at 100% CPU; DNS lookups from workloads failing",
        }
    ]


def test_json_of_open_incident_is_a_draft() -> None:
    data = to_json(fx.still_open())
    assert data["draft"] is True
    assert data["figures"]["time_to_recover_s"] is None
    assert data["figures"]["promises"]["items"][0]["result"] == "overdue"


def test_custom_template_filters_reach_the_raw_values() -> None:
    text = "{{ doc.facts.incident.declared_at | local }} / {{ doc.figures.mttr | duration }}"
    assert render_with_template(text, fx.dec11(), zone=fx.PST) == (
        "Dec 11, 2024, 3:16 PM PST / 4 h 22 min"
    )

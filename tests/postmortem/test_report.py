"""The report over many incidents: known answers on the hand-built ones, shape on 1,000."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from commsbot.domain.model import Severity
from commsbot.postmortem import (
    build_report,
    render_report_html,
    render_report_markdown,
    report_charts,
    report_to_json,
)
from commsbot.postmortem.model import PostmortemFacts
from commsbot.postmortem.report import Distribution
from tests.postmortem import fixtures as fx
from tests.postmortem.generate import incidents
from tests.postmortem.parse import SVG, check_html, md_table, md_tables, unescape_cell

MIN = timedelta(minutes=1)


def hand_built() -> list[PostmortemFacts]:
    return [
        fx.dec11(with_rca=True),  # sev1, Dec 2024
        fx.reopened(),  # sev2, Mar 2025
        fx.corrected(),  # sev2, Mar 2025
        fx.still_open(),  # sev1, Mar 2025
        fx.no_update(),  # sev2, Mar 2025
        fx.sev4_quiet(),  # sev4, Mar 2025
    ]


def test_totals_known_answers() -> None:
    total = build_report(hand_built(), zone=fx.UTC_ZONE).total
    assert (total.incidents, total.open, total.without_public_update, total.reopened) == (
        6,
        2,
        1,
        2,
    )
    # First update after 3, 5, 5, 4 and 30 min; p90 interpolates between 5 and 30.
    assert total.time_to_first_update == Distribution(5, 5 * MIN, 20 * MIN)
    # 15 approvals (the RCA left out): 2,2,2,2,2,3,3,4,4,4,5,5,5,5,20 min.
    assert total.approval_latency == Distribution(15, 4 * MIN, 5 * MIN)
    # Promises: Dec 11 1/3, reopened 1/2 (twice), open 0/1 (overdue), sev4 none.
    assert (total.promises_kept, total.promises_judged) == (3, 8)
    assert total.adherence == pytest.approx(3 / 8)
    assert total.lateness.median == 15 * MIN  # of 8, 15, 15, 16, 78
    # Recovered: 262, 105, 105, 210 min.
    assert total.mttr == Distribution(4, timedelta(minutes=157.5), timedelta(minutes=246.4))
    assert (total.rca_on_time, total.rca_judged) == (1, 1)
    assert (total.dead_deliveries, total.deliveries) == (1, 17)


def test_by_severity_lists_all_four() -> None:
    report = build_report(hand_built(), zone=fx.UTC_ZONE)
    assert [g.severity for g in report.by_severity] == list(Severity)
    assert [g.incidents for g in report.by_severity] == [2, 3, 0, 1]
    sev1, sev2, sev3, sev4 = report.by_severity
    assert sev1.mttr == Distribution(1, timedelta(minutes=262), timedelta(minutes=262))
    assert sev1.open == 1
    assert sev2.without_public_update == 1
    assert sev3.time_to_first_update == Distribution(0, None, None)
    assert sev3.adherence is None
    assert sev4.promises_judged == 0
    assert sev4.adherence is None


def test_months_in_the_team_zone_with_gaps() -> None:
    report = build_report(hand_built(), zone=fx.UTC_ZONE)
    assert [(g.month, g.incidents) for g in report.by_month] == [
        ("2024-12", 1),
        ("2025-01", 0),
        ("2025-02", 0),
        ("2025-03", 5),
    ]
    assert [(g.month, g.severity) for g in report.by_month_severity] == [
        ("2024-12", Severity.SEV1),
        ("2025-03", Severity.SEV1),
        ("2025-03", Severity.SEV2),
        ("2025-03", Severity.SEV4),
    ]
    # Declared 1 Dec 05:00 UTC: still 30 November in California.
    early = replace(
        fx.no_update(),
        incident=replace(
            fx.no_update().incident, declared_at=datetime(2024, 12, 1, 5, 0, tzinfo=UTC)
        ),
        as_of=datetime(2024, 12, 1, 6, 0, tzinfo=UTC),
    )
    assert [g.month for g in build_report([early], zone=fx.PST).by_month] == ["2024-11"]
    assert [g.month for g in build_report([early], zone=fx.UTC_ZONE).by_month] == ["2024-12"]


def test_empty_report() -> None:
    report = build_report([], zone=fx.PST)
    assert report.total.incidents == 0
    assert report.by_month == ()
    assert report.first_declared is None
    charts = report_charts(report)
    for svg in (charts.time_to_first_update, charts.promise_adherence, charts.mttr_by_severity):
        root = ET.fromstring(svg)
        assert "No incident in this period" in [t.text for t in root.iter(f"{SVG}text")]
    check_html(render_report_html(report, zone=fx.PST))
    assert md_tables(render_report_markdown(report, zone=fx.PST))


def test_report_charts_one_bar_per_month_and_series() -> None:
    report = build_report(hand_built(), zone=fx.UTC_ZONE)
    charts = report_charts(report, prefix="r")
    first = ET.fromstring(charts.time_to_first_update)
    bars = [g for g in first.iter(f"{SVG}g") if g.get("class") == "r-first-bar"]
    assert [b.get("data-month") for b in bars] == ["2024-12", "2025-01", "2025-02", "2025-03"]
    tips = [b.find(f"{SVG}title").text for b in bars]  # type: ignore[union-attr]
    assert tips[0] == "2024-12, median: 3 min (p90 3 min)"
    assert tips[1] == "2025-01, median: no data"
    assert tips[3] == "2025-03, median: 5 min (p90 22 min 30 s)"  # of 4, 5, 5, 30
    mttr = ET.fromstring(charts.mttr_by_severity)
    bars = [g for g in mttr.iter(f"{SVG}g") if g.get("class") == "r-mttr-bar"]
    assert len(bars) == 4 * 4  # months × severities
    drawn = {
        (b.get("data-month"), b.get("data-series"))
        for b in bars
        if b.find(f"{SVG}rect") is not None
    }
    assert drawn == {("2024-12", "sev1"), ("2025-03", "sev2"), ("2025-03", "sev4")}
    adherence = ET.fromstring(charts.promise_adherence)
    desc = adherence.find(f"{SVG}desc")
    assert desc is not None
    assert desc.text == (
        "Promises kept per month — 2024-12: 1 of 3 kept, 2025-01: none judged, "
        "2025-02: none judged, 2025-03: 2 of 5 kept"
    )
    for svg in (first, mttr, adherence):
        assert svg.get("role") == "img"
        assert not [e for e in svg.iter() if str(e.tag).endswith("script")]


def test_report_documents_field_by_field() -> None:
    report = build_report(hand_built(), zone=fx.UTC_ZONE)
    md = render_report_markdown(report, zone=fx.UTC_ZONE)
    by_severity = md_table(md, "By severity")
    assert by_severity.column("Severity") == ["All", "sev1", "sev2", "sev3", "sev4"]
    assert by_severity.column("Incidents") == ["6", "2", "3", "0", "1"]
    assert unescape_cell(by_severity.column("Promises kept")[0]) == "38% (3/8)"
    assert by_severity.column("First public update (median / p90)")[0] == "5 min / 20 min"
    months = md_table(md, "By month")
    assert months.column("Month") == ["2024-12", "2025-01", "2025-02", "2025-03"]
    page = check_html(render_report_html(report, zone=fx.UTC_ZONE))
    assert len(list(page.iter(f"{SVG}svg"))) == 3
    section = page.find(".//section[@id='by-severity']")
    assert section is not None
    html_rows = [["".join(c.itertext()) for c in tr] for tr in section.iter("tr")][1:]
    md_rows = [[unescape_cell(c) for c in row] for row in by_severity.rows]
    assert html_rows == md_rows


def test_json_report() -> None:
    data = report_to_json(build_report(hand_built(), zone=fx.UTC_ZONE))
    assert json.loads(json.dumps(data)) == data
    total = data["total"]
    assert total["time_to_first_update"] == {"count": 5, "median_s": 300.0, "p90_s": 1200.0}
    assert total["promises"]["adherence"] == 0.375
    assert [g["month"] for g in data["by_month"]] == ["2024-12", "2025-01", "2025-02", "2025-03"]


def test_generated_incidents_add_up() -> None:
    facts = incidents(300)
    report = build_report(facts, zone=fx.PST)
    assert report.total.incidents == 300
    assert sum(g.incidents for g in report.by_severity) == 300
    assert sum(g.incidents for g in report.by_month) == 300
    assert sum(g.incidents for g in report.by_month_severity) == 300
    assert sum(g.promises_judged for g in report.by_month) == report.total.promises_judged
    assert report.by_severity[3].promises_judged == 0  # sev4 promises nothing
    for group in (report.total, *report.by_severity, *report.by_month):
        for dist in (group.time_to_first_update, group.mttr, group.approval_latency):
            if dist.count:
                assert dist.median is not None
                assert dist.p90 is not None
                assert dist.median <= dist.p90
    check_html(render_report_html(report, zone=fx.PST))

"""The incident chart, parsed as XML: rows, marks, promises, axis, accessibility."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from commsbot.domain.lifecycle import Status
from commsbot.domain.model import Severity
from commsbot.postmortem import incident_chart
from commsbot.postmortem.chart import LEFT
from commsbot.postmortem.model import IncidentFacts, PostmortemFacts
from commsbot.postmortem.svg import time_ticks
from tests.postmortem import fixtures as fx
from tests.postmortem.parse import SVG


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def groups(root: ET.Element, kind: str, prefix: str = "pmchart") -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == f"{prefix}-{kind}"]


def check_accessible_and_inert(root: ET.Element) -> None:
    assert root.get("role") == "img"
    ids = {e.get("id"): e for e in root.iter() if e.get("id")}
    labelled = (root.get("aria-labelledby") or "").split()
    assert [ids[i].tag for i in labelled] == [f"{SVG}title", f"{SVG}desc"]
    assert all((ids[i].text or "").strip() for i in labelled)
    for element in root.iter():
        assert not str(element.tag).endswith(("script", "foreignObject", "image", "use"))
        for name, value in element.attrib.items():
            assert not name.startswith("on"), name
            assert "href" not in name, name
            if "url(" in value:  # only references to this document's own patterns
                assert value.startswith("url(#")
                assert value[5:-1] in ids


def test_dec11_chart_rows_marks_and_promises() -> None:
    root = parse(incident_chart(fx.dec11(with_rca=True), zone=fx.PST))
    check_accessible_and_inert(root)
    title = root.find(f"{SVG}title")
    assert title is not None
    assert title.text == "INC-1: ChatGPT, API and Sora unavailable — timeline"
    rows = groups(root, "row")
    assert [r.get("data-component") for r in rows] == list(fx.PRODUCTS)
    for row in rows:
        bars = row.findall(f"{SVG}rect")
        assert [b.get("class") for b in bars] == [
            "pmchart-s-operational",
            "pmchart-s-major_outage",
            "pmchart-s-partial_outage",
            "pmchart-s-operational",
        ]
        # Contiguous, from the declaration on.
        assert float(bars[0].get("x", "")) == LEFT
        for left, right in itertools.pairwise(bars):
            end = float(left.get("x", "")) + float(left.get("width", ""))
            assert end == pytest.approx(float(right.get("x", "")), abs=0.11)
        tip = bars[1].find(f"{SVG}title")
        assert tip is not None
        assert tip.text == (
            f"{row.get('data-component')}: Major outage, 3:19 PM PST – 5:43 PM PST (2 h 24 min)"
        )
    marks = groups(root, "update")
    assert [m.get("data-seq") for m in marks] == ["1", "2", "3", "4", "5"]
    xs = [float(m.find(f"{SVG}line").get("x1", "")) for m in marks]  # type: ignore[union-attr]
    assert xs == sorted(xs)
    promises = groups(root, "promise")
    assert [(p.get("data-seq"), p.get("data-result")) for p in promises] == [
        ("1", "late"),
        ("2", "late"),
        ("3", "kept"),
    ]
    late = [p for p in promises if p.get("data-result") == "late"]
    for p in late:
        assert [line for line in p.iter(f"{SVG}line") if line.get("class") == "pmchart-late"]
    labels = [t.text for p in late for t in p.iter(f"{SVG}text")]
    assert labels == ["+8 min", "+1 h 18 min"]


def test_axis_ticks_are_round_times_in_the_team_zone() -> None:
    root = parse(incident_chart(fx.dec11(), zone=fx.PST))
    (axis,) = groups(root, "axis")
    texts = [t.text for t in axis.iter(f"{SVG}text")]
    assert texts[:-1] == ["4 PM", "Dec 11", "5 PM", "6 PM", "7 PM"]
    assert texts[-1] == "America/Los_Angeles (PST)"
    utc_axis = groups(parse(incident_chart(fx.dec11(), zone=fx.UTC_ZONE)), "axis")[0]
    assert [t.text for t in utc_axis.iter(f"{SVG}text")][:3] == ["12 AM", "Dec 12", "1 AM"]


def test_ticks_stay_on_round_local_times_across_a_dst_change() -> None:
    zone = ZoneInfo("America/Los_Angeles")
    autumn = datetime(2024, 11, 3, 7, 0, tzinfo=UTC)  # midnight PDT; 2 AM PDT becomes 1 AM PST
    ticks = time_ticks(autumn, autumn + timedelta(hours=5), zone)
    assert [t[1] for t in ticks] == ["12 AM", "1 AM", "2 AM", "3 AM", "4 AM"]
    assert [t[0].hour for t in ticks] == [7, 8, 10, 11, 12]  # UTC: the repeated hour is skipped
    spring = datetime(2024, 3, 10, 8, 0, tzinfo=UTC)  # midnight PST; 2 AM PST becomes 3 AM PDT
    ticks = time_ticks(spring, spring + timedelta(hours=5), zone)
    assert [t[1] for t in ticks] == ["12 AM", "1 AM", "3 AM", "4 AM", "5 AM", "6 AM"]
    days = time_ticks(autumn, autumn + timedelta(days=20), zone)
    assert all(t[0].astimezone(zone).hour == 0 for t in days)
    assert days[0][1] == "Nov 3"


def test_open_incident_shows_now_and_the_overdue_promise() -> None:
    root = parse(incident_chart(fx.still_open(), zone=fx.UTC_ZONE))
    check_accessible_and_inert(root)
    now = [e for e in root.iter(f"{SVG}line") if e.get("class") == "pmchart-now"]
    assert len(now) == 1
    (promise,) = groups(root, "promise")
    assert promise.get("data-result") == "overdue"
    assert [t.text for t in promise.iter(f"{SVG}text")] == ["+16 min so far"]
    caption = next(t.text or "" for t in root.iter(f"{SVG}text"))
    assert caption.endswith("still open (draft)")
    assert [r.get("data-component") for r in groups(root, "row")] == ["API", "Web"]


def test_no_update_and_no_component() -> None:
    root = parse(incident_chart(fx.no_update(), zone=fx.UTC_ZONE))
    assert groups(root, "update") == []
    assert len(groups(root, "row")) == 1
    desc = root.find(f"{SVG}desc")
    assert desc is not None
    assert "No public update." in (desc.text or "")
    bare = PostmortemFacts(
        incident=IncidentFacts(
            id="i", ref="INC-9", title="t", severity=Severity.SEV3, status=Status.RECOVERED,
            commander="a", declared_at=fx.utc(9, 0), resolved_at=fx.utc(9, 5),
        ),
        as_of=fx.utc(9, 5),
    )  # fmt: skip
    root = parse(incident_chart(bare, zone=fx.UTC_ZONE))
    assert groups(root, "row") == []
    assert "No component named" in [t.text for t in root.iter(f"{SVG}text")]


def test_reopened_chart_shows_both_outages() -> None:
    root = parse(incident_chart(fx.reopened(), zone=fx.UTC_ZONE))
    (row,) = groups(root, "row")
    assert [b.get("class") for b in row.findall(f"{SVG}rect")] == [
        "pmchart-s-operational",
        "pmchart-s-major_outage",
        "pmchart-s-operational",
        "pmchart-s-partial_outage",
        "pmchart-s-operational",
    ]
    assert len(groups(root, "update")) == 4


def test_prefixes_keep_two_charts_apart() -> None:
    one = parse(incident_chart(fx.dec11(), zone=fx.PST, prefix="a"))
    two = parse(incident_chart(fx.reopened(), zone=fx.PST, prefix="b"))
    ids_one = {e.get("id") for e in one.iter() if e.get("id")}
    ids_two = {e.get("id") for e in two.iter() if e.get("id")}
    assert ids_one
    assert not ids_one & ids_two
    style = one.find(f"{SVG}style")
    assert style is not None
    assert "prefers-color-scheme: dark" in (style.text or "")
    assert ".b-" not in (style.text or "")
    with pytest.raises(ValueError, match="not usable"):
        incident_chart(fx.dec11(), zone=fx.PST, prefix="1 bad")

"""No text a person can type (or a platform can send) breaks the document or the chart.

Titles, bodies, notes, names, destinations, errors and follow-ups hold arbitrary text, with the
characters that matter most drawn often: ``|`` and line breaks (Markdown tables), ``<script>``
and ``&`` (HTML), ``]]>`` and control characters (XML), Markdown punctuation and backslashes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commsbot.domain.model import ComponentChange, TimelineEntry
from commsbot.postmortem import incident_chart, render_html, render_markdown, to_json
from commsbot.postmortem.model import FollowUp, FollowUpState, PostmortemFacts
from commsbot.postmortem.text import xml_safe
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

NASTY = [
    "|", "\\|", "\\", "\n", "\r\n", "\r", "<script>alert(1)</script>", "]]>", "<![CDATA[",
    "&amp;", "&#124;", "*", "_", "`", "[x](y)", "#", "~~", "<br>", "\x00", "\x1b", "\x0b",
    "\ufffe", "\u2028", "\U0001f525", " ", "\t", "-->", "{{ doc }}", "{% raw %}",
]  # fmt: skip
text = st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=12)), max_size=6).map("".join)
name = text.filter(lambda s: s.strip() != "")


def as_xml_reads(value: str) -> str:
    """``value`` as an XML parser gives it back: line ends normalised to ``\\n``."""
    return re.sub(r"\r\n|\r", "\n", xml_safe(value))


def expected_cell(value: str) -> str:
    """What a reader of the rendered Markdown should see in a cell holding ``value``."""
    shown = re.sub(r"\r\n|\r", "\n", xml_safe(value).strip())
    return shown or "—"


@st.composite
def facts_with_text(draw: st.DrawFn) -> PostmortemFacts:
    base = fx.dec11()
    components = draw(st.lists(name, min_size=1, max_size=3, unique=True))
    first = base.updates[0]
    changes = tuple(ComponentChange(c, fx.OP, fx.MAJOR) for c in components)
    updates = tuple(
        replace(
            u,
            body=draw(text),
            authors=(draw(name), *draw(st.lists(name, max_size=1))),
            approver=draw(name),
            changes=changes if u is first else (),
        )
        for u in base.updates
    )
    note = TimelineEntry(base.incident.id, fx.pst(16, 0), draw(name), "note", draw(text))
    return replace(
        base,
        incident=replace(
            base.incident, title=draw(text), commander=draw(name), components=tuple(components)
        ),
        updates=updates,
        timeline=(note,),
        deliveries=tuple(
            replace(
                d,
                destination=draw(name) if d.destination == "x-apprise" else d.destination,
                last_error=draw(text) if d.last_error else None,
            )
            for d in base.deliveries
        ),
        followups=(
            FollowUp(
                "f",
                draw(text),
                draw(name),
                FollowUpState.OPEN,
                fx.pst(9, 0, day=18),
                fx.pst(9, 0, day=12),
            ),
        ),
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)  # fmt: skip
@given(facts=facts_with_text())
def test_markdown_tables_keep_their_shape_and_text(facts: PostmortemFacts) -> None:
    md = render_markdown(facts, zone=fx.PST)
    tables = md_tables(md)  # every row has its header's number of cells
    assert [t.section for t in tables] == [
        "Summary",
        "Timeline of public updates",
        "Internal milestones and notes",
        "Component impact",
        "Communication figures",
        "Promised next updates",
        "Delivery",
        "Deliveries that needed retries or did not arrive",
        "Follow-ups",
    ]
    updates = md_table(md, "Timeline of public updates")
    assert [unescape_cell(c) for c in updates.column("Update")] == [
        expected_cell(u.body) for u in facts.updates
    ]
    assert [unescape_cell(c) for c in updates.column("Approver")] == [
        expected_cell(u.approver) for u in facts.updates
    ]
    components = md_table(md, "Component impact").column("Component")
    assert [unescape_cell(c) for c in components] == [
        expected_cell(c) for c in dict.fromkeys(facts.incident.components)
    ]
    # A real renderer agrees on every table and every cell.
    rendered = rendered_tables(md)
    assert len(rendered) == len(tables)
    for ours, theirs in zip(tables, rendered, strict=True):
        assert theirs[1:] == [[unescape_cell(c) for c in row] for row in ours.rows]
    title_line = md.split("\n", 1)[0]
    assert title_line.startswith("# Postmortem: INC-1 — ")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=facts_with_text())
def test_html_stays_well_formed_and_inert(facts: PostmortemFacts) -> None:
    root = check_html(render_html(facts, zone=fx.PST))
    assert not [e for e in root.iter() if str(e.tag).split("}")[-1] in ("script", "iframe")]
    h1 = root.find(".//h1")
    assert h1 is not None
    assert text_of(h1) == f"Postmortem: INC-1 — {as_xml_reads(facts.incident.title)}"
    (updates,) = html_section_tables(root, "updates")
    assert [row[3] for row in updates[1:]] == [as_xml_reads(u.body) for u in facts.updates]
    svg = root.find(f".//{SVG}svg")
    assert svg is not None
    rows = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "pmchart-row"]
    assert [g.get("data-component") for g in rows] == [
        xml_safe(c) for c in dict.fromkeys(facts.incident.components)
    ]  # attributes keep their line ends: ElementTree writes them as character references


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=facts_with_text())
def test_svg_parses_with_one_row_per_component_and_one_mark_per_update(
    facts: PostmortemFacts,
) -> None:
    root = ET.fromstring(incident_chart(facts, zone=fx.PST))
    assert not [e for e in root.iter() if str(e.tag).endswith("script")]
    groups = [g.get("class") for g in root.iter(f"{SVG}g")]
    assert groups.count("pmchart-row") == len(set(facts.incident.components))
    assert groups.count("pmchart-update") == len(facts.updates)
    title = root.find(f"{SVG}title")
    assert title is not None
    assert (title.text or "").startswith("INC-1: ")
    assert to_json(facts)["incident"]["title"] == facts.incident.title

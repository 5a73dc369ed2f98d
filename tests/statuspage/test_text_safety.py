"""Whatever anyone types, every public document stays valid for every reader.

Arbitrary Unicode (controls, noncharacters, unpaired surrogates, astral characters, invisible
ones) goes through declare → approve → update → approve, then through every document of the
status page: the live server's (HTML pages, ``/api/v2/*.json``, ``/history.atom``,
``/history.rss``) and the static export's. Each input is either refused with InvalidInput
before anything is written, or accepted, and then every feed parses with a strict XML parser,
every JSON document with ``json.loads``, and no page holds a character HTML forbids.

A second test writes a control character straight into the database, as a row stored before
these rules would hold it: the renderers strip it on the way out.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from commsbot.domain.errors import InvalidInput
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import Severity
from commsbot.domain.policy import Actor
from commsbot.engines.static_export import export_files
from commsbot.services.deps import Deps
from commsbot.services.drafts import approve_draft, propose_update
from commsbot.services.incidents import declare
from commsbot.services.statuspage import load_public_data
from commsbot.settings import parse_settings
from commsbot.statuspage.snapshot import render_snapshot
from commsbot.store.db import make_engine, upgrade
from commsbot.store.uow import unit_of_work_factory
from commsbot.templates import TemplateRenderer
from tests.unit.fakes import FakeClock, MemoryData, make_deps

MAYA, SAM = Actor("maya"), Actor("sam")
#: What the XML 1.0 Char production leaves out, plus what it and HTML discourage.
NOT_FOR_READERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    + "".join(chr(p << 16 | 0xFFFE) + chr(p << 16 | 0xFFFF) for p in range(1, 17))
    + "]"
)
NASTY = [
    "\x00",
    "\x07",
    "\x08",
    "\x0b",
    "\x0c",
    "\x1b",
    "\r",
    "\x7f",
    "\x85",
    "\x9b",
    "\ud800",
    "\udfff",
    "\ufdd0",
    "\ufffe",
    "\uffff",
    "\U0001fffe",
    "\U0010ffff",
    "\u200b",
    "\u2060",
    "\ufeff",
    "\u202e",
    "\u2028",
    "e\u0301",
    "]]>",
    "<",
    "&",
    "𝄞",
]
#: Anything at all: every code point (unpaired surrogates included) and the usual suspects.
ANY_TEXT = st.lists(
    st.one_of(st.characters(codec=None, exclude_categories=[]), st.sampled_from(NASTY)),
    max_size=30,
).map("".join)
#: Text people type, with what is allowed but tricky: format characters, separators, marks,
#: unassigned and private-use code points, astral characters, CR, LF and tab.
TYPED_TEXT = st.text(
    st.characters(
        codec=None,
        categories=["L", "M", "N", "P", "S", "Z", "Cf", "Co", "Cn"],
        include_characters="\r\n\t<>&]",
    ),
    min_size=1,
    max_size=30,
)
#: Mostly typed text, so that most examples get published and reach every document.
TEXT = st.sampled_from([TYPED_TEXT] * 4 + [ANY_TEXT]).flatmap(lambda kind: kind)


def fresh_deps() -> tuple[Deps, MemoryData]:
    # No catalogue: any component name that passes the rules is made on first use.
    deps, data, _ = make_deps(
        parse_settings({"page": {"name": "Acme Status", "url": "https://status.acme.test"}}),
        clock=FakeClock(),
    )
    return deps, data


def stored(data: MemoryData) -> tuple[int, ...]:
    return (
        len(data.incidents),
        len(data.drafts),
        len(data.updates),
        len(data.components),
        len(data.timeline),
        len(data.reminders),
    )


def every_document(deps: Deps) -> dict[str, bytes]:
    public = load_public_data(deps)
    live = {path: doc.body for path, doc in render_snapshot(public).documents.items()}
    exported = {f"export:{path}": body for path, body in export_files(public).items()}
    return live | exported


def as_feed_html(body: str) -> str:
    """An update's text as a feed entry's (escaped) HTML content carries it."""
    return html.escape(body, quote=False).replace("\n", "<br>")


def check_documents(documents: dict[str, bytes], *, expect: list[str]) -> None:
    """Every document valid for its readers; each of ``expect`` shows in the feeds as typed.

    JSON may carry any character (escaped where JSON says so): ``json.loads`` is its test.
    """
    for path, body in documents.items():
        text = body.decode("utf-8")  # strict: a lone surrogate could not even be encoded
        if path.endswith(".json"):
            json.loads(text)
            continue
        bad = NOT_FOR_READERS.search(text)
        assert bad is None, f"{path} holds U+{ord(bad.group()):04X}"
        if path.endswith((".atom", ".rss")):
            root = ET.fromstring(body)  # expat: refuses any character XML 1.0 does not allow
            feed_text = "".join(root.itertext())
            for wanted in expect:
                assert wanted in feed_text, (path, wanted)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(title=TEXT, body=st.none() | TEXT, component=TEXT, update=TEXT)
@example(title="API \x07down", body="ok", component="API", update="fine")
@example(title="API down", body="\ufffe", component="API", update="fine")
@example(title="API down", body="ok", component="Web\x1b[31m", update="fine")
@example(title="\u200b\u2060", body="ok", component="API", update="fine")
@example(title="Café e\u0301", body="a\r\nb ]]> <&>", component="API 𝄞", update="x\ry")
def test_arbitrary_text_is_refused_or_published_into_valid_documents(
    title: str, body: str | None, component: str, update: str
) -> None:
    deps, data = fresh_deps()

    before = stored(data)
    try:
        declared = declare(
            deps,
            title=title,
            severity=Severity.SEV2,
            components={component: None},
            actor=MAYA,
            body=body,
        )
    except InvalidInput:
        event("declaration refused")
        assert stored(data) == before  # refused before anything was written
        return
    event("declaration published")
    incident = declared.incident.incident
    approve_draft(deps, draft_id=declared.draft.id, actor=SAM)
    expect = [incident.title, as_feed_html(declared.draft.body)]

    before = stored(data)
    try:
        proposed = propose_update(
            deps, incident_ref=incident.ref, status=Status.IDENTIFIED, actor=MAYA, body=update
        )
    except InvalidInput:
        assert stored(data) == before
    else:
        event("update published")
        approve_draft(deps, draft_id=proposed.draft.id, actor=SAM)
        expect.append(as_feed_html(proposed.draft.body))

    # What was accepted is what the public reads (normalised, never silently altered later).
    check_documents(every_document(deps), expect=expect)


def test_rows_stored_before_the_rules_are_cleaned_on_the_way_out(tmp_path: Path) -> None:
    settings_ = parse_settings({"page": {"name": "Acme Status", "url": "https://status.acme.test"}})
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine)
    deps = Deps(
        uow=unit_of_work_factory(engine),
        reader=unit_of_work_factory(engine, read_only=True),
        settings=settings_,
        renderer=TemplateRenderer(zone=settings_.zone),
        clock=FakeClock(),
    )
    declared = declare(
        deps, title="API down", severity=Severity.SEV2, components={"API": None}, actor=MAYA
    )
    approve_draft(deps, draft_id=declared.draft.id, actor=SAM)
    # As an older commsbot let them in: a BEL in the title, ESC and U+FFFE in the text.
    with engine.begin() as conn:
        # (Migration 0007 copies an old published title into public_title, what the page shows.)
        conn.execute(
            sa.text("UPDATE incident SET title = 'API \x07down', public_title = 'API \x07down'")
        )
        conn.execute(sa.text("UPDATE incident_update SET body = 'We are \x1b[31mon it\ufffe'"))
        conn.execute(sa.text("UPDATE component SET name = 'A\x0cPI', description = '\x08'"))
        conn.execute(sa.text("UPDATE incident_component SET component_name = 'A\x0cPI'"))

    documents = every_document(deps)

    check_documents(documents, expect=["API down", "We are [31mon it"])
    page: Any = json.loads(documents["/api/v2/summary.json"])
    assert page["incidents"][0]["name"] == "API \x07down"  # JSON escapes it: still valid
    engine.dispose()


@pytest.mark.parametrize("path", ["/history.atom", "/history.rss"])
def test_a_feed_parses_with_minidom_too(path: str) -> None:
    from xml.dom import minidom

    deps, _ = fresh_deps()
    declared = declare(
        deps,
        title="Tabs\tand lines",
        severity=Severity.SEV2,
        components={"API": None},
        actor=MAYA,
        body="line one\nline two\twith a tab, <b>not bold</b> & ]]>",
    )
    approve_draft(deps, draft_id=declared.draft.id, actor=SAM)

    document = minidom.parseString(every_document(deps)[path])

    root = document.documentElement
    assert root is not None
    assert "not bold" in root.toxml()

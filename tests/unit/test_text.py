"""User text at the core's boundary: normalised, or refused with the character named."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commsbot.domain.errors import InvalidInput
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import ComponentStatus, Severity
from commsbot.domain.policy import Actor
from commsbot.domain.text import clean_text, forbidden_reason, is_invisible, sanitize_text
from commsbot.services.deps import Deps
from commsbot.services.drafts import approve_draft, edit_draft, propose_update, reject_draft
from commsbot.services.incidents import add_note, declare
from commsbot.services.reminders import add_followup, cancel_reminder, list_reminders
from tests.unit.fakes import MemoryData, make_deps

MAYA, SAM = Actor("maya"), Actor("sam")


def refusal(text: str, what: str = "incident title") -> str:
    with pytest.raises(InvalidInput) as caught:
        clean_text(text, what=what, limit=200)
    return str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "API \x07down",
            "the incident title contains U+0007 BELL at position 5; remove control characters "
            "(line breaks and tabs are fine)",
        ),
        ("\x1b[31mRed", "the incident title contains U+001B ESCAPE at position 1"),
        ("nul\x00", "the incident title contains U+0000 NULL at position 4"),
        ("del\x7f", "the incident title contains U+007F DELETE at position 4"),
        ("next\x85line", "the incident title contains U+0085 NEXT LINE at position 5"),
        ("csi\x9b", "the incident title contains U+009B CONTROL SEQUENCE INTRODUCER"),
        ("ok\ufffe", "contains U+FFFE (a Unicode noncharacter) at position 3; remove it"),
        ("ok\uffff", "contains U+FFFF (a Unicode noncharacter)"),
        ("\ufdd0x", "contains U+FDD0 (a Unicode noncharacter) at position 1"),
        ("x\U0001fffe", "contains U+1FFFE (a Unicode noncharacter)"),
        ("x\U0010ffff", "contains U+10FFFF (a Unicode noncharacter)"),
        ("lone \ud800", "contains U+D800 (an unpaired surrogate, not a character) at position 6"),
        ("form\x0cfeed", "contains U+000C FORM FEED"),
        ("vertical\x0btab", "contains U+000B LINE TABULATION"),
    ],
)
def test_control_characters_noncharacters_and_surrogates_are_refused_by_name(
    text: str, message: str
) -> None:
    assert message in refusal(text)


@pytest.mark.parametrize(
    "text",
    ["\u200b", " \u200b\u2060\ufeff ", "\u00ad", "\u3164", "\u0301", "\u202e", "\u2028", " \t\n"],
)
def test_text_of_only_invisible_characters_is_refused(text: str) -> None:
    message = refusal(text)

    assert "only invisible characters" in message or "is empty" in message
    assert "write what the public should read" in message


def test_the_invisible_refusal_names_what_it_found() -> None:
    assert refusal("\u200b\u2060") == (
        "the incident title has only invisible characters (U+200B ZERO WIDTH SPACE, "
        "U+2060 WORD JOINER); write what the public should read"
    )


def test_text_is_nfc_with_lf_line_endings_and_stripped() -> None:
    decomposed = "Cafe\u0301 down\r\nsecond line\rthird\t(tab kept)  "

    cleaned = clean_text(decomposed, what="update body", limit=200)

    assert cleaned == "Café down\nsecond line\nthird\t(tab kept)"
    assert unicodedata.is_normalized("NFC", cleaned)


def test_visible_text_with_invisible_characters_inside_is_kept() -> None:
    # Zero-width joiners make emoji sequences; soft hyphens and RTL marks are real typography.
    text = "Family 👨\u200d👩\u200d👧 and \u202bשלום\u202c and astral 𝄞"

    assert clean_text(text, what="update body", limit=200) == text


def test_the_limit_counts_characters_after_normalising() -> None:
    assert clean_text("e\u0301" * 3, what="title", limit=3) == "é" * 3
    with pytest.raises(InvalidInput, match="is 4 characters long; the most allowed is 3"):
        clean_text("abcd", what="title", limit=3)


@given(st.text(alphabet=st.characters(codec=None, categories=None)))
def test_sanitize_never_leaves_what_clean_text_refuses(text: str) -> None:
    cleaned = sanitize_text(text)

    assert all(forbidden_reason(ch) is None for ch in cleaned)
    # Only emptiness may remain a reason to refuse it.
    if any(not is_invisible(ch) for ch in cleaned):
        assert clean_text(cleaned, what="x", limit=10**6) == cleaned


# --- every use case that takes text ----------------------------------------------------------


def world() -> tuple[Deps, MemoryData, str, str]:
    deps, data, _ = make_deps()
    declared = declare(
        deps, title="API down", severity=Severity.SEV2, components={"API": None}, actor=MAYA
    )
    return deps, data, declared.incident.incident.ref, declared.draft.id


def test_every_use_case_refuses_control_characters_and_writes_nothing() -> None:
    deps, data, ref, draft_id = world()
    before = (
        len(data.incidents),
        len(data.drafts),
        len(data.timeline),
        len(data.components),
        len(data.reminders),
        data.drafts[draft_id].version,
    )
    bel = "bad\x07text"
    attempts: dict[str, Callable[[], object]] = {
        "incident title": lambda: declare(
            deps, title=bel, severity=Severity.SEV2, components={}, actor=MAYA
        ),
        "acknowledgment": lambda: declare(
            deps, title="ok", severity=Severity.SEV2, components={}, actor=MAYA, body=bel
        ),
        "component name": lambda: declare(
            deps, title="ok", severity=Severity.SEV2, components={"Web\x1b": None}, actor=MAYA
        ),
        "update body": lambda: propose_update(
            deps, incident_ref=ref, status=Status.INVESTIGATING, actor=MAYA, body=bel
        ),
        "reason": lambda: propose_update(
            deps, incident_ref=ref, status=Status.INVESTIGATING, actor=MAYA, reason=bel
        ),
        "component name ": lambda: propose_update(
            deps,
            incident_ref=ref,
            status=Status.INVESTIGATING,
            actor=MAYA,
            component_changes={"\ufffe": ComponentStatus.MAJOR_OUTAGE},
        ),
        "update body ": lambda: edit_draft(deps, draft_id=draft_id, actor=MAYA, body=bel),
        "rejection reason": lambda: reject_draft(deps, draft_id=draft_id, actor=SAM, reason=bel),
        "note": lambda: add_note(deps, incident_ref=ref, text=bel, actor=MAYA),
        "follow-up text": lambda: add_followup(
            deps, incident_ref=ref, owner="priya", due="3d", text=bel, actor=MAYA
        ),
        "owner": lambda: add_followup(
            deps, incident_ref=ref, owner="pri\x00ya", due="3d", text="ok", actor=MAYA
        ),
    }
    for what, attempt in attempts.items():
        with pytest.raises(InvalidInput) as caught:
            attempt()
        assert f"the {what.strip()} contains U+" in str(caught.value), what

    after = (
        len(data.incidents),
        len(data.drafts),
        len(data.timeline),
        len(data.components),
        len(data.reminders),
        data.drafts[draft_id].version,
    )
    assert after == before


def test_a_reminder_cancel_reason_is_checked_too() -> None:
    deps, _, ref, draft_id = world()
    approve_draft(deps, draft_id=draft_id, actor=SAM)
    reminder = list_reminders(deps, incident_ref=ref)[0].reminder

    with pytest.raises(InvalidInput, match=r"the reason contains U\+001B ESCAPE"):
        cancel_reminder(deps, reminder_id=reminder.id, actor=MAYA, reason="\x1b[2J")


def test_component_names_are_one_name_however_the_accent_was_typed() -> None:
    deps, data, _, _ = world()
    composed, decomposed = "Caf\u00e9", "Cafe\u0301"

    declare(deps, title="one", severity=Severity.SEV2, components={composed: None}, actor=MAYA)
    declare(deps, title="two", severity=Severity.SEV2, components={decomposed: None}, actor=MAYA)

    assert [n for n in data.components if n.startswith("Caf")] == [composed]


def test_a_platform_display_name_is_cleaned_not_refused() -> None:
    assert Actor("slack:U1", display=" Maya\x07 ").name == "Maya"
    assert Actor("slack:U1", display="\x1b\u200b").name == "slack:U1"

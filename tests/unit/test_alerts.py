"""The pure rules that turn an Alertmanager notification into an incident's parts."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from commsbot.domain.alerts import (
    MAX_COMPONENT_NAME,
    MAX_COMPONENTS,
    Alert,
    AlertNotification,
    describe,
    fit_title,
    map_components,
    pick_severity,
    scrub,
    visible,
)
from commsbot.domain.model import MAX_TITLE, Severity

TEMPLATE = "Service disruption affecting {components}"
names = st.lists(st.text(min_size=1, max_size=300), max_size=30)


def test_a_title_lists_as_many_names_as_fit_and_counts_the_rest() -> None:
    services = [f"service-{i:02d}-eu-west-1-primary-cluster" for i in range(12)]

    title, notes = fit_title(TEMPLATE, services)

    assert len(title) <= MAX_TITLE
    assert title.startswith("Service disruption affecting service-00-eu-west-1-primary-cluster, ")
    listed, hidden = title.removeprefix("Service disruption affecting ").rsplit(" and ", 1)
    assert len(listed.split(", ")) + int(hidden.removesuffix(" more")) == 12
    assert notes == [
        f"title lists {len(listed.split(', '))} of 12 components, to fit 200 characters"
    ]


def test_short_lists_are_written_out_in_full() -> None:
    assert fit_title(TEMPLATE, ["API", "Web"]) == ("Service disruption affecting API and Web", [])
    assert fit_title(TEMPLATE, [])[0] == "Service disruption affecting some of our services"


@given(template=st.sampled_from([TEMPLATE, "{components}", "{components} / {components} down"]),
       names=names)  # fmt: skip
@settings(max_examples=300, deadline=None)
def test_any_names_make_a_title_that_fits_and_shows_something(
    template: str, names: list[str]
) -> None:
    cleaned = [n for n in (scrub(n) for n in names) if visible(n)]

    title, _ = fit_title(template, cleaned)

    assert 0 < len(title) <= MAX_TITLE
    assert visible(title)
    assert title == title.strip()
    assert all(unicodedata.category(ch) != "Cc" for ch in title)


@given(values=st.lists(st.text(max_size=400), max_size=80))
@settings(max_examples=200, deadline=None)
def test_component_names_are_always_usable(values: list[str]) -> None:
    alerts = [Alert(status="firing", labels={"service": v}) for v in values]

    mapping = map_components(alerts, label="service", aliases={}, catalogue=[])

    assert len(mapping.names) <= MAX_COMPONENTS
    assert len({n.casefold() for n in mapping.names}) == len(mapping.names)
    for name in mapping.names:
        assert 0 < len(name) <= MAX_COMPONENT_NAME
        assert visible(name)
        assert not any(ch in name for ch in "=\n\r\t")
        assert scrub(name) == name


def test_a_catalogue_maps_names_case_insensitively_and_lists_the_rest() -> None:
    alerts = [Alert("firing", {"service": v}) for v in ("api", "API", "billing", "gw")]

    mapping = map_components(
        alerts, label="service", aliases={"gw": "Sora"}, catalogue=["API", "Sora"]
    )

    assert mapping.names == ["API", "Sora"]
    assert mapping.ignored == ["billing"]


def test_the_most_severe_mapped_severity_wins_and_unknown_ones_are_said() -> None:
    mapping = {"critical": Severity.SEV1, "warning": Severity.SEV3}
    mixed = [Alert("firing", {"severity": s}) for s in ("warning", "CRITICAL ", "p9")]
    unknown = [Alert("firing", {"severity": "p9"})]

    assert pick_severity(mixed, label="severity", mapping=mapping, default=Severity.SEV2) == (
        Severity.SEV1,
        [],
    )
    severity, notes = pick_severity(
        unknown, label="severity", mapping=mapping, default=Severity.SEV2
    )
    assert severity is Severity.SEV2
    assert notes == ["severity 'p9' is not mapped; used sev2 (the default)"]


def test_scrub_keeps_text_and_drops_what_cannot_be_stored_or_shown() -> None:
    assert scrub(" a\u0007b\u0000c\ud800d\ufffe\u001b[0m  e\nf ") == "abcd[0m e f"
    assert scrub("line\r\none\ttab", lines=True) == "line\none\ttab"
    assert scrub("e\u0301") == "\u00e9"  # NFC
    assert not visible(scrub("\u200b \u2060"))


def test_the_note_says_when_characters_were_dropped_from_what_alertmanager_sent() -> None:
    sent = AlertNotification(
        group_key="g",
        status="firing",
        alerts=(
            Alert(
                status="firing",
                labels={"alertname": "Bell\u0007Alert", "service": "Newsvc\u001b[31m"},
                annotations={"summary": "has \ufdd0 nonchar and \u0007 bell"},
            ),
        ),
    )
    clean = AlertNotification(
        group_key="g",
        status="firing",
        alerts=(
            Alert(status="firing", labels={"alertname": "A"}, annotations={"summary": "x\r\ny"}),
        ),
    )

    note = describe(sent, "opened INC-1")

    assert "BellAlert" in note
    assert (
        "Adjusted: control characters, noncharacters or unpaired surrogates were dropped from 3 "
        "label or annotation value(s)"
    ) in note
    assert "Adjusted" not in describe(clean, "opened INC-1")

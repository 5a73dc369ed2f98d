"""The /incident grammar: examples, and hypothesis for anything anyone might type."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack.parse import (
    ME,
    SUBCOMMANDS,
    Approve,
    Declare,
    EditIncident,
    Help,
    ListIncidents,
    Note,
    Reject,
    ShowStatus,
    Timeline,
    Update,
    UsageError,
    help_text,
    incident_ref,
    parse,
)
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import ComponentStatus, Severity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Help()),
        ("help update", Help(topic="update")),
        (
            "declare sev1 ChatGPT, API and Sora unavailable",
            Declare(title="ChatGPT, API and Sora unavailable", severity=Severity.SEV1),
        ),
        ("DECLARE Sev-2", Declare(severity=Severity.SEV2)),
        ("declare", Declare()),
        (
            "declare Payments down | Payments=major_outage, Checkout",
            Declare(
                title="Payments down",
                components={"Payments": ComponentStatus.MAJOR_OUTAGE, "Checkout": None},
            ),
        ),
        ("update", Update()),
        ("update #7", Update(incident="INC-7")),
        (
            "update inc-7 monitoring Rolling out | API=degraded performance",
            Update(
                incident="INC-7",
                status=Status.FIXING,
                body="Rolling out",
                components={"API": ComponentStatus.DEGRADED_PERFORMANCE},
            ),
        ),
        (
            "update 7 reopen errors are back",
            Update(incident="INC-7", status=Status.INVESTIGATING, reason="errors are back"),
        ),
        ("update 7 postmortem", Update(incident="INC-7", postmortem=True)),
        ("status", ShowStatus()),
        ("show INC-3", ShowStatus(incident="INC-3")),
        ("list open", ListIncidents(open_only=True)),
        ("approve k2v9x0q7ab1c V3", Approve(draft_id="k2v9x0q7ab1c", version=3)),
        (
            "reject k2v9x0q7ab1c say when it started",
            Reject(draft_id="k2v9x0q7ab1c", reason="say when it started"),
        ),
        ("timeline 3", Timeline(incident="INC-3")),
        (
            "note INC-3 DNS &lt;kube-dns&gt; errors",
            Note(incident="INC-3", text="DNS <kube-dns> errors"),
        ),
        ("edit INC-3 sev1", EditIncident(incident="INC-3", severity=Severity.SEV1)),
        ("edit 3 Logins fail", EditIncident(incident="INC-3", title="Logins fail")),
        (
            "edit #3 SEV-2 Slow logins in the EU",
            EditIncident(incident="INC-3", severity=Severity.SEV2, title="Slow logins in the EU"),
        ),
        ("handoff INC-3 me", EditIncident(incident="INC-3", commander=ME)),
        ("handoff INC-3 Me", EditIncident(incident="INC-3", commander=ME)),
        (
            "handoff INC-3 slack:U024BE7LH",
            EditIncident(incident="INC-3", commander="slack:U024BE7LH"),
        ),
        (
            "handoff INC-3 &lt;@U024BE7LH|sam&gt;",
            EditIncident(incident="INC-3", commander="slack:U024BE7LH"),
        ),
    ],
)
def test_examples(text: str, expected: object) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "topic", "says"),
    [
        ("escalate INC-1", None, "unknown subcommand 'escalate'"),
        ("update INC-1 sideways", "update", "unknown status 'sideways'"),
        ("update INC-1 progress", "update", "needs its text"),
        ("update INC-1 reopen", "update", "needs a reason"),
        ("update INC-1 fixing | API=meh", "update", "unknown status 'meh'"),
        ("update INC-1 fixing text |", "update", "nothing after '|'"),
        ("declare | API", "declare", "no title"),
        ("approve abc v", "approve", "v2 or 2"),
        ("reject abc", "reject", "needs a reason"),
        ("timeline", "timeline", "needs an incident"),
        ("list everything", "list", "'open' or nothing"),
        ("help nothing", "help", "no subcommand 'nothing'"),
        ("edit INC-1", "edit", "needs a new severity (sev1-4), a new title, or both"),
        ("edit INC-1 sev5", "edit", "unknown severity 'sev5'; write sev1, sev2, sev3 or sev4"),
        ("edit sev1", "edit", "needs an incident"),
        ("declare sev0 Outage", "declare", "unknown severity 'sev0'"),
        ("handoff INC-1", "handoff", "needs who takes over"),
        ("handoff INC-1 @sam", "handoff", "'@sam' does not say which member that is"),
        ("handoff INC-1 sam lee", "handoff", "takes one person"),
    ],
)
def test_usage_errors_name_the_problem_and_the_right_usage(
    text: str, topic: str | None, says: str
) -> None:
    with pytest.raises(UsageError) as error:
        parse(text)
    assert error.value.topic == topic
    assert says in error.value.message
    shown = error.value.render("/incident")
    assert help_text("/incident", topic) in shown


def test_help_lists_every_subcommand_from_the_registry() -> None:
    text = help_text("/inc")
    for spec in SUBCOMMANDS.values():
        assert f"`/inc {spec.usage}`" in text
        assert spec.summary in text


def test_incident_refs() -> None:
    assert incident_ref("INC-42") == "INC-42"
    assert incident_ref("inc42") == "INC-42"
    assert incident_ref("#0042") == "INC-42"
    assert incident_ref("k2v9x0q7ab1c") == "k2v9x0q7ab1c"
    assert incident_ref("tomorrow") is None


words = st.sampled_from(
    [
        *SUBCOMMANDS,
        "INC-1",
        "7",
        "#3",
        "sev1",
        "sev9",
        "identified",
        "progress",
        "reopen",
        "postmortem",
        "edit",
        "handoff",
        "me",
        "@sam",
        "sev9",
        "|",
        "=",
        ",",
        "v2",
        "API=major_outage",
        "API=",
        "=x",
        "&lt;",
        "&amp;",
        "\n",
    ]
)
typed = st.one_of(
    st.text(max_size=80),
    st.lists(st.one_of(words, st.text(max_size=8)), max_size=10).map(" ".join),
)


@settings(max_examples=400, deadline=None)
@given(typed)
def test_anything_typed_parses_or_gets_the_right_usage(text: str) -> None:
    refused: UsageError | None = None
    try:
        command: object = parse(text)
    except UsageError as error:
        refused, command = error, None
    if refused is None:
        assert isinstance(
            command,
            Help
            | Declare
            | Update
            | ShowStatus
            | ListIncidents
            | Approve
            | Reject
            | Timeline
            | Note
            | EditIncident,
        )
        return
    first = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").split()
    name = first[0].lower() if first else ""
    name = {"?": "help", "-h": "help", "--help": "help", "ls": "list", "show": "status"}.get(
        name, name
    )
    assert refused.topic == (name if name in SUBCOMMANDS else None)
    assert refused.message
    assert help_text("/incident", refused.topic) in refused.render("/incident")

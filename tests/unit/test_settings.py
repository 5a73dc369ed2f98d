"""Configuration: defaults with no file, clear errors for bad values."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from commsbot.domain.model import ComponentStatus, Severity
from commsbot.settings import ConfigError, load_settings, parse_settings, redact_url


def test_runs_with_no_file_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.db_url == "sqlite:///commsbot.db"
    assert settings.timezone == "UTC"
    assert settings.cadence(Severity.SEV1) == timedelta(minutes=30)
    assert settings.cadence(Severity.SEV4) is None
    assert settings.policy().allow_self_approval is False


def test_reads_the_file_named_by_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "team.toml"
    config.write_text(
        """
timezone = "America/Los_Angeles"
[[components]]
name = "ChatGPT"
[severities.sev2]
cadence_minutes = 45
approvers = ["slack-group:S0COMMS"]
[approval]
allow_self_approval = true
""",
        encoding="utf-8",
    )
    settings = load_settings(
        environ={"COMMSBOT_CONFIG": str(config), "COMMSBOT_DATABASE_URL": "sqlite:///x.db"}
    )
    assert settings.timezone == "America/Los_Angeles"
    assert [c.name for c in settings.components] == ["ChatGPT"]
    assert settings.cadence(Severity.SEV2) == timedelta(minutes=45)
    assert settings.cadence(Severity.SEV1) == timedelta(minutes=30)  # default kept
    # Keys the table leaves out keep sev2's defaults.
    assert settings.severities[Severity.SEV2].default_impact is ComponentStatus.PARTIAL_OUTAGE
    assert settings.policy().approvers_for(Severity.SEV2) == {"slack-group:S0COMMS"}
    assert settings.policy().allow_self_approval
    assert settings.db_url == "sqlite:///x.db"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone = 'Mars/Olympus': unknown time zone; use an IANA"),
        (
            {"severities": {"sev1": {"cadence_minutes": "soon"}}},
            "severities.sev1.cadence_minutes = 'soon': Input should be a valid integer",
        ),
        (
            {"severities": {"sev5": {}}},
            "severities.sev5 = 'sev5': must be one of 'sev1', 'sev2', 'sev3' or 'sev4'",
        ),
        (
            {"severities": {"sev2": {"default_impact": "broken"}}},
            "severities.sev2.default_impact = 'broken': must be one of 'operational'",
        ),
        ({"componets": []}, "componets: unknown key; check its spelling"),
        (
            {"components": [{"name": "API"}, {"name": "api"}]},
            "component 'api' is listed twice",
        ),
        ({"approval": {"allow_self_approval": "maybe"}}, "approval.allow_self_approval = 'maybe'"),
    ],
)
def test_bad_values_name_key_value_and_what_is_valid(
    data: dict[str, object], expected: str
) -> None:
    with pytest.raises(ConfigError) as err:
        parse_settings(data, source="commsbot.toml")
    assert expected in str(err.value)
    assert str(err.value).startswith("commsbot.toml: 1 bad setting(s):")


def test_missing_or_broken_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", environ={})
    broken = tmp_path / "broken.toml"
    broken.write_text("timezone = ", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_settings(broken, environ={})


def test_redact_url() -> None:
    assert redact_url("postgresql://u:secret@db:5432/x") == "postgresql://u:***@db:5432/x"
    assert redact_url("sqlite:///commsbot.db") == "sqlite:///commsbot.db"


def test_http_host_from_the_environment_overrides_the_file(tmp_path: Path) -> None:
    # The container image sets COMMSBOT_HTTP_HOST=0.0.0.0: a mounted file written for a laptop
    # (host = "127.0.0.1") must not leave the server unreachable from outside the container.
    config = tmp_path / "commsbot.toml"
    config.write_text('[http]\nhost = "127.0.0.1"\nport = 8081\n', encoding="utf-8")
    env = {"COMMSBOT_CONFIG": str(config), "COMMSBOT_HTTP_HOST": "0.0.0.0"}
    settings = load_settings(environ=env)
    assert (settings.http.host, settings.http.port) == ("0.0.0.0", 8081)
    assert load_settings(environ={"COMMSBOT_CONFIG": str(config)}).http.host == "127.0.0.1"
    assert load_settings(environ={**env, "COMMSBOT_HTTP_HOST": ""}).http.host == "127.0.0.1"


def test_a_severity_table_changes_only_the_keys_it_names() -> None:
    settings = parse_settings(
        {
            "severities": {
                "sev1": {"approvers": ["sam"]},
                "sev3": {"default_impact": "partial_outage"},
                "sev4": {"cadence_minutes": 240},
            }
        }
    )

    sev1, sev3, sev4 = (
        settings.severities[s] for s in (Severity.SEV1, Severity.SEV3, Severity.SEV4)
    )
    # Writing only approvers keeps sev1's 30-minute cadence and its default impact.
    assert (sev1.cadence_minutes, sev1.default_impact) == (30, ComponentStatus.MAJOR_OUTAGE)
    assert settings.policy().approvers_for(Severity.SEV1) == {"sam"}
    assert (sev3.cadence_minutes, sev3.default_impact) == (120, ComponentStatus.PARTIAL_OUTAGE)
    assert (sev4.cadence_minutes, sev4.default_impact) == (
        240,
        ComponentStatus.DEGRADED_PERFORMANCE,
    )
    assert settings.severities[Severity.SEV2] == parse_settings({}).severities[Severity.SEV2]


def test_a_missing_or_folder_configuration_file_blames_where_its_path_came_from(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as given:
        load_settings(missing, environ={}, dotenv=False)
    with pytest.raises(ConfigError) as from_env:
        load_settings(environ={"COMMSBOT_CONFIG": str(missing)}, dotenv=False)
    with pytest.raises(ConfigError) as folder:
        load_settings(tmp_path, environ={}, dotenv=False)

    assert str(given.value).startswith(f"configuration file {missing} does not exist;")
    assert "drop --config to run on defaults" in str(given.value)
    assert "COMMSBOT_CONFIG" not in str(given.value)
    assert "unset COMMSBOT_CONFIG to run on defaults" in str(from_env.value)
    assert str(folder.value).startswith(f"configuration file {tmp_path} is a folder, not a file;")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"destinations": [{"name": "x", "type": "webhook", "url": "ftp://x"}]},
            "destinations.0.url = 'ftp://x': must be an http:// or https:// URL (without spaces)",
        ),
        (
            {"destinations": [{"name": "x", "type": "webhook", "url_env": "1bad"}]},
            "destinations.0.url_env = '1bad': must be the name of an environment variable",
        ),
        (
            {"reminders": {"rca_due_time": "25:00"}},
            'write a time of day as HH:MM (24-hour), e.g. "17:00"',
        ),
    ],
)
def test_a_bad_value_is_told_what_is_valid_in_words(data: dict[str, object], expected: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_settings(data)

    assert expected in str(refused.value)
    assert "should match pattern" not in str(refused.value)

"""The ``[http]`` section of ``commsbot.toml`` (and its ``[http.alertmanager]`` table)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from commsbot.domain.model import Severity


class AlertmanagerConfig(BaseModel):
    """How Alertmanager alerts become incidents.

    Attributes:
        component_label: the alert label whose value names the affected component.
        components: label value → component name, for values that are not component names
            (``"api-gateway" = "API"``); other values are used as they are. With a configured
            catalogue, values that name no configured component are ignored (and said so).
        severity_label: the alert label that carries the severity.
        severities: that label's value → commsbot severity.
        default_severity: for alerts without (or with an unknown) severity label.
        title: the public incident title; ``{components}`` becomes "ChatGPT and API" (as many
            names as fit in 200 characters: "API, Web and 6 more"). Alert names and summaries
            stay internal (they go to the timeline), as they are written for engineers.
        max_body_bytes: the largest notification accepted (it grows with the number of alerts;
            Alertmanager's ``max_alerts`` bounds it at the source).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    component_label: str = Field(default="service", min_length=1, max_length=100)
    components: dict[str, str] = Field(default_factory=dict)
    severity_label: str = Field(default="severity", min_length=1, max_length=100)
    severities: dict[str, Severity] = Field(
        default_factory=lambda: {
            "critical": Severity.SEV1,
            "page": Severity.SEV1,
            "error": Severity.SEV2,
            "major": Severity.SEV2,
            "warning": Severity.SEV3,
            "minor": Severity.SEV3,
            "info": Severity.SEV4,
        }
    )
    default_severity: Severity = Severity.SEV2
    title: str = Field(default="Service disruption affecting {components}", max_length=150)
    max_body_bytes: int = Field(default=16 * 1_048_576, ge=1024, le=256 * 1_048_576)

    @field_validator("title")
    @classmethod
    def _only_components_placeholder(cls, value: str) -> str:
        try:
            value.format(components="x")
        except (KeyError, IndexError, ValueError):
            raise ValueError(
                "the only placeholder allowed is {components}; write other braces as {{ }}"
            ) from None
        return value


class HttpConfig(BaseModel):
    """The HTTP server: public status page, private API, Alertmanager receiver, health.

    Attributes:
        enabled: serve HTTP from ``commsbot run``.
        host: the address to listen on; loopback by default (put a proxy in front).
        port: the TCP port; 0 picks a free one (tests).
        public_max_age: seconds browsers and CDNs may cache public pages (``Cache-Control``).
        max_body_bytes: the largest request body accepted (413 beyond).
        alertmanager: the ``[http.alertmanager]`` table.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    host: str = Field(default="127.0.0.1", min_length=1)
    port: int = Field(default=8080, ge=0, le=65535)
    public_max_age: int = Field(default=10, ge=0, le=86_400)
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    alertmanager: AlertmanagerConfig = Field(default_factory=AlertmanagerConfig)

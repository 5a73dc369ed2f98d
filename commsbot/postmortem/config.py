"""The ``[postmortem]`` section of ``commsbot.toml``."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator


class PostmortemConfig(BaseModel):
    """How postmortems are written and how often ``/metrics`` recomputes the comms figures.

    Attributes:
        template: a Jinja2 file that replaces the built-in Markdown postmortem (start from
            ``commsbot/postmortem/templates/postmortem.md.j2``; relative to the working
            folder). Unset: the built-in one.
        html_template: the same for the HTML document (autoescaped; ``chart_svg`` holds the
            chart).
        metrics_max_age_seconds: ``/metrics`` recomputes the comms figures from the database
            when a scrape finds them older than this, or sooner when an update was published.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    template: Path | None = None
    html_template: Path | None = None
    metrics_max_age_seconds: int = Field(default=60, ge=1, le=86_400)

    @field_validator("template", "html_template")
    @classmethod
    def _file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(
                "no such file; create it (copy a built-in template) or remove the setting"
            )
        return value

"""The status page's keys in ``commsbot.toml``: ``[page]``, and ``type = "static-export"``
destinations. Light on purpose: read on every CLI start."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator

from commsbot.domain.errors import InvalidInput
from commsbot.domain.text import clean_name


def public_name(value: str | None) -> str | None:
    """A pydantic validator for names the public sees: the rules of any name a person types."""
    # Shown on the status page and in its feeds: the same rules as any name a person types.
    if value is None:
        return None
    try:
        return clean_name(value, what="name", limit=100, forbidden="=")
    except InvalidInput as exc:
        raise ValueError(str(exc)) from None


class PageConfig(BaseModel):
    """The public status page's identity.

    Attributes:
        name: the page's title.
        url: where the public reaches the page; links in every update point there.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "Status"
    url: str = "http://127.0.0.1:8080"

    _name = field_validator("name")(public_name)


class StaticExportOptions(BaseModel):
    """Where a ``type = "static-export"`` destination writes the static status page.

    ::

        [[destinations]]
        name = "status-export"
        type = "static-export"
        directory = "/srv/status"     # rewritten whole after every publish

    Attributes:
        directory: the folder, rewritten whole (swapped in) after every publish.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    directory: Path

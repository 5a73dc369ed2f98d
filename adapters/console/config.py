"""Keys of ``type = "console"`` entries (none needed)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class ConsoleOptions(BaseModel):
    """Where the console prints.

    Attributes:
        stream: ``stdout`` (the default) or ``stderr``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    stream: Literal["stdout", "stderr"] = "stdout"

"""Keys of a ``type = "static-export"`` destination. Light on purpose: read on every CLI start.

::

    [[destinations]]
    name = "status-export"
    type = "static-export"
    directory = "/srv/status"     # rewritten whole after every publish
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict


class StaticExportOptions(BaseModel):
    """Where the static status page is written (see ``commsbot.statuspage.export``).

    Attributes:
        directory: the folder, rewritten whole (swapped in) after every publish.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    directory: Path

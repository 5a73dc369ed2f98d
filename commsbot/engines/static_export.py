"""Static export: the same pages, JSON and feeds as files, for hosting apart from the service.

A status page should not go down with the service it reports on: ``commsbot statuspage export
DIR`` writes a folder that any static host (a bucket, GitHub Pages, a CDN, another nginx) can
serve. Layout::

    DIR/index.html                     the front page
    DIR/history/index.html             incident history
    DIR/incidents/<id>/index.html      one page per incident or scheduled maintenance
    DIR/incidents/<id>/postmortem/index.html   its published root-cause analysis, if any
    DIR/history.atom  DIR/history.rss  feeds
    DIR/maintenance.ics                the scheduled maintenance calendar (iCalendar)
    DIR/api/v2/summary.json …          every JSON endpoint of STATUSPAGE.md
    DIR/404.html                       for hosts that serve one
    DIR/.commsbot-export               marks the folder as ours (see below)

Beside ``DIR``, ``.DIR.lock`` makes concurrent exports to the same folder take turns.
The export is written to a new folder beside ``DIR`` and then renamed into place, so a host never
serves a half-written export. Because the old ``DIR`` is deleted, commsbot refuses to replace a
non-empty folder that it did not write (no ``.commsbot-export`` file).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from commsbot.delivery.ports import DeliveryFailed, MaintenanceOutbound, Outbound, Receipt
from commsbot.domain.errors import InvalidInput
from commsbot.services.statuspage import load_public_data
from commsbot.settings import ConfigError
from commsbot.statuspage import feeds, html, v2
from commsbot.statuspage.data import PublicData
from commsbot.statuspage.snapshot import CALENDAR_PATH, calendar, json_bytes

if TYPE_CHECKING:
    from commsbot.delivery.config import DestinationConfig
    from commsbot.engines.targets import AdapterContext

MARKER_FILE = ".commsbot-export"


def export_files(data: PublicData) -> dict[str, bytes]:
    """Relative file path → bytes, for every file of an export of ``data``."""
    files = {path.lstrip("/"): json_bytes(doc) for path, doc in v2.documents(data).items()}
    files["history.atom"] = feeds.atom(data)
    files["history.rss"] = feeds.rss(data)
    # Relative links, so the folder works under any path of any host, and from disk.
    files["index.html"] = html.index(data, links=html.Links(root="", static=True)).encode()
    files["history/index.html"] = html.history_page(
        data, links=html.Links(root="../", static=True)
    ).encode()
    deep = html.Links(root="../../", static=True)
    deeper = html.Links(root="../../../", static=True)
    for item in data.incidents:
        files[f"incidents/{item.id}/index.html"] = html.incident_page(
            data, item, links=deep
        ).encode()
        if item.document is not None:
            files[f"incidents/{item.id}/postmortem/index.html"] = html.postmortem_page(
                data, item, links=deeper
            ).encode()
    for m in data.maintenances:
        files[f"incidents/{m.id}/index.html"] = html.maintenance_page(data, m, links=deep).encode()
    files[CALENDAR_PATH.lstrip("/")] = calendar(data)
    # Hosts serve it at any missing path, so its links assume the export is the site's root.
    files["404.html"] = html.not_found_page(data, links=html.Links(root="/", static=True)).encode()
    return files


@contextlib.contextmanager
def _locked(target: Path) -> Iterator[None]:
    # Two exporters (a retry beside the CLI, two replicas on a shared disk) take turns.
    lock_path = target.with_name(f".{target.name}.lock")
    with open(lock_path, "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _check_replaceable(target: Path) -> None:
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise InvalidInput(f"{target} exists and is not a folder; export to a folder")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER_FILE).exists():
        raise InvalidInput(
            f"{target} is a folder with files commsbot did not write (no {MARKER_FILE}); "
            "export to an empty or new folder, so nothing of yours is replaced"
        )


def write_export(data: PublicData, target: Path) -> int:
    """Write the export of ``data`` to ``target``, replacing an earlier export whole.

    Returns:
        How many files were written.

    Raises:
        InvalidInput: ``target`` is not a folder, or holds files commsbot did not write.
        OSError: the disk refused (nothing at ``target`` was changed).
    """
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    files = export_files(data)
    with _locked(target):
        _check_replaceable(target)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
        try:
            for name, body in files.items():
                path = staging / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(body)
            (staging / MARKER_FILE).write_text("written by commsbot statuspage export\n")
            staging.chmod(0o755)  # mkdtemp makes it 0700; a web server must read it
            _swap(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return len(files)


def _swap(staging: Path, target: Path) -> None:
    """Put ``staging`` at ``target``: two renames, the old export deleted afterwards."""
    if not target.exists():
        os.rename(staging, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rmdir(old)
    os.rename(target, old)
    try:
        os.rename(staging, target)
    except OSError:
        os.rename(old, target)  # put the previous export back rather than leave nothing
        raise
    shutil.rmtree(old, ignore_errors=True)


class StaticExportDestination:
    """A broadcast destination that re-exports the static page after each publish.

    Implements :class:`commsbot.delivery.ports.Destination`. The delivered item itself is not
    used: the whole page is rendered again from the database, which already holds the update.

    Args:
        directory: the export folder.
        load: reads the public data (``lambda: load_public_data(deps)``).
        name: the destination's name in the delivery ledger.
    """

    def __init__(
        self, *, directory: Path, load: Callable[[], PublicData], name: str = "static-export"
    ) -> None:
        self.name = name
        self.directory = directory
        self._load = load

    def export(self) -> int:
        """Export now (blocking); returns the number of files written."""
        return write_export(self._load(), self.directory)

    async def deliver(self, item: Outbound) -> Receipt:
        """Re-export; idempotent (a repeat writes the same files again)."""
        return await self._export()

    async def deliver_maintenance(self, item: MaintenanceOutbound) -> Receipt:
        """Re-export after a maintenance notice (the calendar and the pages carry it)."""
        return await self._export()

    async def _export(self) -> Receipt:
        try:
            count = await asyncio.to_thread(self.export)
        except InvalidInput as exc:
            raise DeliveryFailed(str(exc), retryable=False) from exc
        except OSError as exc:
            raise DeliveryFailed(f"cannot write {self.directory}: {exc}") from exc
        return Receipt(note=f"exported {count} files to {self.directory}")


def make_destination(config: DestinationConfig, context: AdapterContext) -> StaticExportDestination:
    """The broadcast engine's factory for ``type = "static-export"`` destinations.

    Args:
        config: the ``[[destinations]]`` entry; ``config.options`` is a
            :class:`~commsbot.statuspage.config.StaticExportOptions`.
        context: its ``deps`` read the public data (read-only units of work).
    """
    deps = context.deps
    if deps is None:
        raise ConfigError(
            f"destination {config.name!r} (type static-export): made without a database to read"
        )
    return StaticExportDestination(
        directory=Path(config.options.directory),
        load=lambda: load_public_data(deps),
        name=config.name,
    )

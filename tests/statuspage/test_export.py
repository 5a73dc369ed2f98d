"""The static export: the same documents as files, swapped into place whole."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from commsbot.delivery.ports import DeliveryFailed
from commsbot.domain.errors import InvalidInput
from commsbot.engines.static_export import MARKER_FILE, StaticExportDestination, write_export
from commsbot.services.statuspage import load_public_data
from commsbot.statuspage import v2
from commsbot.statuspage.snapshot import render_snapshot
from tests.statuspage.scenario import fake_world


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def test_export_writes_every_page_feed_and_json_document(tmp_path: Path) -> None:
    deps, _, _, built = fake_world()
    data = load_public_data(deps)
    target = tmp_path / "site"

    count = write_export(data, target)

    names = files_under(target)
    expected = {p.lstrip("/") for p in v2.PATHS} | {
        "index.html",
        "history/index.html",
        "history.atom",
        "history.rss",
        "maintenance.ics",
        "404.html",
        f"incidents/{built.open_id}/index.html",
        f"incidents/{built.resolved_id}/index.html",
        MARKER_FILE,
    }
    assert names == expected
    assert count == len(expected) - 1
    live = render_snapshot(data)
    for path in v2.PATHS:
        assert json.loads((target / path.lstrip("/")).read_bytes()) == json.loads(
            live.documents[path].body
        )
    assert (target / "history.atom").read_bytes() == live.documents["/history.atom"].body
    # Nothing left beside it.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.lock", "site"]


def test_every_relative_link_in_the_exported_html_points_at_an_exported_file(
    tmp_path: Path,
) -> None:
    deps, _, _, _ = fake_world()
    target = tmp_path / "site"
    write_export(load_public_data(deps), target)

    checked = 0
    for page in target.rglob("index.html"):
        for href in re.findall(r'href="([^"]+)"', page.read_text()):
            if href.startswith(("http://", "https://", "/")):
                continue
            assert (page.parent / href).resolve().is_file(), f"{page}: {href}"
            checked += 1
    assert checked > 20


def test_a_new_export_replaces_the_old_one_whole(tmp_path: Path) -> None:
    deps, _, _, _ = fake_world()
    target = tmp_path / "site"
    write_export(load_public_data(deps), target)
    (target / "stale.html").write_text("from an older export")

    write_export(load_public_data(deps), target)

    assert not (target / "stale.html").exists()
    assert (target / "index.html").is_file()


def test_a_folder_commsbot_did_not_write_is_refused_and_left_alone(tmp_path: Path) -> None:
    deps, _, _, _ = fake_world()
    target = tmp_path / "mine"
    target.mkdir()
    (target / "thesis.tex").write_text("precious")

    with pytest.raises(InvalidInput, match="commsbot did not write"):
        write_export(load_public_data(deps), target)

    assert files_under(target) == {"thesis.tex"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".mine.lock", "mine"]


def test_the_destination_re_exports_on_every_delivery(tmp_path: Path) -> None:
    deps, _, _, _ = fake_world()
    target = tmp_path / "site"
    destination = StaticExportDestination(directory=target, load=lambda: load_public_data(deps))

    receipt = asyncio.run(destination.deliver(None))  # type: ignore[arg-type]

    assert destination.name == "static-export"
    assert receipt.note is not None
    assert str(target) in receipt.note
    assert (target / "api/v2/summary.json").is_file()


def test_the_destination_reports_a_refused_folder_as_not_retryable(tmp_path: Path) -> None:
    deps, _, _, _ = fake_world()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    destination = StaticExportDestination(
        directory=tmp_path / "mine", load=lambda: load_public_data(deps)
    )

    with pytest.raises(DeliveryFailed) as failed:
        asyncio.run(destination.deliver(None))  # type: ignore[arg-type]

    assert failed.value.retryable is False


def test_the_cli_exports_from_the_database(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMSBOT_")}
    env["COMMSBOT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    run = subprocess.run(
        [sys.executable, "-m", "commsbot", "statuspage", "export", "out", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["directory"] == str(tmp_path / "out")
    summary = json.loads((tmp_path / "out/api/v2/summary.json").read_text())
    assert summary["incidents"] == []


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            "afile/sub",
            "afile is a file, not a folder; export to a folder that is not inside a file",
        ),
        # /proc takes no new folders, even from root.
        ("/proc/nope/x", "No such file or directory (/proc/nope); export to a folder you can"),
    ],
)
def test_the_cli_refuses_a_folder_it_cannot_write_in_one_line(
    tmp_path: Path, target: str, expected: str
) -> None:
    (tmp_path / "afile").write_text("mine")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMSBOT_")}
    env["COMMSBOT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    run = subprocess.run(
        [sys.executable, "-m", "commsbot", "statuspage", "export", target],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    [line] = run.stderr.strip().splitlines()
    assert line.startswith(f"error: cannot export to {target}: "), line
    assert expected in line
    assert (tmp_path / "afile").read_text() == "mine"

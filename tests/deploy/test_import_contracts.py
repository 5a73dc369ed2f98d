"""The import contracts in pyproject.toml can fail: a copy of the code with one bad import
breaks ``lint-imports``, naming the import (``make lint`` runs it on the real code)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("commsbot", "adapters"):
        shutil.copytree(ROOT / package, tree / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("module", "bad_import", "broken"),
    [
        # Upward, and inside a function: import-linter counts those too.
        (
            "commsbot/domain/model.py",
            "def _upward() -> None:\n    from commsbot.services import drafts  # noqa\n",
            "commsbot.domain.model -> commsbot.services.drafts",
        ),
        (
            "adapters/slack/__init__.py",
            "import commsbot.store.uow  # noqa\n",
            "adapters.slack -> commsbot.store.uow",
        ),
        (
            "commsbot/services/drafts.py",
            "def _platform() -> None:\n    import adapters.console  # noqa\n",
            "commsbot.services.drafts -> adapters.console",
        ),
    ],
)
def test_one_bad_import_breaks_the_contracts(
    tmp_path: Path, module: str, bad_import: str, broken: str
) -> None:
    tree = _copy(tmp_path)
    target = tree / module
    target.write_text(target.read_text(encoding="utf-8") + "\n\n" + bad_import, encoding="utf-8")

    result = _lint(tree)

    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout
    assert broken in result.stdout, result.stdout

"""Real outside programs some tests drive (Alertmanager, promtool), found or skipped.

``.ci/run`` installs them from Debian. Elsewhere a test that needs a missing one is skipped,
saying which package to install; under CI (``CI`` set) a missing one fails instead.
"""

from __future__ import annotations

import os
import shutil

import pytest


def binary(*names: str, package: str, purpose: str) -> str:
    """The path of the first of ``names`` on PATH; skips (fails under CI) when none is."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    reason = (
        f"{' / '.join(names)} not found; install Debian's {package} "
        f"(apt-get install {package}; .ci/run does) to {purpose}"
    )
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {reason}", pytrace=False)
    pytest.skip(reason)

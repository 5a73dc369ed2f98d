"""Run ``async def`` tests of this folder on a fresh event loop each (no plugin needed)."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest

#: No test here may hang the suite: each gets at most this long.
TEST_TIMEOUT = 30.0


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    func = pyfuncitem.obj
    if not inspect.iscoroutinefunction(func):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    kwargs: dict[str, Any] = {name: pyfuncitem.funcargs[name] for name in names}
    asyncio.run(asyncio.wait_for(func(**kwargs), TEST_TIMEOUT))
    return True

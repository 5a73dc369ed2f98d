"""``python -m tests.delivery.dispatcher_process CONFIG``: only the dispatcher of ``commsbot run``.

The crash test kills this process with SIGKILL and starts it again. It wires delivery exactly
as ``commsbot run`` does (``bootstrap.build`` + ``commsbot.engines.targets``), without the other
surfaces, and polls fast so that the test stays short.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from commsbot.bootstrap import build
from commsbot.engines.targets import build_dispatcher, run_dispatcher


async def main(config: Path) -> None:
    app = build(config_path=config, migrate=False)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    dispatcher = build_dispatcher(app.deps, out=sys.stdout, poll_seconds=0.05)
    await run_dispatcher(dispatcher, stop)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))

"""``/api/v2/summary.json`` under load: ``commsbot run`` beside nginx serving the same bytes.

Both on loopback in the same run, one process each (nginx with one worker; commsbot is one
asyncio process), 200 concurrent connections from ``wrk`` for a fixed time. The figure that
matters is the ratio: how much of a static file server's throughput the status page keeps while
an outage sends everyone to it. Needs Debian's ``nginx`` and ``wrk``; bounded in time.
Prints a Markdown table; ``--write`` also replaces the section in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from _report import write_section  # noqa: E402

CONNECTIONS = 200
THREADS = 2
DURATION_S = 10
PATH = "/api/v2/summary.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, timeout: float = 30.0) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # loopback only
                return bytes(response.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def seed(folder: Path) -> None:
    """An outage in progress: three components, two published updates."""
    code = """
from commsbot.bootstrap import build
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import Severity
from commsbot.domain.policy import Actor
from commsbot.services.drafts import approve_draft, propose_update
from commsbot.services.incidents import declare
app = build()
d = declare(app.deps, title="ChatGPT, API and Sora unavailable", severity=Severity.SEV1,
            components={"ChatGPT": None, "API": None, "Sora": None}, actor=Actor("maya"))
approve_draft(app.deps, draft_id=d.draft.id, actor=Actor("sam"))
p = propose_update(app.deps, incident_ref="INC-1", status=Status.IDENTIFIED, actor=Actor("maya"))
approve_draft(app.deps, draft_id=p.draft.id, actor=Actor("sam"))
"""
    subprocess.run([sys.executable, "-c", code], cwd=folder, env=env(folder), check=True)


def env(folder: Path) -> dict[str, str]:
    made = {k: v for k, v in os.environ.items() if not k.startswith("COMMSBOT_")}
    made["COMMSBOT_CONFIG"] = str(folder / "commsbot.toml")
    return made


def wrk(url: str) -> tuple[float, float]:
    """(requests per second, p99 latency in ms)."""
    out = subprocess.run(
        ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{DURATION_S}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=DURATION_S + 30,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses under load")
    return rps, p99


def nginx_conf(folder: Path, port: int) -> Path:
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    types {{ application/json json; }}
    server {{
        listen 127.0.0.1:{port};
        root {folder}/static;
        location / {{ add_header Cache-Control "public, max-age=10"; }}
    }}
}}
"""
    )
    return conf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    missing = [tool for tool in ("nginx", "wrk") if not shutil.which(tool)]
    if missing:
        sys.exit(f"needs {' and '.join(missing)}: apt-get install {' '.join(missing)}")
    folder = Path(tempfile.mkdtemp(prefix="commsbot-bench-"))
    folder.chmod(0o755)  # nginx's worker reads the static file as another user
    bot_port, nginx_port = free_port(), free_port()
    (folder / "commsbot.toml").write_text(
        f'database_url = "sqlite:///{folder}/bench.db"\n'
        f'[page]\nname = "Bench Status"\nurl = "http://127.0.0.1:{bot_port}"\n'
        f"[http]\nport = {bot_port}\n"
    )
    seed(folder)
    bot = subprocess.Popen(
        [sys.executable, "-m", "commsbot", "run"],
        cwd=folder,
        env=env(folder),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    nginx = None
    try:
        body = wait_for(f"http://127.0.0.1:{bot_port}{PATH}")
        static = folder / "static" / PATH.lstrip("/")
        static.parent.mkdir(parents=True)
        static.write_bytes(body)
        for p in (folder / "static", static.parent, static.parent.parent):
            p.chmod(0o755)
        nginx = subprocess.Popen(
            ["nginx", "-c", str(nginx_conf(folder, nginx_port)), "-p", str(folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(f"http://127.0.0.1:{nginx_port}{PATH}") == body
        bot_rps, bot_p99 = wrk(f"http://127.0.0.1:{bot_port}{PATH}")
        nginx_rps, nginx_p99 = wrk(f"http://127.0.0.1:{nginx_port}{PATH}")
    finally:
        for proc in (bot, nginx):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(folder, ignore_errors=True)
    lines = [
        f"`wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION_S}s` against `{PATH}` "
        f"({len(body)} bytes, uncompressed) on loopback, one after the other in the same run "
        "(`python bench/statuspage_load.py`). commsbot is one `commsbot run` process (uvicorn, "
        "the page served from memory); nginx serves the same bytes as a static file with one "
        "worker. Load generator and servers share the machine's 2 cores.",
        "",
        "| server | requests/s | p99 latency | ratio of nginx's requests/s |",
        "|---|---|---|---|",
        f"| nginx, static file (baseline) | {nginx_rps:,.0f} | {nginx_p99:.1f} ms | 1.00× |",
        f"| `commsbot run` | {bot_rps:,.0f} | {bot_p99:.1f} ms | {bot_rps / nginx_rps:.2f}× |",
        "",
        f"p99 ratio (commsbot / nginx): {bot_p99 / nginx_p99:.1f}×.",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section("Status page under load", text)


if __name__ == "__main__":
    main()

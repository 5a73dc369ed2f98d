"""A database that cannot be used gets one clear line, exit 3, and `commsbot run` waits for it.

Run as a user runs them: the real ``commsbot`` process, its exit code, stdout and stderr. The
PostgreSQL cases start a throwaway server of their own (initdb/pg_ctl, as ``.ci/run`` does) on
a free loopback port, with password authentication, so that "down", "refuses the password"
and "comes up later" are real.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

PASSWORD = "s3cret-pw"
WAIT = 90.0  # seconds: generous, the machine is shared; nothing here asserts a duration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def commsbot(
    *args: str, url: str, folder: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMSBOT_")}
    env["COMMSBOT_DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "commsbot", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def refused_with(proc: subprocess.CompletedProcess[str], code: str) -> str:
    """The one-line message of a refusal printed with --json; checks the shape of both."""
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    body = json.loads(proc.stdout)  # exactly one JSON object
    assert body["error"]["code"] == code
    message: str = body["error"]["message"]
    assert lines[0] == f"error: {message}"
    return message


# --- SQLite ------------------------------------------------------------------------------------


def test_a_sqlite_path_in_a_missing_folder_names_the_folder(tmp_path: Path) -> None:
    proc = commsbot("incident", "list", "--json", url="sqlite:///nope/x.db", folder=tmp_path)

    assert refused_with(proc, "database_unavailable") == (
        f"database sqlite:///nope/x.db is unusable: folder {tmp_path / 'nope'} does not exist; "
        "create it or set COMMSBOT_DATABASE_URL"
    )
    assert not (tmp_path / "nope").exists()


def test_the_advice_names_the_configuration_file_when_the_url_is_there(tmp_path: Path) -> None:
    (tmp_path / "commsbot.toml").write_text('database_url = "sqlite:///nope/x.db"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMSBOT_")}

    proc = subprocess.run(
        [sys.executable, "-m", "commsbot", "db", "upgrade", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert refused_with(proc, "database_unavailable").endswith(
        "does not exist; create it or set database_url in the configuration file"
    )


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "sqlite:///:memory:"])
def test_an_in_memory_sqlite_database_is_refused(tmp_path: Path, url: str) -> None:
    proc = commsbot("incident", "list", "--json", url=url, folder=tmp_path)

    message = refused_with(proc, "config_error")
    assert message.startswith(f"database_url: {url} is an in-memory SQLite database")
    assert "lost when the command ends" in message


def test_a_file_that_is_not_a_database_is_named(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a database, just some text\n" * 40)

    proc = commsbot("incident", "list", "--json", url="sqlite:///notes.txt", folder=tmp_path)

    message = refused_with(proc, "database_unavailable")
    assert f"{tmp_path / 'notes.txt'} is not a SQLite database" in message
    assert (tmp_path / "notes.txt").read_text().startswith("not a database")


def test_commsbot_run_on_an_unusable_sqlite_path_stops_at_once(tmp_path: Path) -> None:
    proc = commsbot("run", url="sqlite:///nope/x.db", folder=tmp_path)

    assert proc.returncode == 3
    assert proc.stderr.strip().endswith(
        f"error: database sqlite:///nope/x.db is unusable: folder {tmp_path / 'nope'} does not "
        "exist; create it or set COMMSBOT_DATABASE_URL"
    )
    assert "Traceback" not in proc.stderr


# --- PostgreSQL --------------------------------------------------------------------------------


def test_a_postgresql_that_is_not_there_is_named_without_the_password(tmp_path: Path) -> None:
    port = free_port()
    url = f"postgresql://maya:{PASSWORD}@127.0.0.1:{port}/commsbot"

    proc = commsbot("incident", "list", "--json", url=url, folder=tmp_path)

    assert refused_with(proc, "database_unavailable") == (
        f"database postgresql://maya:***@127.0.0.1:{port}/commsbot is unusable: connection "
        f"refused at 127.0.0.1:{port} — is PostgreSQL running and reachable?"
    )
    assert PASSWORD not in proc.stdout + proc.stderr


class ThrowawayPostgres:
    """A PostgreSQL server of its own: user ``maya`` with a password, started on demand."""

    def __init__(self, bin_dir: Path, folder: Path, port: int) -> None:
        self.bin = bin_dir
        self.folder = folder
        self.port = port
        self.data = folder / "data"

    def url(self, *, password: str = PASSWORD, database: str = "commsbot") -> str:
        return f"postgresql://maya:{password}@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> None:
        argv = [str(self.bin / command[0]), *command[1:]]
        if os.geteuid() == 0:  # the server refuses to run as root
            argv = ["runuser", "-u", "postgres", "--", *argv]
        env = {**os.environ, "PGPASSWORD": PASSWORD}
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, f"{' '.join(argv)}: {done.stderr}"

    def init(self) -> None:
        secret = self.folder / "pw"
        secret.write_text(PASSWORD + "\n")
        if os.geteuid() == 0:
            shutil.chown(secret, "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "maya",
            f"--pwfile={secret}",
            "-A",
            "scram-sha-256",
            "--no-sync",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=50"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "log"),
            "-w",
            "-o",
            options,
            "start",
        )

    def create_database(self, name: str = "commsbot") -> None:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "maya", name)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


@pytest.fixture
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    initdb = shutil.which("initdb") or (str(found[-1]) if found else None)
    if initdb is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found; .ci/run installs them")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL as postgres")
    folder = Path(tempfile.mkdtemp(prefix="commsbot-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    folder.chmod(0o700)
    # The real folder of the binaries: a symlinked initdb may have no createdb beside it.
    server = ThrowawayPostgres(Path(initdb).resolve().parent, folder, free_port())
    server.init()
    try:
        yield server
    finally:
        with contextlib.suppress(Exception):
            server._run("pg_ctl", "-D", str(server.data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def test_a_refused_password_and_a_missing_database_say_what_to_fix(
    throwaway_postgres: ThrowawayPostgres, tmp_path: Path
) -> None:
    pg = throwaway_postgres
    pg.start()
    pg.create_database()

    wrong = commsbot("incident", "list", "--json", url=pg.url(password="nope"), folder=tmp_path)
    missing = commsbot("incident", "list", "--json", url=pg.url(database="gone"), folder=tmp_path)
    fine = commsbot("incident", "list", "--json", url=pg.url(), folder=tmp_path)

    assert refused_with(wrong, "database_unavailable") == (
        f"database postgresql://maya:***@127.0.0.1:{pg.port}/commsbot is unusable: password "
        "authentication failed for user maya — check the password in COMMSBOT_DATABASE_URL"
    )
    assert refused_with(missing, "database_unavailable").endswith(
        "database gone does not exist on the server — create it (createdb gone), or fix its "
        "name in COMMSBOT_DATABASE_URL"
    )
    assert json.loads(fine.stdout) == {"incidents": []}


class RunningBot:
    """``commsbot run`` in the background, its stdout and stderr collected as they come."""

    def __init__(self, url: str, folder: Path) -> None:
        self.http_port = free_port()
        (folder / "commsbot.toml").write_text(f"[http]\nport = {self.http_port}\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMMSBOT_")}
        env["COMMSBOT_DATABASE_URL"] = url
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "commsbot", "run"],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, sink in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=self._collect, args=(stream, sink), daemon=True).start()

    @staticmethod
    def _collect(stream: Any, sink: list[str]) -> None:
        for line in stream:
            sink.append(line)

    def get(self, path: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.http_port}{path}", timeout=10
            ) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def wait_for(self, what: str, check: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "".join(self.err)
            with contextlib.suppress(OSError):
                if check():
                    return
            time.sleep(0.2)
        pytest.fail(f"gave up waiting for {what}; the bot said:\n{''.join(self.err)}")

    def ready(self) -> bool:
        return self.get("/readyz")[0] == 200

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)


def publish(url: str, folder: Path, title: str) -> None:
    declared = commsbot(
        "incident", "declare", title, "--as", "maya", "--json", url=url, folder=folder
    )
    assert declared.returncode == 0, declared.stderr
    draft = json.loads(declared.stdout)["draft"]["id"]
    approved = commsbot("update", "approve", draft, "--as", "sam", url=url, folder=folder)
    assert approved.returncode == 0, approved.stderr


def test_commsbot_run_waits_for_postgresql_and_rides_out_an_outage(
    throwaway_postgres: ThrowawayPostgres, tmp_path: Path
) -> None:
    pg = throwaway_postgres
    bot = RunningBot(pg.url(), tmp_path)
    try:
        # Nothing listens on the port yet.
        bot.wait_for("the first failed attempt", lambda: "connection refused" in "".join(bot.err))
        assert bot.get("/healthz") == (200, {"status": "ok"})
        status, body = bot.get("/readyz")
        assert status == 503
        assert body["checks"]["database"] == (
            f"unreachable: connection refused at 127.0.0.1:{pg.port} — is PostgreSQL running "
            "and reachable?"
        )
        assert PASSWORD not in "".join(bot.err)

        pg.start()
        pg.create_database()
        bot.wait_for("/readyz to turn 200", bot.ready)
        publish(pg.url(), tmp_path, "Checkout is slow")
        bot.wait_for("the update on the console", lambda: "Checkout is slow" in "".join(bot.out))

        # The database goes away while the bot runs, and comes back.
        pg.stop()
        bot.wait_for("/readyz to turn 503", lambda: not bot.ready())
        bot.wait_for("the outbox to notice", lambda: "the outbox waits" in "".join(bot.err))
        pg.start()
        bot.wait_for("/readyz to turn 200 again", bot.ready)
        publish(pg.url(), tmp_path, "Search is down")
        bot.wait_for("the second update", lambda: "Search is down" in "".join(bot.out))
    finally:
        code = bot.stop()
    assert code == 0, "".join(bot.err)
    log = "".join(bot.err)
    assert "Traceback" not in log
    assert "(trying again in 1 s)" in log
    # Said once per outage, not once a second.
    assert log.count("the outbox waits") == 1
    assert "the outbox works again" in log

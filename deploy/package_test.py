"""`make package-test`: the release as a user gets it, outside the checkout.

Builds the sdist and the wheel (``python -m build``), checks them with ``twine check``, checks
that every file of the packages in git is in the wheel, installs ``commsbot[postgres]`` from the
wheel into a new virtualenv in a temporary folder, and from there (the checkout is never on
``sys.path``) runs ``commsbot --version``, ``commsbot demo``, ``commsbot init`` +
``config check``, ``commsbot slack manifest``, and a short ``commsbot run`` that serves a
declared-and-approved update before it is stopped with SIGTERM. With
``COMMSBOT_TEST_POSTGRES_URL`` set, ``commsbot db upgrade`` also runs on a fresh PostgreSQL
database through the ``postgres`` extra.

Run with the checkout's virtualenv (it has ``build`` and ``twine``): ``.venv/bin/python
deploy/package_test.py``. Needs only PyPI.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from smoke import SmokeFailed, exercise, free_port

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("commsbot", "adapters")


STARTED = time.monotonic()


def step(message: str) -> None:
    print(f"package-test [{time.monotonic() - STARTED:5.1f} s] {message}", flush=True)


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    if proc.returncode != 0:
        raise SmokeFailed(
            f"{' '.join(map(str, args))} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        )
    return proc.stdout


def tracked_package_files() -> list[str]:
    """Every file of the packages under version control (what the wheel must carry)."""
    out = run("git", "ls-files", "--", *PACKAGES, cwd=ROOT)
    files = [line for line in out.splitlines() if line]
    if not files:
        raise SmokeFailed("git ls-files found no package files; run this from a git checkout")
    return files


def build(dist: Path) -> tuple[Path, Path]:
    step("python -m build (sdist, then the wheel from the sdist)")
    run(sys.executable, "-m", "build", "--outdir", dist, ROOT, cwd=ROOT)
    wheels, sdists = list(dist.glob("*.whl")), list(dist.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        raise SmokeFailed(f"expected one wheel and one sdist in {dist}: {list(dist.iterdir())}")
    step("twine check --strict")
    run(sys.executable, "-m", "twine", "check", "--strict", wheels[0], sdists[0], cwd=ROOT)
    return wheels[0], sdists[0]


def check_contents(wheel: Path, sdist: Path) -> None:
    expected = set(tracked_package_files())
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(expected - in_wheel)
    if missing:
        raise SmokeFailed(f"files missing from the wheel (add them to package-data): {missing}")
    stray = sorted(
        n for n in in_wheel if n.split("/")[0] not in PACKAGES and ".dist-info/" not in n
    )
    if stray:
        raise SmokeFailed(f"files in the wheel outside the packages: {stray}")
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for needed in ("LICENSE", "README.md", "pyproject.toml", *sorted(expected)):
        if needed not in names:
            raise SmokeFailed(f"{needed} is missing from the sdist")
    step(f"wheel carries all {len(expected)} package files ({len(in_wheel)} entries)")


def clean_env(home: Path) -> dict[str, str]:
    # Nothing of the developer's configuration, and the checkout nowhere on the path.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COMMSBOT_", "SLACK_", "DISCORD_", "PYTHON", "VIRTUAL_ENV"))
    }
    env["HOME"] = str(home)
    return env


def install(wheel: Path, work: Path) -> Path:
    venv = work / "venv"
    step(f"fresh virtualenv in {venv}; pip install '{wheel.name}[postgres]'")
    run(sys.executable, "-m", "venv", venv, cwd=work)
    bin_dir = venv / "bin"
    run(bin_dir / "pip", "install", "--quiet", f"{wheel}[postgres]", cwd=work)
    where = run(
        bin_dir / "python",
        "-c",
        "import commsbot, adapters, psycopg; print(commsbot.__file__); print(adapters.__file__)",
        cwd=work,
    )
    for line in where.splitlines():
        if not line.startswith(str(venv)):
            raise SmokeFailed(f"imported from outside the new virtualenv: {line}")
    return bin_dir


def commands(bin_dir: Path, work: Path, version: str) -> None:
    env = clean_env(work)
    commsbot = bin_dir / "commsbot"
    out = run(commsbot, "--version", cwd=work, env=env)
    if out.strip() != f"commsbot {version}":
        raise SmokeFailed(f"commsbot --version printed {out.strip()!r}, the wheel is {version}")
    step(f"commsbot --version: {out.strip()}")
    demo = run(commsbot, "demo", cwd=work, env=env)
    if "ChatGPT, API and Sora were down today but we've recovered" not in demo:
        raise SmokeFailed(f"commsbot demo did not replay the outage:\n{demo}")
    step("commsbot demo replayed the outage (templates and migrations are in the wheel)")
    manifest = run(commsbot, "slack", "manifest", cwd=work, env=env)
    if "slash_commands" not in manifest:
        raise SmokeFailed("commsbot slack manifest printed no manifest")
    fresh = work / "fresh"
    fresh.mkdir()
    run(commsbot, "init", cwd=fresh, env=env)
    run(commsbot, "config", "check", cwd=fresh, env=env)
    step("commsbot slack manifest, init and config check work from the wheel")


def short_run(bin_dir: Path, work: Path) -> None:
    folder = work / "run"
    folder.mkdir()
    port = free_port()
    (folder / "commsbot.toml").write_text(f"[http]\nport = {port}\n", encoding="utf-8")
    env = clean_env(work)
    env["COMMSBOT_DATABASE_URL"] = f"sqlite:///{folder / 'commsbot.db'}"
    log = (folder / "run.log").open("w")
    step(f"commsbot run on 127.0.0.1:{port} (SQLite in {folder})")
    proc = subprocess.Popen(
        [bin_dir / "commsbot", "run"], cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        incident = exercise(
            f"http://127.0.0.1:{port}",
            [str(bin_dir / "commsbot")],
            alive=lambda: proc.poll() is None,
            env=env,
        )
        step(f"/readyz 200; declared and approved; on /api/v2/summary.json: {incident['name']}")
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    text = (folder / "run.log").read_text(encoding="utf-8")
    if code != 0 or "commsbot stopped" not in text:
        raise SmokeFailed(f"commsbot run exited {code} on SIGTERM:\n{text}")
    step("SIGTERM: commsbot run stopped cleanly (exit 0)")


def postgres(bin_dir: Path, work: Path) -> None:
    admin = os.environ.get("COMMSBOT_TEST_POSTGRES_URL", "").strip()
    if not admin:
        step("COMMSBOT_TEST_POSTGRES_URL unset: PostgreSQL check skipped")
        return
    name = f"commsbot_pkgtest_{os.getpid()}"
    script = (
        "import sys, psycopg\n"
        "from sqlalchemy.engine import make_url\n"
        "u = make_url(sys.argv[1]).set(drivername='postgresql')\n"
        "with psycopg.connect(u.render_as_string(hide_password=False), autocommit=True) as c:\n"
        "    c.execute(f'{sys.argv[2]} DATABASE \"{sys.argv[3]}\"')\n"
    )
    python = bin_dir / "python"
    run(python, "-c", script, admin, "CREATE", name, cwd=work)
    try:
        env = clean_env(work)
        base, _, _ = admin.rpartition("/")
        env["COMMSBOT_DATABASE_URL"] = f"{base}/{name}"
        out = run(bin_dir / "commsbot", "db", "upgrade", cwd=work, env=env)
        step(f"postgres extra: {out.strip()}")
    finally:
        run(python, "-c", script, admin, "DROP", name, cwd=work)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="commsbot-package-test-") as tmp:
        work = Path(tmp)
        try:
            wheel, sdist = build(work / "dist")
            check_contents(wheel, sdist)
            version = wheel.name.split("-")[1]
            bin_dir = install(wheel, work)
            commands(bin_dir, work, version)
            short_run(bin_dir, work)
            postgres(bin_dir, work)
        except SmokeFailed as exc:
            print(f"package-test: FAILED: {exc}", file=sys.stderr)
            return 1
    step("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

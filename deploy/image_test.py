"""`make image-test`: build the container image from the Containerfile with podman and run it.

This machine reaches PyPI and Debian's packages but no image registry, so the image is built
from a plain Debian base made here (``mmdebstrap … bookworm`` with python3 and python3-venv,
imported as ``localhost/bookworm-py``): the same Containerfile that builds from
``python:3.12-slim`` elsewhere. Then the container is started with its /data volume, a mounted
commsbot.toml and a published port, and checked as a user would: ``/readyz`` answers, an
incident declared and approved with ``podman exec … commsbot`` is on ``/api/v2/summary.json``,
the HEALTHCHECK passes, it runs as a non-root user without compilers or the build's CA bundle,
and SIGTERM stops it with exit code 0.

Podman runs with ``--runtime runc`` (crun fails on this host's cgroups) and the hard rlimits as
the limits (root may not raise them here). The host's CA bundle is mounted into the build so
pip trusts a TLS-inspecting proxy; it is not kept in the image. PIP_INDEX_URL and
PIP_EXTRA_INDEX_URL are passed on as build arguments when set (http(s) only); the proxy
variables podman passes on by itself.

Without podman: under CI (``CI`` set) it is installed with apt-get; elsewhere, or where that
fails, the test is skipped with the reason. The base tarball is cached in
``~/.cache/commsbot/`` between local runs (a week); under CI it is always made afresh.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from smoke import SmokeFailed, exercise, free_port

ROOT = Path(__file__).resolve().parents[1]
BASE_IMAGE = "localhost/bookworm-py"
BASE_PACKAGES = "python3,python3-venv,ca-certificates"
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "commsbot"
CACHE_DAYS = 7
CI = bool(os.environ.get("CI"))
STARTED = time.monotonic()


class Skip(Exception):
    """This machine cannot run the test; the message says why."""


def step(message: str) -> None:
    print(f"image-test [{time.monotonic() - STARTED:5.1f} s] {message}", flush=True)


def sh(
    *args: str | Path, check: bool = True, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise SmokeFailed(
            f"{' '.join(map(str, args))} exited {proc.returncode}\n{proc.stdout[-3000:]}\n"
            f"{proc.stderr[-3000:]}"
        )
    return proc


def ensure_tools() -> None:
    missing = [t for t in ("podman", "runc", "mmdebstrap") if shutil.which(t) is None]
    if not missing:
        return
    if not CI:
        raise Skip(
            f"{', '.join(missing)} not installed (apt-get install podman runc mmdebstrap; "
            "under CI this script installs them)"
        )
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise Skip(
            f"{', '.join(missing)} missing and cannot be installed here (needs root apt-get)"
        )
    step(f"installing {', '.join(missing)} with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lock = "DPkg::Lock::Timeout=600"
    for cmd in (
        ["apt-get", "-o", lock, "update", "-qq"],
        ["apt-get", "-o", lock, "install", "-y", "-qq", "podman", "runc", "mmdebstrap"],
    ):
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
        if proc.returncode != 0:
            raise Skip(f"podman cannot be installed here: {' '.join(cmd)}: {proc.stderr[-500:]}")


def podman(
    *args: str, check: bool = True, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    return sh("podman", *args, check=check, timeout=timeout)


def limits() -> list[str]:
    import resource

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return ["--ulimit", f"nofile={hard}:{hard}", "--ulimit", "nproc=4096:4096"]


def prepare_base(work: Path, *, reuse: bool) -> None:
    """``localhost/bookworm-py``: Debian bookworm with python3 and python3-venv."""
    exists = podman("image", "exists", BASE_IMAGE, check=False).returncode == 0
    if exists and (reuse or not CI):
        step(f"base image {BASE_IMAGE} already here")
        return
    cached = CACHE / "bookworm-py.tar"
    fresh = cached.is_file() and time.time() - cached.stat().st_mtime < CACHE_DAYS * 86400
    if CI or not fresh:
        target = work / "bookworm-py.tar" if CI else cached
        target.parent.mkdir(parents=True, exist_ok=True)
        step(f"mmdebstrap --variant=minbase --include={BASE_PACKAGES} bookworm (about 2 min)")
        partial = target.with_name(f"{target.stem}.partial.tar")
        sh(
            "mmdebstrap",
            "--quiet",
            "--format=tar",  # not guessed from the name: the partial file's is not .tar
            "--variant=minbase",
            f"--include={BASE_PACKAGES}",
            "bookworm",
            partial,
        )
        partial.replace(target)
        cached = target
    else:
        step(f"base tarball from the cache: {cached}")
    podman("import", str(cached), BASE_IMAGE)


def build(tag: str) -> None:
    args = ["build", "--runtime", "runc", "--format", "docker", *limits(), "--pull=never"]
    if HOST_CA.is_file():
        args += ["-v", f"{HOST_CA}:{HOST_CA}:ro"]
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"):
        urls = [
            u for u in os.environ.get(name, "").split() if u.startswith(("http://", "https://"))
        ]
        if urls:
            args += ["--build-arg", f"{name}={' '.join(urls)}"]
    args += ["--build-arg", f"BASE={BASE_IMAGE}", "-t", tag, str(ROOT)]
    step(f"podman build -t {tag} (the wheel, then a virtualenv in /opt/commsbot)")
    podman(*args, timeout=1500)


def inspect_image(tag: str) -> None:
    info = json.loads(podman("image", "inspect", tag).stdout)[0]
    config = info["Config"]
    env = dict(e.split("=", 1) for e in config.get("Env", []))
    leaked = [k for k in env if k.startswith("PIP_")]
    if leaked:
        raise SmokeFailed(f"build settings kept in the image's environment: {leaked}")
    if config.get("User") != "commsbot":
        raise SmokeFailed(f"the image runs as {config.get('User')!r}, not commsbot")
    if not (info.get("Healthcheck") or config.get("Healthcheck")):
        raise SmokeFailed("the image has no HEALTHCHECK (built without --format docker?)")
    if env.get("COMMSBOT_DATABASE_URL") != "sqlite:////data/commsbot.db":
        raise SmokeFailed(f"unexpected COMMSBOT_DATABASE_URL: {env.get('COMMSBOT_DATABASE_URL')}")
    probe = podman(
        "run",
        "--rm",
        "--runtime",
        "runc",
        *limits(),
        tag,
        "sh",
        "-c",
        "id -u; for c in gcc cc g++ make; do command -v $c; done; true",
    ).stdout.split()
    if probe[0] == "0" or len(probe) > 1:
        raise SmokeFailed(f"expected a non-root user and no compilers, saw {probe}")
    if HOST_CA.is_file():
        inside = podman(
            "run", "--rm", "--runtime", "runc", *limits(), tag, "cat", str(HOST_CA), check=False
        ).stdout
        if inside.strip() == HOST_CA.read_text(encoding="utf-8", errors="replace").strip():
            step("note: the image's CA bundle equals this host's (no proxy CA to leave out)")
        else:
            step("the build's CA bundle was not kept in the image")
    size = info["Size"]
    step(f"image {tag}: user commsbot (uid {probe[0]}), no compilers, {size / 1e6:.0f} MB")


def run_container(tag: str, work: Path) -> None:
    name = f"commsbot-image-test-{os.getpid()}"
    volume = f"{name}-data"
    port = free_port()
    config = work / "commsbot.toml"
    # A file written for a laptop: host stays 127.0.0.1 in it, the image's COMMSBOT_HTTP_HOST
    # makes the server reachable through the published port all the same.
    config.write_text('[page]\nname = "Image test status"\n[http]\nhost = "127.0.0.1"\n')
    config.chmod(0o644)
    step(f"podman run {tag}: volume {volume} on /data, commsbot.toml mounted, port {port}")
    podman(
        "run",
        "-d",
        "--runtime",
        "runc",
        *limits(),
        "--name",
        name,
        "-p",
        f"127.0.0.1:{port}:8080",
        "-v",
        f"{volume}:/data",
        "-v",
        f"{config}:/config/commsbot.toml:ro",
        tag,
    )
    try:

        def alive() -> bool:
            state = podman("inspect", name, "--format", "{{.State.Running}}", check=False)
            return state.stdout.strip() == "true"

        incident = exercise(
            f"http://127.0.0.1:{port}", ["podman", "exec", name, "commsbot"], alive=alive
        )
        step(f"/readyz 200; approved with podman exec; on /api/v2/summary.json: {incident['name']}")
        summary = json.loads(sh("python3", "-c", _FETCH, f"http://127.0.0.1:{port}").stdout)
        if summary["page"]["name"] != "Image test status":
            raise SmokeFailed(f"the mounted commsbot.toml was not read: {summary['page']}")
        podman("healthcheck", "run", name)
        step("HEALTHCHECK passes; the mounted commsbot.toml is in force")
        podman("stop", "--time", "30", name)
        code = podman("inspect", name, "--format", "{{.State.ExitCode}}").stdout.strip()
        logs = podman("logs", name).stdout + podman("logs", name).stderr
        if code != "0" or "commsbot stopped" not in logs:
            raise SmokeFailed(f"SIGTERM: exit code {code}\n{logs[-3000:]}")
        step("SIGTERM: the container stopped cleanly (exit 0)")
        podman("start", name)  # the database survives on the volume
        exercise(f"http://127.0.0.1:{port}", ["podman", "exec", name, "commsbot"], alive=alive)
        listed = podman("exec", name, "commsbot", "incident", "list", "--json").stdout
        if len(json.loads(listed)["incidents"]) != 2:
            raise SmokeFailed(f"the /data volume did not keep the database: {listed}")
        step("restarted: the first incident is still there (SQLite on the /data volume)")
    except SmokeFailed:
        print(podman("logs", name, check=False).stderr[-3000:], file=sys.stderr)
        raise
    finally:
        podman("rm", "--force", name, check=False)
        podman("volume", "rm", "--force", volume, check=False)


_FETCH = (
    "import sys, urllib.request; "
    "print(urllib.request.urlopen(sys.argv[1] + '/api/v2/summary.json').read().decode())"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--prepare-base",
        action="store_true",
        help="only install the tools and make the base image (CI starts this early, in the "
        "background, as it mostly waits on downloads)",
    )
    parser.add_argument(
        "--reuse-base",
        action="store_true",
        help=f"use {BASE_IMAGE} as it is when it exists (made by --prepare-base)",
    )
    options = parser.parse_args()
    tag = f"localhost/commsbot:image-test-{os.getpid()}"
    try:
        ensure_tools()
        with tempfile.TemporaryDirectory(prefix="commsbot-image-test-") as tmp:
            work = Path(tmp)
            prepare_base(work, reuse=options.reuse_base)
            if options.prepare_base:
                step(f"base image {BASE_IMAGE} ready")
                return 0
            build(tag)
            try:
                inspect_image(tag)
                run_container(tag, work)
            finally:
                podman("rmi", "--force", tag, check=False)
                if CI:
                    podman("rmi", "--force", BASE_IMAGE, check=False)
    except Skip as exc:
        print(f"image-test: SKIPPED: {exc}", flush=True)
        return 0
    except SmokeFailed as exc:
        print(f"image-test: FAILED: {exc}", file=sys.stderr)
        return 1
    step("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The sign-up form in a real browser (headless Chromium), driven with the keyboard only, on a
phone-sized screen: Tab to each field, type the address, Space ticks a component, Enter sends.

Chromium is driven over its DevTools protocol (a WebSocket; ``websockets`` is already a
dependency of the HTTP server). Key presses go in as ``Input.dispatchKeyEvent``, as a person's
would; JavaScript is only used to *read* the page (what has focus, how wide it is). Skipped,
saying why, without a browser (failed under CI), as ``tests/http/test_browser.py`` does.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from commsbot.subscriptions.model import SubscriberKind, SubscriberState
from tests.http.live import live_server
from tests.http.test_browser import browser_command
from tests.subscriptions.conftest import subscription_context

PHONE = {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True}
KEYS = {
    "Tab": {"key": "Tab", "code": "Tab", "windowsVirtualKeyCode": 9},
    "Space": {"key": " ", "code": "Space", "windowsVirtualKeyCode": 32, "text": " "},
    "Enter": {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "text": "\r"},
}


class Page:
    """One tab of Chromium over the DevTools protocol: commands and the events awaited."""

    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        number = next(self._ids)
        self._socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv(timeout=30))
            if message.get("id") == number:
                assert "error" not in message, message
                result: dict[str, Any] = message.get("result", {})
                return result
            self._events.append(message)

    def wait_for(self, event: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for index, message in enumerate(self._events):
                if message.get("method") == event:
                    del self._events[: index + 1]
                    return
            self._events.append(json.loads(self._socket.recv(timeout=30)))
        raise AssertionError(f"no {event}")

    def read(self, expression: str) -> Any:
        """Evaluate a read-only expression (what has focus, sizes): never to act."""
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"][
            "value"
        ]

    def press(self, name: str) -> None:
        key = KEYS[name]
        self.call("Input.dispatchKeyEvent", type="keyDown", **key)
        self.call(
            "Input.dispatchKeyEvent", type="keyUp", **{k: v for k, v in key.items() if k != "text"}
        )

    def type(self, text: str) -> None:
        for char in text:
            self.call("Input.dispatchKeyEvent", type="keyDown", key=char, text=char)
            self.call("Input.dispatchKeyEvent", type="keyUp", key=char)

    def focused(self) -> str:
        return str(
            self.read(
                "(e => e.id || (e.name ? e.name + '=' + e.value : e.textContent.trim()))"
                "(document.activeElement)"
            )
        )


def _devtools(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        found = re.search(r"DevTools listening on (ws://\S+)", line)
        if found:
            return found.group(1)
        if not line and process.poll() is not None:
            break
    raise AssertionError("Chromium did not start its DevTools endpoint")


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Page]:
    command = browser_command(
        tmp_path / "profile",
        "--remote-debugging-port=0",
        "--remote-allow-origins=*",
        "about:blank",
    )
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        endpoint = _devtools(process)
        port = re.search(r":(\d+)/", endpoint)
        assert port is not None
        with urllib.request.urlopen(f"http://127.0.0.1:{port.group(1)}/json/list") as answer:
            targets = json.load(answer)
        page = next(t for t in targets if t["type"] == "page")
        with connect(page["webSocketDebuggerUrl"], max_size=None) as socket:
            yield Page(socket)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_visitor_subscribes_with_the_keyboard_alone_on_a_phone(
    chromium: Page, database_url: str
) -> None:
    ctx = subscription_context(database_url)
    page = chromium
    try:
        with live_server(ctx, database_url) as base:
            page.call("Page.enable")
            page.call("Emulation.setDeviceMetricsOverride", **PHONE)
            page.call("Page.navigate", url=f"{base}/subscriptions")
            page.wait_for("Page.loadEventFired")

            # On a phone the form fits: no horizontal scrolling.
            assert page.read("document.documentElement.scrollWidth") <= PHONE["width"]
            assert (
                page.read("document.querySelector('form').getBoundingClientRect().right")
                <= PHONE["width"]
            )

            page.press("Tab")  # the page's name, a link home
            page.press("Tab")
            assert page.focused() == "email"
            page.type("ada@example.com")
            page.press("Tab")
            assert page.focused() == "components=ChatGPT"
            page.press("Tab")
            assert page.focused() == "components=API"
            page.press("Space")
            assert page.read("document.activeElement.checked") is True
            page.press("Tab")
            assert page.focused() == "components=Sora"
            page.press("Tab")
            assert page.focused() == "Subscribe"
            page.press("Enter")
            page.wait_for("Page.loadEventFired")

            assert page.read("document.querySelector('h1').textContent") == "Check your inbox"
            assert "ada@example.com" in page.read("document.body.innerText")
            assert page.read("document.documentElement.scrollWidth") <= PHONE["width"]
        with ctx.deps.read() as uow:
            sub = uow.subscribers.find(SubscriberKind.EMAIL, "ada@example.com")
        assert sub is not None
        assert sub.state is SubscriberState.PENDING
        assert sub.components == frozenset({"API"})
    finally:
        ctx.engine.dispose()

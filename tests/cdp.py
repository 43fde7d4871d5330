"""A small Chrome DevTools Protocol driver for the browser tests (headless Chromium).

    with Chromium() as page:
        page.navigate("file:///tmp/map.html")
        page.evaluate("document.title")
        png = page.screenshot()
        assert not page.errors()

It starts ``chromium`` with its own throw-away profile and ``--remote-debugging-port=0``
(DevTools listens on 127.0.0.1 only, the port is read from the profile's
``DevToolsActivePort`` file), opens one page target, attaches to it with a flattened
session and talks to it over a single websocket (``websocket-client``). Every wait has a
deadline, and the browser's process group is always killed on exit.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websocket

CHROMIUM = "/usr/bin/chromium"
TIMEOUT = 60.0
WIDTH, HEIGHT = 1000, 700
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--enable-unsafe-swiftshader", f"--window-size={WIDTH},{HEIGHT}",
    "--remote-debugging-port=0",  # any free port, on 127.0.0.1 (chromium's default address)
)
MISSING = (f"headless Chromium is required: install it with `apt-get install -y chromium` "
           f"(expected at {CHROMIUM})")


def find_chromium(executable: str = CHROMIUM) -> str | None:
    """The path of ``executable`` (by default Debian's chromium, or ``chromium`` on PATH)."""
    found = shutil.which(executable)
    if found is None and executable == CHROMIUM:
        found = shutil.which("chromium")
    return found


class CDPError(RuntimeError):
    """A DevTools command failed, the page threw, or a wait ran out of time."""


@dataclass
class ConsoleMessage:
    """One console message, page exception or browser log entry of the page."""

    source: str   # "console" (console.* calls), "exception" or "log" (Log.entryAdded)
    level: str    # "error", "warning", "info", ...
    text: str
    url: str = ""

    def __str__(self) -> str:
        where = f" ({self.url})" if self.url else ""
        return f"[{self.source}:{self.level}] {self.text}{where}"


@dataclass
class Chromium:
    """Headless Chromium with one page, driven over the DevTools protocol."""

    executable: str = CHROMIUM
    timeout: float = TIMEOUT
    extra_flags: tuple[str, ...] = ()
    messages: list[ConsoleMessage] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._ws: websocket.WebSocket | None = None
        self._profile: str | None = None
        self._session: str | None = None
        self._ids = itertools.count(1)
        self._events: list[tuple[str | None, str, dict]] = []  # (session, method, params)

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> Chromium:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        exe = find_chromium(self.executable)
        if exe is None:
            raise FileNotFoundError(MISSING)
        self._profile = tempfile.mkdtemp(prefix="cdp-chromium-")
        with open(os.path.join(self._profile, "stderr.log"), "wb") as log:
            self._proc = subprocess.Popen(
                [exe, *FLAGS, *self.extra_flags, f"--user-data-dir={self._profile}",
                 "about:blank"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                start_new_session=True)  # own process group: close() kills the helpers too
        self._ws = websocket.create_connection(
            self._browser_ws_url(), timeout=self.timeout, suppress_origin=True)
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=None)
        attached = self.send("Target.attachToTarget",
                             {"targetId": target["targetId"], "flatten": True}, session=None)
        self._session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})

    def _browser_ws_url(self) -> str:
        """``ws://127.0.0.1:<port>/devtools/browser/<id>`` from the profile's DevToolsActivePort."""
        assert self._profile and self._proc
        port_file = Path(self._profile, "DevToolsActivePort")
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise CDPError(f"chromium exited with {self._proc.returncode}:\n{self.log()}")
            lines = port_file.read_text().split() if port_file.exists() else []
            if len(lines) == 2:  # written in one go, but do not trust a half-written file
                port, path = lines
                return f"ws://127.0.0.1:{port}{path}"
            time.sleep(0.05)
        raise CDPError(f"chromium did not open its DevTools port in {self.timeout:g} s:\n"
                       f"{self.log()}")

    def log(self, tail: int = 4000) -> str:
        """The end of chromium's stderr."""
        try:
            return Path(self._profile or "", "stderr.log").read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    def close(self) -> None:
        """Close the websocket, kill chromium's process group, remove the profile."""
        if self._ws is not None:
            with contextlib.suppress(Exception):
                self._ws.close(timeout=1)
            self._ws = None
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError):  # its own group: see start()
                os.killpg(self._proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=10)
            self._proc = None
        if self._profile is not None:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None

    # -- protocol ----------------------------------------------------------------------------

    _PAGE = object()  # "the attached page session" (the default of send())

    def send(self, method: str, params: dict | None = None, *, session: Any = _PAGE,
             timeout: float | None = None) -> dict:
        """Send one command (to the page unless ``session=None``: the browser) and wait for
        its result; events that arrive meanwhile are kept for :meth:`wait_event`."""
        assert self._ws is not None, "not started"
        msg: dict[str, Any] = {"id": next(self._ids), "method": method, "params": params or {}}
        session = self._session if session is self._PAGE else session
        if session:
            msg["sessionId"] = session
        self._ws.send(json.dumps(msg))
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            reply = self._recv(deadline, f"the reply to {method}")
            if reply.get("id") == msg["id"]:
                if "error" in reply:
                    raise CDPError(f"{method} failed: {reply['error']}")
                return reply.get("result", {})

    def _recv(self, deadline: float, what: str) -> dict:
        assert self._ws is not None
        left = deadline - time.monotonic()
        if left <= 0:
            raise CDPError(f"timed out waiting for {what}")
        self._ws.settimeout(left)
        try:
            data = json.loads(self._ws.recv())
        except websocket.WebSocketTimeoutException:
            raise CDPError(f"timed out waiting for {what}") from None
        if "method" in data:  # an event
            self._on_event(data.get("sessionId"), data["method"], data.get("params", {}))
        return data

    def wait_event(self, method: str, *, after: int = 0, timeout: float | None = None) -> dict:
        """The params of the first page event ``method`` received after event number ``after``."""
        deadline = time.monotonic() + (timeout or self.timeout)
        seen = after
        while True:
            for session, name, params in self._events[seen:]:
                if name == method and session == self._session:
                    return params
            seen = len(self._events)
            self._recv(deadline, method)

    def _on_event(self, session: str | None, method: str, params: dict) -> None:
        self._events.append((session, method, params))
        if session != self._session:
            return
        if method == "Runtime.consoleAPICalled":
            args = params.get("args", [])
            text = " ".join(str(a.get("value", a.get("description", a.get("type", ""))))
                            for a in args)
            frames = (params.get("stackTrace") or {}).get("callFrames") or [{}]
            level = {"warning": "warning", "error": "error", "assert": "error"}.get(
                params.get("type", ""), params.get("type", "log"))
            self.messages.append(ConsoleMessage("console", level, text,
                                                frames[0].get("url", "")))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = (details.get("exception") or {}).get("description") or details.get("text", "")
            self.messages.append(ConsoleMessage("exception", "error", text,
                                                details.get("url", "")))
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            self.messages.append(ConsoleMessage("log", entry.get("level", ""),
                                                entry.get("text", ""), entry.get("url", "")))

    # -- page helpers ------------------------------------------------------------------------

    def navigate(self, url: str) -> None:
        """Open ``url`` and wait for its load event."""
        mark = len(self._events)
        result = self.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise CDPError(f"navigation to {url} failed: {result['errorText']}")
        self.wait_event("Page.loadEventFired", after=mark)

    def evaluate(self, expression: str, *, await_promise: bool = True) -> Any:
        """The (JSON) value of ``expression`` in the page; raises :class:`CDPError` if it throws."""
        result = self.send("Runtime.evaluate", {
            "expression": expression, "awaitPromise": await_promise, "returnByValue": True,
            "userGesture": True})
        if "exceptionDetails" in result:
            d = result["exceptionDetails"]
            raise CDPError(f"{expression[:80]!r} threw: "
                           f"{(d.get('exception') or {}).get('description') or d.get('text')}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, *, timeout: float | None = None,
                 interval: float = 0.1) -> Any:
        """Poll ``expression`` until it is truthy; returns its value."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise CDPError(f"timed out waiting for {expression!r} (last value {value!r})")
            time.sleep(interval)

    def move_mouse(self, x: float, y: float) -> None:
        """Move the (real, browser-level) mouse pointer to viewport position ``x, y``."""
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})

    def screenshot(self) -> bytes:
        """A PNG of the page's viewport."""
        return base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])

    def errors(self, ignore: tuple[str, ...] = ()) -> list[ConsoleMessage]:
        """Console errors/warnings and uncaught exceptions, except those containing an
        ``ignore`` string."""
        return [m for m in self.messages if m.level in ("error", "warning")
                and not any(s in m.text for s in ignore)]

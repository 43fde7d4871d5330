"""Real third-party clients against ``nova-toolkit serve``: one twin process for the session.

The twin is started exactly as a user starts it (``nova-toolkit serve`` on 127.0.0.1, port 0
= a free port, its data in a temporary folder) and stopped by its own pid.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

_LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


@dataclass
class ServedTwin:
    """A running ``nova-toolkit serve`` process and the URL it listens on."""

    url: str
    process: subprocess.Popen
    root: Path

    def env(self, home: Path | None = None) -> dict[str, str]:
        """Process environment of a client: test credentials, us-east-1, the twin's URL."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({"AWS_ENDPOINT_URL": self.url, "AWS_ACCESS_KEY_ID": "test",
                    "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
                    "AWS_REGION": "us-east-1", "HF_HUB_OFFLINE": "1"})
        if home is not None:  # no ~/.aws of the machine reaches the client
            env.update({"HOME": str(home), "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
                        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials")})
        return env


def start_served_twin(root: Path, *options: str, timeout: float = 60.0) -> ServedTwin:
    """``python -m nova_toolkit.cli serve --port 0 --root ROOT``; wait for its listening line.

    The twin's output goes to ``ROOT/serve.log`` (a file, so a chatty twin never blocks on a
    full pipe); its first line names the port it picked.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HF_HUB_OFFLINE"] = "1"
    log = root / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "nova_toolkit.cli", "serve", "--host", "127.0.0.1", "--port",
             "0", "--root", str(root / "data"), *options],
            stdout=out, stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        match = _LISTENING.search(log.read_text())
        if match:
            return ServedTwin(match.group(1), process, root)
        time.sleep(0.05)
    stop_served_twin(process)
    raise RuntimeError("nova-toolkit serve did not start:\n" + log.read_text())


def stop_served_twin(process: subprocess.Popen) -> None:
    """SIGINT to this pid (the twin's own Ctrl-C path), then SIGTERM, then SIGKILL.

    SIGINT alone is not enough where the runner was started in the background: such a
    process inherits SIGINT as ignored.
    """
    for stop in (lambda: process.send_signal(signal.SIGINT), process.terminate, process.kill):
        if process.poll() is not None:
            return
        stop()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def served_twin(tmp_path_factory) -> Iterator[ServedTwin]:
    """One twin process (its models load once; its S3, S3 Vectors, Bedrock state in tmp).

    Tests share it, so each names its own buckets.
    """
    twin = start_served_twin(tmp_path_factory.mktemp("twin"))
    try:
        yield twin
    finally:
        stop_served_twin(twin.process)


@pytest.fixture
def twin_env(served_twin, monkeypatch) -> ServedTwin:
    """In-process clients (boto3 sessions made by langchain / llama-index) see the twin."""
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    for key, value in served_twin.env().items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    return served_twin

"""Real `accord serve` processes for the operations tests: a free port, and waiting until one
answers /healthz (or failing with the end of its log)."""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Served:
    """One server process, its address and its log."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def wait_until_alive(
        self, seconds: float, *, poll: float = 0.05, name: str = "the server"
    ) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"{name} exited: {self.log.read_text()[-4000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(poll)
        pytest.fail(f"{name} did not answer /healthz: {self.log.read_text()[-4000:]}")

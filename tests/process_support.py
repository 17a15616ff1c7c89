"""`budgetwarden run` as a process of its own, for tests that run the operator as it is deployed:
its /metrics (and /readyz) port, its log, and a clean stop."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import httpx


class Process:
    """One `budgetwarden run` process, its /metrics port and its log."""

    def __init__(self, command: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.port, self.log = port, log
        with log.open("wb") as out:
            self.popen = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)

    def metric(self, name: str) -> float:
        """A counter from /metrics (0 when absent or when the process is gone)."""
        try:
            text = httpx.get(f"http://127.0.0.1:{self.port}/metrics", timeout=5).text
        except httpx.HTTPError:
            return 0.0
        lines = text.splitlines()
        return next((float(line.split()[1]) for line in lines if line.startswith(name)), 0.0)

    def ready(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


def logs(*processes: Process) -> str:
    """The end of each process's log, for an assertion message."""
    return "\n".join(f"--- {p.log.name}\n{p.log.read_text()[-4000:]}" for p in processes)

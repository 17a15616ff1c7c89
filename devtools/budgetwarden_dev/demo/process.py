"""Run `budgetwarden demo-service` as a child process and steer it: for tests, drills, `make demo`.

    with DemoServiceProcess(error_rate="0.001", load_rps=50) as demo:
        demo.set(error_rate="0.05")     # PUT /control
        print(demo.url, demo.metrics_text())

The child listens on a free loopback port and reports it through `--port-file`; `start()` returns
once `/healthz` answers, `stop()` sends SIGTERM and waits for a clean exit (SIGKILL if it hangs).
"""

from __future__ import annotations

import atexit
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from types import TracebackType

import httpx

from budgetwarden.core.kernel.errors import BudgetwardenError


class DemoServiceError(BudgetwardenError):
    """The demo service did not start, refused a change, or did not stop."""


def service_command() -> list[str]:
    """How to run `budgetwarden`: the console script beside this interpreter, or `python -m`."""
    script = Path(sys.executable).with_name("budgetwarden")
    if script.exists():
        return [str(script)]
    found = shutil.which("budgetwarden")
    return [found] if found else [sys.executable, "-m", "budgetwarden"]


class DemoServiceProcess:
    """One `budgetwarden demo-service` child process and an HTTP client for its control API."""

    def __init__(
        self,
        *,
        error_rate: str | Decimal = "0.001",
        latency: str = "20ms",
        load_rps: int | str = 0,
        errors: str = "exact",
        seed: int | None = None,
        listen: str = "127.0.0.1:0",
        extra_args: Sequence[str] = (),
        workdir: Path | None = None,
    ) -> None:
        self._own_dir = workdir is None
        self.workdir = (
            Path(tempfile.mkdtemp(prefix="demo-service-")) if workdir is None else workdir
        )
        self.port_file = self.workdir / "demo-service.port"
        self.log_path = self.workdir / "demo-service.log"
        self.args = [
            "demo-service", "--listen", listen, "--error-rate", str(error_rate),
            "--latency", latency, "--load", str(load_rps), "--errors", errors,
            "--port-file", str(self.port_file),
            *(["--seed", str(seed)] if seed is not None else []), *extra_args,
        ]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self._client = httpx.Client(timeout=10, trust_env=False)  # loopback: never via a proxy

    @property
    def url(self) -> str:
        """Base URL of the running service, such as http://127.0.0.1:41234."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> DemoServiceProcess:
        """Start the child and wait until it serves; raise DemoServiceError with its log if not."""
        self.port_file.unlink(missing_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*service_command(), *self.args], stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        atexit.register(self.stop)  # no stray service if the caller forgets
        deadline = time.monotonic() + timeout
        while not self._healthy():
            if self.process.poll() is not None:
                raise DemoServiceError(
                    f"demo-service exited with {self.process.returncode}: {self.log()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise DemoServiceError(f"demo-service not serving after {timeout}s: {self.log()}")
            time.sleep(0.05)
        return self

    def _healthy(self) -> bool:
        if not self.port:
            try:
                self.port = int(self.port_file.read_text())
            except (OSError, ValueError):
                return False
        try:
            return self._client.get(f"{self.url}/healthz").status_code == 200
        except httpx.TransportError:
            return False

    def control(self) -> dict[str, str]:
        """The current settings, as `GET /control` answers."""
        return dict(self._client.get(f"{self.url}/control").raise_for_status().json())

    def set(
        self,
        *,
        error_rate: str | Decimal | None = None,
        latency: str | None = None,
        load_rps: int | str | Decimal | None = None,
    ) -> dict[str, str]:
        """Change the settings given through `PUT /control`; the new settings come back."""
        body = {
            key: str(value)
            for key, value in (
                ("errorRate", error_rate),
                ("latency", latency),
                ("loadRPS", load_rps),
            )
            if value is not None
        }
        response = self._client.put(f"{self.url}/control", json=body)
        if response.status_code != 200:
            raise DemoServiceError(f"demo-service refused {body}: {response.text}")
        return dict(response.json())

    def metrics_text(self) -> str:
        """The service's `/metrics` page."""
        return self._client.get(f"{self.url}/metrics").raise_for_status().text

    def log(self) -> str:
        """What the child wrote to stdout and stderr so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 15) -> int | None:
        """SIGTERM, wait for the clean exit (SIGKILL after `timeout`); the exit code."""
        atexit.unregister(self.stop)
        process, self.process = self.process, None
        self._client.close()
        if process is None:
            return None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._own_dir and process.returncode == 0:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return process.returncode

    def __enter__(self) -> DemoServiceProcess:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

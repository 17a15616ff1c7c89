"""Starting, probing and stopping the local environment's server processes.

Used by the control-plane and Prometheus launchers. A process is remembered as a `Spawned`
record (name, pid, kernel start time) that survives in a state file, so `budgetwarden dev down`
can stop processes that an earlier `budgetwarden dev up` started, without killing a stranger that
reused the pid.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from budgetwarden_dev.devenv.errors import DevEnvError

_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Spawned:
    """A started server process: enough to find it again and to stop it."""

    name: str
    pid: int
    start_ticks: int
    log: Path

    def to_json(self) -> dict[str, object]:
        """The record as JSON-ready data for a state file."""
        return {
            "name": self.name,
            "pid": self.pid,
            "start_ticks": self.start_ticks,
            "log": str(self.log),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Spawned:
        """The record read back from a state file."""
        return cls(
            str(data["name"]),
            int(str(data["pid"])),
            int(str(data["start_ticks"])),
            Path(str(data["log"])),
        )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks, or None when it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may contain spaces
    if fields[0] == "Z":
        return None
    return int(fields[19])


def is_running(proc: Spawned) -> bool:
    """Whether the recorded process still runs (a reused pid does not count)."""
    return _start_ticks(proc.pid) == proc.start_ticks


def _die_with_parent() -> Callable[[], None]:
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before fork: the child only calls it

    def arm() -> None:
        # SIGKILL: kube-apiserver's graceful SIGTERM shutdown can hang once etcd is gone too
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)

    return arm


def spawn(
    name: str, argv: Sequence[str], log: Path, *, detached: bool
) -> tuple[Spawned, subprocess.Popen[bytes]]:
    """Start `argv` with output to `log`; unless detached it dies when this process dies."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        child = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C in the terminal must not skip our orderly stop
            preexec_fn=None if detached else _die_with_parent(),
        )
    ticks = _start_ticks(child.pid)
    if ticks is None:
        raise DevEnvError(f"{name} exited at once:\n{log_tail(log)}")
    return Spawned(name, child.pid, ticks, log), child


def stop(proc: Spawned, child: subprocess.Popen[bytes] | None = None, timeout: float = 20) -> None:
    """SIGTERM, then SIGKILL after `timeout` seconds; reaps the process when it is our child."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        if not is_running(proc):
            break
        os.kill(proc.pid, sig)
        if _wait_gone(proc, child, wait):
            break
    if child is not None:
        child.wait(timeout=10)  # reap, so the pid is really gone
    if is_running(proc):
        raise DevEnvError(f"{proc.name} (pid {proc.pid}) did not stop")


def stop_all(procs: list[Spawned], children: dict[int, subprocess.Popen[bytes]]) -> None:
    """Stop `procs` newest first and forget them (both arguments are emptied); raises one
    DevEnvError naming every process that would not stop, after trying them all."""
    errors = []
    for proc in reversed(procs):
        try:
            stop(proc, children.get(proc.pid))
        except DevEnvError as e:
            errors.append(str(e))
    procs.clear()
    children.clear()
    if errors:
        raise DevEnvError("; ".join(errors))


def _wait_gone(proc: Spawned, child: subprocess.Popen[bytes] | None, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child is not None and child.poll() is not None:
            return True
        if not is_running(proc):
            return True
        time.sleep(0.05)
    return False


def log_tail(log: Path, lines: int = 25) -> str:
    """The last lines of a process log, for error messages."""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_http(
    url: str, proc: Spawned, *, context: ssl.SSLContext | None = None, timeout: float = 120
) -> None:
    """Poll `url` until it answers 200; fail early with the log when `proc` exits."""
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    # no proxy handler: a proxy from the environment must not see loopback probes
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
    )
    while time.monotonic() < deadline:
        if not is_running(proc):
            raise DevEnvError(f"{proc.name} exited while starting:\n{log_tail(proc.log)}")
        try:
            with opener.open(url, timeout=5) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as e:
            last = f"HTTP {e.code}"
        except OSError as e:
            last = str(e)
        time.sleep(0.2)
    raise DevEnvError(
        f"{proc.name} not ready at {url} after {timeout:.0f}s ({last}):\n{log_tail(proc.log)}"
    )

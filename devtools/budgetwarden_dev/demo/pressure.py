"""CPU and memory pressure on the demo service, and the container series a cluster would export
for it.

In a cluster the resources pack reads cAdvisor (through the kubelet) and kube-state-metrics.
The demo service runs as a plain process, so it exports those series for itself, with the
values they would have were it a container: `container_cpu_usage_seconds_total` is the CPU time
of the service and of the burner it started (a container's cgroup counts every process in it),
`container_memory_working_set_bytes` their resident memory, and
`kube_pod_container_resource_limits` the limits it was started with (`--cpu-limit`,
`--memory-limit`). The pack's rules then run unchanged against real measurements.

`cpuBurn` (a share of the CPU limit) runs a child process that spins for that share of every
tenth of a second; `memoryFill` (a share of the memory limit) holds a buffer that brings the
resident memory up to it. Both are bounded by the limits and undone by setting them to "0".
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICKS = os.sysconf("SC_CLK_TCK")
# The burner: uses `share` of every 100ms in CPU time, asleep for the rest. Counted in CPU time,
# not wall time, so a busy machine that preempts it mid-spin does not make it burn less (it spins
# on until it had its share, or the 100ms are over).
_BURN = """
import sys, time
share = float(sys.argv[1])
while True:
    start, used = time.perf_counter(), time.process_time()
    while time.process_time() - used < 0.1 * share and time.perf_counter() - start < 0.1:
        pass
    time.sleep(max(0.0, 0.1 - (time.perf_counter() - start)))
"""


@dataclass(frozen=True)
class ContainerIdentity:
    """Who the service would be in a cluster, and the limits its pod spec would set."""

    namespace: str = "demo"
    pod: str = "checkout-demo-0"
    container: str = "checkout"
    # Small, so that a burn at the limit moves the pack's 5m CPU average past 85 % within about
    # two minutes: the service alone uses about half of it at 20 requests/s.
    cpu_limit: Decimal = Decimal("0.05")  # cores
    memory_limit: int = 256 * 2**20  # bytes


def _resident(pid: int | str = "self") -> int:
    """Resident memory of a process, bytes (0 when it is gone)."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a live process, seconds (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


class Pressure:
    """The burner and the memory buffer, and what they and the service use."""

    def __init__(self, identity: ContainerIdentity) -> None:
        self.identity = identity
        self.cpu_burn = Decimal(0)
        self.memory_fill = Decimal(0)
        self._burner: subprocess.Popen[bytes] | None = None
        self._burned = 0.0  # CPU seconds of burners that have exited
        self._ballast = bytearray()

    def set(self, cpu_burn: Decimal, memory_fill: Decimal) -> None:
        """Burn `cpu_burn` of the CPU limit and fill memory to `memory_fill` of its limit."""
        if cpu_burn != self.cpu_burn:
            self._stop_burner()
            if cpu_burn > 0:
                share = str(min(cpu_burn * self.identity.cpu_limit, Decimal(1)))
                self._burner = subprocess.Popen([sys.executable, "-c", _BURN, share])
            self.cpu_burn = cpu_burn
        if memory_fill != self.memory_fill:
            self._ballast = bytearray()
            target = int(memory_fill * self.identity.memory_limit)
            missing = max(0, target - self.working_set())
            self._ballast = bytearray(missing)
            for page in range(0, missing, _PAGE):  # written, so every page is resident
                self._ballast[page] = 1
            self.memory_fill = memory_fill

    def cpu_seconds(self) -> float:
        """CPU time of the service, its exited burners and the running one."""
        own = resource.getrusage(resource.RUSAGE_SELF)
        running = _cpu_seconds(self._burner.pid) if self._burner is not None else 0.0
        return own.ru_utime + own.ru_stime + self._burned + running

    def working_set(self) -> int:
        """Resident memory of the service and the burner, bytes."""
        return _resident() + (_resident(self._burner.pid) if self._burner is not None else 0)

    def _stop_burner(self) -> None:
        if self._burner is None:
            return
        self._burner.kill()
        _, _, usage = os.wait4(self._burner.pid, 0)
        self._burned += usage.ru_utime + usage.ru_stime
        self._burner.returncode = -9  # reaped here: Popen must not wait for it again
        self._burner = None

    def close(self) -> None:
        """Stop the burner and free the buffer."""
        self.set(Decimal(0), Decimal(0))


class ContainerSeries(Collector):
    """The cAdvisor and kube-state-metrics series of the demo service, read at each scrape."""

    def __init__(self, pressure: Pressure) -> None:
        self.pressure = pressure

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        who = self.pressure.identity
        keys = ["namespace", "pod", "container"]
        values = [who.namespace, who.pod, who.container]
        cpu = CounterMetricFamily("container_cpu_usage_seconds", "CPU time used.", labels=keys)
        cpu.add_metric(values, self.pressure.cpu_seconds())
        memory = GaugeMetricFamily(
            "container_memory_working_set_bytes", "Resident memory.", labels=keys
        )
        memory.add_metric(values, self.pressure.working_set())
        limits = GaugeMetricFamily(
            "kube_pod_container_resource_limits", "Limits of the pod spec.",
            labels=[*keys, "resource", "unit"],
        )  # fmt: skip
        limits.add_metric([*values, "cpu", "core"], float(who.cpu_limit))
        limits.add_metric([*values, "memory", "byte"], who.memory_limit)
        yield from (cpu, memory, limits)

"""Rule generation for 1,000 SLOs: `budgetwarden generate` against Sloth v0.16.0, whole processes.

Both tools read the same SLOs (bench.specs) from one file each, check every query's PromQL
(Sloth's default validate plugin; our promql-parser check), and write one rule file per SLO.
Sloth sets its SLO period per run, so the mixed-window set costs it one run per window; the
all-30d set is one run on both sides. Runs alternate between the tools; the table shows median
wall time and median CPU time (user + system of the processes). A busy machine slows both
tools, so the ratios are the numbers to read, CPU first.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import specs
from bench.report import print_table

SLOTH_VERSION = "v0.16.0"
SLOTH_MODULE = "github.com/slok/sloth/cmd/sloth"
TOOLS_BIN = Path.home() / ".cache" / "budgetwarden" / "bin"
COUNT = 1000
RUNS = 7
SLOTH = "sloth generate"

Command = list[list[str]]  # one benchmark step may be several processes (Sloth: one per window)


def _built_version(binary: Path) -> str:
    """The module version `go version -m` reads from a Go binary, "" when unknown."""
    if not binary.exists():
        return ""
    info = subprocess.run(["go", "version", "-m", str(binary)], capture_output=True, text=True)
    for line in info.stdout.splitlines():
        fields = line.split()
        if fields[:2] == ["mod", "github.com/slok/sloth"]:
            return fields[2]
    return ""


def sloth_binary() -> Path:
    """Sloth v0.16.0, built once from the Go module proxy into the tools cache."""
    binary = TOOLS_BIN / "sloth"
    if _built_version(binary) != SLOTH_VERSION:
        print(f"building sloth {SLOTH_VERSION} from the Go module proxy ...", flush=True)
        environment = {**os.environ, "GOBIN": str(TOOLS_BIN), "GOTOOLCHAIN": "local"}
        subprocess.run(
            ["go", "install", f"{SLOTH_MODULE}@{SLOTH_VERSION}"], env=environment, check=True
        )
    return binary


def budgetwarden_binary() -> Path:
    """The console script of the environment running the benchmark."""
    return Path(sys.executable).parent / "budgetwarden"


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(commands: Command, out: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of the commands, one after another, into a fresh output folder."""
    shutil.rmtree(out, ignore_errors=True)
    for command in commands:
        if command[1] == "generate" and "-i" in command:  # Sloth wants its folder to exist
            Path(command[command.index("-o") + 1]).mkdir(parents=True, exist_ok=True)
    cpu, start = _cpu_seconds(), time.perf_counter()
    for command in commands:
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start, _cpu_seconds() - cpu


def _count_rules(out: Path) -> tuple[int, int]:
    """(files, rules) in a generated folder; counts rule entries without parsing the YAML."""
    files = [p for p in out.rglob("*.yaml") if p.is_file()]
    rules = sum(
        line.lstrip().startswith(("- record:", "- alert:"))
        for p in files
        for line in p.read_text().splitlines()
    )
    return len(files), rules


def _commands(written: specs.Written, out: Path) -> dict[str, Command]:
    ours = str(budgetwarden_binary())
    sloth = str(sloth_binary())
    return {
        "budgetwarden --format prometheus": [
            [ours, "generate", str(written.budgetwarden), "--format", "prometheus", "-o", str(out)]
        ],
        "budgetwarden --format prometheusrule": [
            [ours, "generate", str(written.budgetwarden), "-o", str(out)]
        ],
        SLOTH: [
            [
                sloth,
                "generate",
                "--no-log",
                "-i",
                str(folder),
                "-o",
                str(out / window),
                f"--default-slo-period={window}",
                f"--slo-period-windows-path={written.sloth_windows}",
            ]
            for window, folder in written.sloth.items()
        ],
    }


def scenario(root: Path, title: str, windows: tuple[str, ...]) -> list[list[str]]:
    """Time every tool on one SLO set; one table row per tool."""
    written = specs.write(root / "specs", specs.cases(COUNT, windows))
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    counts: dict[str, tuple[int, int]] = {}
    out = root / "out"
    commands = _commands(written, out)
    for _ in range(RUNS):
        for tool, command in commands.items():
            wall, cpu = _timed(command, out)
            walls.setdefault(tool, []).append(wall)
            cpus.setdefault(tool, []).append(cpu)
            counts[tool] = _count_rules(out)
    sloth_wall = statistics.median(walls[SLOTH])
    sloth_cpu = statistics.median(cpus[SLOTH])
    rows = []
    for tool, runs in walls.items():
        wall, cpu = statistics.median(runs), statistics.median(cpus[tool])
        files, rules = counts[tool]
        rows.append(
            [
                title,
                tool,
                str(len(commands[tool])),
                f"{wall:.2f} s",
                f"{min(runs):.2f}-{max(runs):.2f} s",
                f"{cpu:.2f} s",
                str(files),
                str(rules),
                f"{wall / sloth_wall:.2f}",
                f"{cpu / sloth_cpu:.2f}",
            ]
        )
    shutil.rmtree(root, ignore_errors=True)
    return rows


def promql_checked(root: Path) -> list[str]:
    """Both tools refuse an unclosed parenthesis: proof that the timed runs validate PromQL."""
    written = specs.write(root / "bad", specs.cases(1, ("30d",)))
    for path in [*written.budgetwarden.iterdir(), *written.sloth["30d"].iterdir()]:
        path.write_text(path.read_text().replace("sum(rate(", "sum(sum(rate(", 1))
    out = root / "bad-out"
    out.mkdir()
    ours = subprocess.run(
        [str(budgetwarden_binary()), "generate", str(written.budgetwarden)],
        capture_output=True,
        text=True,
    )
    theirs = subprocess.run(
        [
            str(sloth_binary()),
            "generate",
            "--no-log",
            "-i",
            str(written.sloth["30d"]),
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    shutil.rmtree(root, ignore_errors=True)
    if ours.returncode == 0 or theirs.returncode == 0:
        raise SystemExit("a tool accepted invalid PromQL; the comparison would not be fair")
    return [
        f"budgetwarden rejects bad PromQL: {ours.stderr.strip().splitlines()[0]}",
        f"sloth rejects bad PromQL: {theirs.stderr.strip().splitlines()[-1][-90:]}",
    ]


def main() -> int:
    """Run both scenarios and print the table."""
    load = os.getloadavg()
    print(
        f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory(prefix="bench-generation-") as folder:
        root = Path(folder)
        for line in promql_checked(root / "check"):
            print(line)
        rows = scenario(root / "mixed", "30d/28d/7d mix", specs.WINDOWS)
        rows += scenario(root / "30d", "all 30d", ("30d",))
    print_table(
        f"Rule generation, {COUNT:,} SLOs, PromQL validated by both, median of {RUNS} runs",
        [
            "SLO set",
            "tool",
            "procs",
            "wall",
            "wall range",
            "CPU",
            "files",
            "rules",
            "wall x Sloth",
            "CPU x Sloth",
        ],
        rows,
    )
    return 0

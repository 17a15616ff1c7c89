"""What `pip install budgetwarden` gives a user: the operator and the offline CLI, nothing else.

Builds the product wheel from this checkout and reads its file list, then installs the checkout
with plain pip into a fresh virtual environment (dependencies from the package index, without
budgetwarden-devtools) and runs the installed `budgetwarden` command as a user would. Both build
from a copy of the checkout's files (what git tracks or would track): setuptools builds in the
source folder, and a build/ folder left in the checkout would put files deleted since then into
later wheels.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tour_support import tour_commands, tour_folder

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "01-availability-ratio.yaml"
PIP_TIMEOUT = 900  # seconds; resolving and installing the dependencies from the package index
NOT_IN_THE_PRODUCT = ("devenv", "demo", "budgetwarden_dev", "bench", "tests")

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(PIP_TIMEOUT + 300)]


def _env() -> dict[str, str]:
    """The environment without anything that points Python or pip at this checkout's venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.pop("VIRTUAL_ENV", None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(command: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout, check=False
    )


def _ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, f"{' '.join(done.args)}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the checkout's files: the ones git tracks or would track."""
    listed = _ok(_run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                      ROOT)).stdout  # fmt: skip
    copy = tmp_path_factory.mktemp("checkout")
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():  # not deleted since it was staged
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    return copy


@pytest.fixture(scope="module")
def installed(checkout: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with `pip install <checkout>` done; its bin folder."""
    folder = tmp_path_factory.mktemp("product")
    _ok(_run([sys.executable, "-m", "venv", str(folder / "venv")], folder))
    bin_dir = folder / "venv" / "bin"
    _ok(_run([str(bin_dir / "pip"), "install", "--quiet", str(checkout)], folder, PIP_TIMEOUT))
    return bin_dir


def test_the_wheel_holds_only_the_product(checkout: Path, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
               "--no-build-isolation", "-w", str(tmp_path), str(checkout)]  # fmt: skip
    _ok(_run(command, tmp_path, PIP_TIMEOUT))
    (wheel,) = tmp_path.glob("budgetwarden-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "budgetwarden/cli/generate.py" in names
    assert any(name.startswith("budgetwarden/handlers/") for name in names)
    stray = [name for name in names if any(part in name for part in NOT_IN_THE_PRODUCT)]
    assert stray == []


def test_generate_prints_the_prometheus_rule(installed: Path) -> None:
    done = _ok(_run([str(installed / "budgetwarden"), "generate",
                     "examples/01-availability-ratio.yaml"], ROOT))  # fmt: skip
    golden = "".join(
        line for line in GOLDEN.read_text().splitlines(keepends=True) if not line.startswith("#")
    )
    assert done.stdout == golden


def test_run_offers_its_options(installed: Path) -> None:
    done = _ok(_run([str(installed / "budgetwarden"), "run", "--help"], ROOT))
    assert "--prometheus-url" in done.stdout


def test_the_dev_tools_are_not_commands(installed: Path) -> None:
    done = _run([str(installed / "budgetwarden"), "dev", "up"], ROOT)
    assert done.returncode == 2
    assert "invalid choice" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_dev_tools_are_not_installed(installed: Path, tmp_path: Path) -> None:
    names = ["budgetwarden_dev", *(f"budgetwarden.{old_home}" for old_home in ("devenv", "demo"))]
    probe = "import importlib.util as u, sys; print(*(u.find_spec(n) for n in sys.argv[1:]))"
    done = _ok(_run([str(installed / "python"), "-c", probe, *names], tmp_path))
    assert done.stdout.split() == ["None"] * len(names)


def test_the_readme_tour_runs_as_written(installed: Path, tmp_path: Path) -> None:
    folder = tour_folder(tmp_path)
    for argv in tour_commands():
        done = _ok(_run([str(installed / "budgetwarden"), *argv[1:]], folder))
        assert "Traceback" not in done.stderr

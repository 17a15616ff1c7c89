"""One gate for `validate` and `generate`, and where their output goes: `-o FILE` (one file,
overwritten only with --force), `-o DIR` (a file per SLO), stdout, and `-` for stdin."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
import yaml

from cli_support import EXAMPLES, run

SLO = EXAMPLES / "01-availability-ratio.yaml"
LATENCY = EXAMPLES / "02-latency.yaml"


def _low(tmp_path: Path) -> Path:
    """An SLO whose 90% objective draws a warning (the page alert can never fire)."""
    resource = yaml.safe_load(SLO.read_text())
    resource["spec"]["objective"] = "90"
    path = tmp_path / "low.yaml"
    path.write_text(yaml.safe_dump(resource))
    return path


def test_o_with_a_yaml_suffix_writes_one_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "rules.yaml"
    assert run(capsys, "generate", str(SLO), str(LATENCY), "-o", str(target)) == (0, "", "")
    _, stdout, _ = run(capsys, "generate", str(SLO), str(LATENCY))
    assert target.is_file() and target.read_text() == stdout
    assert len(list(yaml.safe_load_all(stdout))) == 2


def test_o_onto_an_existing_file_needs_force(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "rules"
    target.write_text("old\n")
    code, _, err = run(capsys, "generate", str(SLO), "-o", str(target), "--format", "prometheus")
    assert (code, err, target.read_text()) == (
        2,
        f"{target}: the file exists; pass --force to overwrite it\n",
        "old\n",
    )
    args = ("generate", str(SLO), "-o", str(target), "--format", "prometheus", "--force")
    assert run(capsys, *args) == (0, "", "")
    assert list(yaml.safe_load(target.read_text())) == ["groups"]


def test_o_without_a_suffix_is_a_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "out" / "rules"
    assert run(capsys, "generate", str(SLO), str(LATENCY), "-o", str(target)) == (0, "", "")
    assert sorted(p.name for p in target.iterdir()) == [
        "shop-checkout-availability.yaml",
        "shop-checkout-latency.yaml",
    ]


def test_a_pack_goes_to_a_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    args = ("generate", "pack", "resources", "model-quality", "-o", str(tmp_path / "packs"))
    assert run(capsys, *args) == (0, "", "")
    assert sorted(p.name for p in (tmp_path / "packs").iterdir()) == [
        "budgetwarden-pack-model-quality.yaml",
        "budgetwarden-pack-resources.yaml",
    ]


def test_dash_reads_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SLO.read_bytes())))
    code, out, err = run(capsys, "generate", "-")
    assert (code, err) == (0, "")
    assert run(capsys, "generate", str(SLO))[1] == out


def test_validate_and_generate_print_the_same_warnings(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    low = _low(tmp_path)
    _, validated, _ = run(capsys, "validate", str(low))
    warnings = [line for line in validated.splitlines() if line.startswith("warning: ")]
    code, out, err = run(capsys, "generate", str(low))
    assert (code, err.splitlines()) == (0, warnings)
    assert len(warnings) == 2 and out


def test_strict_fails_on_warnings_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    low, target = _low(tmp_path), tmp_path / "rules"
    code, out, err = run(capsys, "generate", str(low), "--strict", "-o", str(target))
    assert (code, out, len(err.splitlines())) == (1, "", 2)
    assert all(line.endswith("(a warning; --strict fails on it)") for line in err.splitlines())
    assert not target.exists()
    assert run(capsys, "validate", str(low), "--strict")[0] == 1


def test_allow_empty_accepts_input_without_resources(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "kustomization.yaml"
    empty.write_text("kind: Kustomization\nresources: []\n")
    assert run(capsys, "validate", str(empty), "--allow-empty") == (
        0,
        f"ok {empty} (0 resources)\n",
        "",
    )
    assert run(capsys, "generate", str(empty), "--allow-empty") == (0, "", "")
    assert run(capsys, "generate", str(empty), "--allow-empty", "--format", "prometheus") == (
        0,
        "groups: []\n",
        "",
    )

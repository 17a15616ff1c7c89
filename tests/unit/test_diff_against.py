"""`budgetwarden diff` without a cluster, run in this process as a user runs it: `--against DIR`
(the rules of a change against an earlier `generate -o DIR`), credentials that cannot be loaded,
and the program name usage gives under either console script."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from budgetwarden.cli._output import CliError
from cli_support import EXAMPLES, run
from diff_support import (
    CHANGED_RULES,
    NEW_OBJECTIVE,
    as_changed,
    changed_lines,
    slo_example,
    with_objective,
    write,
)

RULES_FILE = "shop-checkout-availability.yaml"


@pytest.fixture
def change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    """(a folder of SLO files, the folder `generate -o` wrote for them on the main branch)."""
    slos = tmp_path / "slos"
    slos.mkdir()
    for name in ("01-availability-ratio", "02-latency"):
        (slos / f"{name}.yaml").write_text((EXAMPLES / f"{name}.yaml").read_text())
    main = tmp_path / "main"
    assert run(capsys, "generate", str(slos), "-o", str(main)) == (0, "", "")
    return slos, main


def test_an_unchanged_input_has_no_changes(
    capsys: pytest.CaptureFixture[str], change: tuple[Path, Path]
) -> None:
    slos, main = change
    assert run(capsys, "diff", str(slos), "--against", str(main)) == (
        0,
        "no changes: shop/checkout-availability-slo\nno changes: shop/checkout-latency-slo\n",
        "",
    )


def test_a_new_objective_changes_exactly_the_rules_that_use_it(
    capsys: pytest.CaptureFixture[str], change: tuple[Path, Path]
) -> None:
    slos, main = change
    write(slos / "01-availability-ratio.yaml", with_objective(slo_example(), NEW_OBJECTIVE))
    code, out, err = run(capsys, "diff", str(slos), "--against", str(main))
    head, rest = out.split("\n@@", 1)
    removed, added = changed_lines(rest)
    assert (code, err) == (1, "")
    assert head.splitlines() == [
        f"--- {main / RULES_FILE}",
        "+++ generated/shop/checkout-availability-slo",
    ]
    assert len(removed) == CHANGED_RULES
    assert [as_changed(line) for line in removed] == added
    assert out.endswith("no changes: shop/checkout-latency-slo\n")


def test_an_slo_without_rules_in_the_folder_is_all_new(
    capsys: pytest.CaptureFixture[str], change: tuple[Path, Path]
) -> None:
    slos, main = change
    rule = yaml.safe_load((main / RULES_FILE).read_text())
    (main / RULES_FILE).unlink()
    code, out, err = run(capsys, "diff", str(slos / "01-availability-ratio.yaml"), "--against",
                         str(main))  # fmt: skip
    removed, added = changed_lines(out)
    assert (code, err, removed) == (1, "", [])
    assert out.splitlines()[:2] == ["--- /dev/null", "+++ generated/shop/checkout-availability-slo"]
    assert out.splitlines()[2].startswith("@@ -0,0 +1,")
    assert yaml.safe_load("\n".join(added)) == {"groups": rule["spec"]["groups"]}


@pytest.mark.parametrize(
    "rewrite",
    [
        pytest.param(lambda rule: rule, id="the same object"),
        pytest.param(lambda rule: {"groups": rule["spec"]["groups"]}, id="a plain rule file"),
    ],
)
def test_keys_in_another_order_are_no_change(
    capsys: pytest.CaptureFixture[str], change: tuple[Path, Path], rewrite: object
) -> None:
    slos, main = change
    rule = yaml.safe_load((main / RULES_FILE).read_text())
    (main / RULES_FILE).write_text(yaml.safe_dump(rewrite(rule), sort_keys=True))  # type: ignore[operator]
    code, out, err = run(capsys, "diff", str(slos / "01-availability-ratio.yaml"), "--against",
                         str(main))  # fmt: skip
    assert (code, out, err) == (0, "no changes: shop/checkout-availability-slo\n", "")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        pytest.param("kind: ConfigMap\ndata: {}\n", "holds no rule groups", id="not rules"),
        pytest.param("groups: [\n", "not valid YAML", id="not YAML"),
    ],
)
def test_a_folder_file_that_is_not_rules_is_an_error(
    capsys: pytest.CaptureFixture[str], change: tuple[Path, Path], content: str, problem: str
) -> None:
    slos, main = change
    (main / RULES_FILE).write_text(content)
    code, out, err = run(capsys, "diff", str(slos), "--against", str(main))
    assert (code, out) == (2, "")
    assert err.startswith(f"{main / RULES_FILE}: {problem}")
    assert len(err.splitlines()) == 1


def test_a_missing_folder_is_an_error(
    capsys: pytest.CaptureFixture[str], change: tuple[Path, Path], tmp_path: Path
) -> None:
    slos, _ = change
    missing = tmp_path / "nowhere"
    assert run(capsys, "diff", str(slos), "--against", str(missing)) == (
        2,
        "",
        f"--against {missing}: no such folder; name the folder `generate -o` wrote\n",
    )


def test_an_invalid_slo_is_an_error_with_validates_line(
    capsys: pytest.CaptureFixture[str], change: tuple[Path, Path]
) -> None:
    slos, main = change
    path = write(slos / "01-availability-ratio.yaml", with_objective(slo_example(), "100"))
    code, out, err = run(capsys, "diff", str(slos), "--against", str(main))
    assert (code, out) == (2, "")
    assert err.startswith(f"{path}: SLO/checkout-availability: spec.objective: must be below 100")


def test_no_slos_is_an_error_unless_allowed(
    capsys: pytest.CaptureFixture[str], change: tuple[Path, Path]
) -> None:
    _, main = change
    policy = str(EXAMPLES / "05-policy.yaml")
    assert run(capsys, "diff", policy, "--against", str(main)) == (
        2,
        "",
        f"{policy}: no SLO resources found; pass --allow-empty to accept that\n",
    )
    assert run(capsys, "diff", policy, "--against", str(main), "--allow-empty") == (0, "", "")


def test_a_kubeconfig_that_does_not_exist_is_one_line(
    capsys: pytest.CaptureFixture[str], change: tuple[Path, Path], tmp_path: Path
) -> None:
    slos, _ = change
    missing = tmp_path / "kubeconfig"
    code, out, err = run(capsys, "diff", str(slos), "--kubeconfig", str(missing))
    assert (code, out, len(err.splitlines())) == (2, "", 1)
    assert err.startswith("cannot load Kubernetes credentials: ")
    assert err.endswith("(to compare with files instead: --against DIR)\n")
    with pytest.raises(CliError):
        run(capsys, "diff", str(slos), "--kubeconfig", str(missing), "--debug")


@pytest.mark.parametrize(
    ("argv0", "prog"),
    [
        pytest.param("/usr/local/bin/budgetwarden", "budgetwarden", id="the command"),
        pytest.param("/usr/local/bin/kubectl-budgetwarden", "kubectl budgetwarden",
                     id="kubectl's plugin"),
        pytest.param("kubectl-budgetwarden.exe", "kubectl budgetwarden",
                     id="kubectl's plugin on Windows"),
    ],
)  # fmt: skip
def test_usage_names_the_program_as_it_was_invoked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv0: str, prog: str
) -> None:
    monkeypatch.setattr(sys, "argv", [argv0])
    with pytest.raises(SystemExit):
        run(capsys, "diff", "--help")
    assert capsys.readouterr().out.startswith(f"usage: {prog} diff ")

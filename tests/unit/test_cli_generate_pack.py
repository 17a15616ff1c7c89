"""`budgetwarden generate pack`, run as a user runs it: the golden output, the flags, and bad
flags refused with argparse's usage line and one error line that names the flag.

After a deliberate change to a pack, rewrite the golden files (each keeps its first line, a
comment) and review `git diff tests/golden/packs/`:

    for p in resources model-quality; do f=tests/golden/packs/$p.yaml
      { head -1 $f; .venv/bin/budgetwarden generate pack $p; } > $f.new && mv $f.new $f; done
"""

from __future__ import annotations

import subprocess

import pytest
import yaml

from budgetwarden.core.packs.build import build_pack_groups
from budgetwarden.core.packs.settings import PackSettings, ResourcesSettings, Threshold
from cli_support import CONSOLE_SCRIPT, GOLDEN, run

USAGE = "usage: budgetwarden generate pack [options] PACK [PACK ...]  (--help lists the options)\n"


def golden(pack: str) -> str:
    text = (GOLDEN / "packs" / f"{pack}.yaml").read_text()
    return text.split("\n", 1)[1]  # without the header comment


@pytest.mark.parametrize("pack", ["resources", "model-quality"])
def test_each_pack_prints_its_reviewed_prometheus_rule(
    capsys: pytest.CaptureFixture[str], pack: str
) -> None:
    assert run(capsys, "generate", "pack", pack) == (0, golden(pack), "")


def test_two_packs_print_two_objects_in_the_order_named(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "generate", "pack", "model-quality", "resources", "resources")
    assert (code, out, err) == (0, golden("model-quality") + "---\n" + golden("resources"), "")


def test_plain_rule_file_holds_every_group(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "generate", "pack", "resources", "model-quality",
                         "--format", "prometheus")  # fmt: skip
    groups = [
        yaml.safe_load(golden(p))["spec"]["groups"][0] for p in ("resources", "model-quality")
    ]
    assert (code, yaml.safe_load(out), err) == (0, {"groups": groups}, "")


def test_flags_reach_the_rules(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "generate", "pack", "resources", "--format", "prometheus",
        "--namespace-selector", 'namespace=~"shop|payments"', "--cpu-threshold", "90%",
        "--cpu-for", "30m", "--no-node-disks", "--priority", "PodCrashLooping=P1",
        "--runbook-base-url", "https://wiki.example.com/runbooks/",
    )  # fmt: skip
    expected = PackSettings(
        namespace_selector='namespace=~"shop|payments"',
        priorities={"PodCrashLooping": "P1"},
        resources=ResourcesSettings(cpu=Threshold("90", "30m"), node_disks=False),
    )
    groups = yaml.safe_load(out)["groups"]
    assert (code, err) == (0, "")
    runbooks = {r["annotations"]["runbook_url"] for r in groups[0]["rules"]}
    assert "https://wiki.example.com/runbooks/alerts/HighCPUUsage.md" in runbooks
    for rule in groups[0]["rules"]:
        rule["annotations"].pop("runbook_url")
    for rule in (ours := build_pack_groups(["resources"], expected))[0]["rules"]:
        rule["annotations"].pop("runbook_url")
    assert groups == ours


BAD_FLAGS = [
    pytest.param(["resources", "--cpu-threshold", "120"],
                 'argument --cpu-threshold: must be a percent above 0 and at most 100, such as '
                 '"85"; got "120"',
                 id="a percent above 100"),
    pytest.param(["resources", "--memory-for", "5"],
                 'argument --memory-for: must be a duration such as "5m", "1h" or "30d"; got "5"',
                 id="a duration without a unit"),
    pytest.param(["resources", "--namespace-selector", 'app="x"'],
                 "argument --namespace-selector: must match on the namespace label only; got "
                 "matchers on app",
                 id="a selector on another label"),
    pytest.param(["resources", "--priority", "HighCPUUsage=P5"],
                 'argument --priority: HighCPUUsage must be one of P0, P1, P2, P3; got "P5"',
                 id="a priority outside P0-P3"),
    pytest.param(["model-quality", "--confidence-metric", "conf_bucket"],
                 "argument --confidence-metric: must be the base name, without _sum, _count or "
                 '_bucket; got "conf_bucket"',
                 id="a histogram series instead of its base name"),
    pytest.param(["model-quality", "--drift-threshold", "-1"],
                 'argument --drift-threshold: must be a number such as "85" or "0.25"; got "-1"',
                 id="a negative threshold"),
    pytest.param(["model-quality", "--runbook-base-url", "wiki/{page}"],
                 "argument --runbook-base-url: must be an http:// or https:// URL without "
                 "spaces, such as https://github.com/acme/budgetwarden/blob/main/runbooks; "
                 'got "wiki/{page}"',
                 id="a runbook base that is no URL"),
    pytest.param(["costs"],
                 "argument PACK: invalid choice: 'costs' (choose from 'resources', "
                 "'model-quality')",
                 id="an unknown pack"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "message"), BAD_FLAGS)
def test_bad_flags_are_refused_in_one_line_naming_the_flag(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        run(capsys, "generate", "pack", *argv)
    assert (exited.value.code, capsys.readouterr().err) == (
        2,
        f"{USAGE}budgetwarden generate pack: error: {message}\n",
    )


def test_console_script_prints_a_pack_and_refuses_without_a_traceback() -> None:
    done = subprocess.run([str(CONSOLE_SCRIPT), "generate", "pack", "model-quality"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, golden("model-quality"), "")
    refused = subprocess.run([str(CONSOLE_SCRIPT), "generate", "pack", "resources", "--disk-for",
                              "soon"], capture_output=True, text=True, check=False)  # fmt: skip
    assert (refused.returncode, refused.stdout, refused.stderr.count("\n")) == (2, "", 2)
    assert "Traceback" not in refused.stderr


def test_generate_help_points_at_the_packs(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run(capsys, "generate", "--help")
    assert "budgetwarden generate pack PACK... prints an alert pack" in capsys.readouterr().out

"""Bad files, folders, flags and paths given to `validate`, `generate` and `import`: each gets one
line naming the file (the document and the field when there is one) and the exit status
docs/cli.md documents (1 problems found, 2 usage or I/O error), and never a traceback.

Most rows run in this process (an exception would fail the test with its stack); the rows marked
`subprocess` run the installed console script, where a traceback would be printed as such. The
workspace of bad files is in tests/cli_bad_input_support.py.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from budgetwarden.cli import main
from cli_bad_input_support import Case, make_workspace
from cli_support import CONSOLE_SCRIPT

G = "{w}/good.yaml"
K = "must be one of SLO, ErrorBudgetPolicy, FreezeException"

# fmt: off
CASES = {
    # paths that are not there or not files
    "a missing file": Case("validate {w}/missing.yaml", 2,
                           "{w}/missing.yaml: no such file or folder"),
    "a missing file to generate": Case("generate {w}/missing.yaml", 2,
                                       "{w}/missing.yaml: no such file or folder", subprocess=True),
    "a device instead of a file": Case("validate /dev/null", 2,
                                       "/dev/null: not a file or a folder"),
    "an empty path argument": Case("validate ''", 2, '"": an empty path'),
    "a missing file beside a good one": Case(f"validate {G} {{w}}/gone", 2,
                                             "{w}/gone: no such file or folder"),
    # files that are not YAML text
    "invalid YAML": Case("validate {w}/broken.yaml", 1,
                         "{w}/broken.yaml: line 2 column 1: not valid YAML: did not find"),
    "a text file that is not YAML": Case("generate {w}/notes.txt", 1,
                                         "{w}/notes.txt: line 2 column 1: not valid YAML"),
    "a binary file": Case("validate {w}/binary.bin", 1,
                          "{w}/binary.bin: not a text file: byte 129 is not UTF-8",
                          subprocess=True),
    "NUL bytes": Case("validate {w}/nul.yaml", 1, "{w}/nul.yaml: not a text file: it holds NUL"),
    "a Latin-1 file": Case("generate {w}/latin1.yaml", 1,
                           "{w}/latin1.yaml: not a text file: byte 10 is not UTF-8"),
    "a tab for indentation": Case("validate {w}/tab.yaml", 1,
                                  "{w}/tab.yaml: line 4 column 1: not valid YAML: a tab character"),
    "a tab on stdin": Case("validate -", 1, "<stdin>: line 2 column 1: not valid YAML: a tab",
                           stdin=b"a:\n\t- b\n"),
    "YAML nested too deeply": Case("validate {w}/deep.yaml", 1, "not valid YAML: exceeded"),
    "a file name that is not UTF-8": Case("validate {w}/odd-names", 1,
                                          "odd-names/caf\\udce9.yaml: line 2 column 1: not "
                                          "valid YAML", subprocess=True),
    "a Python tag": Case("validate {w}/tag.yaml", 1, "{w}/tag.yaml: line 1 column 4: not valid"),
    # nothing of ours in the input
    "an empty file": Case("validate {w}/empty.yaml", 1, "{w}/empty.yaml: no resources of kind "
                          "SLO, ErrorBudgetPolicy, FreezeException found; pass --allow-empty"),
    "a file of comments": Case("validate {w}/comments.yaml", 1, "no resources of kind SLO"),
    "only a Deployment": Case("validate {w}/deployment.yaml", 1, "no resources of kind SLO"),
    "a YAML list": Case("validate {w}/list.yaml", 1, "{w}/list.yaml: no resources of kind SLO"),
    "an empty folder": Case("validate {w}/nothing", 1,
                            "{w}/nothing: no .yaml or .yml files found (hidden files"),
    "a folder of only hidden YAML": Case("validate {w}/empty-dir", 1, "no .yaml or .yml files"),
    "a folder of text files": Case("generate {w}/text-only", 1, "no .yaml or .yml files found"),
    "empty stdin": Case("validate -", 1, "-: no resources of kind SLO", stdin=b""),
    "no SLO to generate": Case("generate {w}/policy.yaml", 1,
                               "{w}/policy.yaml: no SLO resources found; pass --allow-empty"),
    # documents that look like ours and are not right
    "no apiVersion": Case("validate {w}/no-api.yaml", 1,
                          '{w}/no-api.yaml: SLO/x: apiVersion: is required: "budgetwarden.io/'),
    "an OpenSLO SLO": Case("generate {w}/openslo.yaml", 1, "{w}/openslo.yaml: SLO/x: apiVersion: "
                           'must be "budgetwarden.io/v1alpha1"; got "openslo/v1" (an OpenSLO'),
    "an old apiVersion": Case("validate {w}/old-api.yaml", 1, 'got "budgetwarden.io/v1"'),
    "a kind in the wrong case": Case("generate {w}/slo-case.yaml", 1,
                                     f'Slo/x: kind: {K}; got "Slo"; did you mean "SLO"?'),
    "a plural kind": Case("validate {w}/plural.yaml", 1, 'did you mean "ErrorBudgetPolicy"?'),
    "no kind": Case("validate {w}/no-kind.yaml", 1, f"document 1: kind: {K}; it is missing"),
    "a misspelled field": Case("generate {w}/typo.yaml", 1, "{w}/typo.yaml: SLO/x: "
                               'spec.objectiv: unknown field; did you mean "objective"?'),
    "no metadata": Case("validate {w}/no-metadata.yaml", 1, "SLO (document 1): metadata: is "
                        "required"),
    "a name Kubernetes refuses": Case("validate {w}/bad-name.yaml", 1, "metadata.name: must be a "
                                      "Kubernetes name of lowercase letters"),
    "an SLO defined twice across files": Case(f"validate {G} {{w}}/dup", 1,
                                              "{w}/dup/again.yaml: SLO/checkout-availability: "
                                              "metadata.name: SLO shop/checkout-availability is "
                                              "also defined in {w}/good.yaml"),
    "the same SLO twice to generate": Case(f"generate {G} {{w}}/dup", 1, "is also defined in"),
    "a window too short for the scrape interval": Case("generate {w}/day.yaml", 1,
                                                       "scrape at least every 5s"),
    "a warning with --strict": Case("validate --strict {w}/low.yaml", 1,
                                    "(a warning; --strict fails on it)"),
    "a warning with --strict to generate": Case("generate {w}/low.yaml --strict", 1,
                                                "can never fire"),
    # flags
    "no path": Case("validate", 2, "the following arguments are required: FILE|DIR"),
    "an unknown flag": Case(f"generate {G} --nope", 2, "unrecognized arguments: --nope"),
    "an unknown format": Case(f"generate {G} --format xml", 2, "argument --format: invalid"),
    "a bad scrape interval": Case(f"validate {G} --scrape-interval 5x", 2,
                                  'argument --scrape-interval: must be a duration such as "5m"'),
    "a scrape interval too long": Case(f"generate {G} --scrape-interval 10m", 2,
                                       "--scrape-interval: scrape interval 10m is too long"),
    "no command": Case("", 2, "usage: budgetwarden"),
    "an unknown command": Case("valdate x", 2, "invalid choice: 'valdate'"),
    # -o
    "-o onto an existing file": Case(f"generate {G} -o {{w}}/exists.yaml", 2,
                                     "{w}/exists.yaml: the file exists; pass --force to overwrite",
                                     subprocess=True),
    "-o onto an existing file without a suffix": Case(f"generate {G} -o {{w}}/exists", 2,
                                                      "{w}/exists: the file exists; pass --force"),
    "-o into a missing folder": Case(f"generate {G} -o {{w}}/no/such/rules.yaml", 2,
                                     "{w}/no/such/rules.yaml: the folder {w}/no/such does not"),
    "-o below a file": Case(f"generate {G} -o {{w}}/good.yaml/rules", 2,
                            "{w}/good.yaml/rules: {w}/good.yaml is a file, not a folder"),
    "-o onto a device": Case(f"generate {G} -o /dev/null", 2, "/dev/null: not a file or a folder"),
    "-o where nothing can be written": Case(f"generate {G} -o /proc/rules", 2,
                                            "/proc/rules: cannot write"),
    "-o of a pack onto an existing file": Case("generate pack resources -o {w}/exists.yaml", 2,
                                               "{w}/exists.yaml: the file exists"),
    # import
    "import of a missing Sloth file": Case("import sloth {w}/missing.yaml", 2,
                                           "{w}/missing.yaml: no such file or folder",
                                           subprocess=True),
    "import of a missing OpenSLO file": Case("import openslo {w}/missing.yaml", 2,
                                             "{w}/missing.yaml: no such file or folder"),
    "import of an empty folder": Case("import sloth {w}/nothing", 1, "nothing converted from"),
    "import of a file that is not YAML": Case("import sloth {w}/notes.txt", 1,
                                              "{w}/notes.txt: line 2 column 1: not valid YAML"),
    "import of a binary file": Case("import openslo {w}/binary.bin", 1,
                                    "{w}/binary.bin: not a text file"),
    "import of an unknown format": Case("import nobl9 {w}/good.yaml", 2, "invalid choice"),
    "import onto an existing file": Case("import sloth {w}/../sloth.yaml -o {w}/exists.yaml", 2,
                                         "{w}/exists.yaml: the file exists; pass --force"),
}
# fmt: on


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bad files; rows must not change them (-o rows fail before writing)."""
    root = tmp_path_factory.mktemp("bad") / "w"
    root.mkdir()
    sloth = Path(__file__).resolve().parents[2] / "examples" / "sloth" / "checkout.yaml"
    (root.parent / "sloth.yaml").write_text(sloth.read_text())
    return make_workspace(root)


def _in_process(
    case: Case, argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str]:
    if case.stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(case.stdin)))
    try:
        code = main(argv)
    except SystemExit as exited:  # argparse's usage errors
        code = int(exited.code or 0)
    out, err = capsys.readouterr()
    return code, out + err


def _console(case: Case, argv: list[str]) -> tuple[int, str]:
    done = subprocess.run([str(CONSOLE_SCRIPT), *argv], input=case.stdin or b"",
                          capture_output=True, timeout=60, check=False)  # fmt: skip
    return done.returncode, (done.stdout + done.stderr).decode("utf-8", "replace")


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input_gets_one_line_and_its_exit_status(
    case: Case,
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    argv = case.args(workspace)
    if case.subprocess:
        code, output = _console(case, argv)
    else:
        code, output = _in_process(case, argv, capsys, monkeypatch)
    expected = case.line.replace("{w}", str(workspace))
    assert "Traceback" not in output
    assert code == case.code, output
    assert any(expected in line for line in output.splitlines()), output


def test_the_table_is_as_long_as_promised() -> None:
    assert len(CASES) >= 40
    assert sum(case.subprocess for case in CASES.values()) >= 4

"""Bad input to `budgetwarden report alerts`: one line on stderr each, exit 1 (Prometheus) or 2
(usage, files), never a traceback. The rows that need a real Prometheus (no generated rules, a
period without alerts) are in tests/integration/test_report_alerts.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from budgetwarden.cli import main
from budgetwarden_dev.devenv.processes import free_port
from cli_support import CONSOLE_SCRIPT

PROG = "budgetwarden report alerts"
NOBODY = f"http://127.0.0.1:{free_port()}"  # a port nothing listens on
INCIDENT = (
    "- name: outage\n  start: 2026-11-02T10:00:00Z\n  end: {end}\n  expects: [SLOServiceDown]\n"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The command line in this process; argparse's exit becomes the exit code."""
    try:
        code = main(["report", *argv])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def files(tmp_path: Path) -> dict[str, str]:
    written = {
        "late-end.yaml": INCIDENT.format(end="2026-11-02T09:00:00Z"),
        "broken.yaml": "- name: outage\n  start: [2026\n",
        "empty.json": "[]",
        "naive.yaml": INCIDENT.format(end="2026-11-02T11:00:00"),
    }
    for name, text in written.items():
        (tmp_path / name).write_text(text)
    return {name: str(tmp_path / name) for name in written}


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        pytest.param(["alerts", "--since", "0"], 2,
                     'budgetwarden report: error: argument --since: must be a duration such as '
                     '"5m", "1h" or "30d"; got "0"', id="a since of 0"),
        pytest.param(["alerts", "--since", "abc"], 2,
                     'argument --since: must be a duration such as "5m", "1h" or "30d"; got "abc"',
                     id="a since that is no duration"),
        pytest.param(["alerts", "--since", "500d"], 2,
                     'argument --since: must be from 1h to 400d; got "500d"',
                     id="a since too long"),
        pytest.param(["alerts", "--until", "yesterday"], 2,
                     'argument --until: must be a time with a zone such as '
                     '"2026-12-01T00:00:00Z"; got "yesterday"', id="an until that is no time"),
        pytest.param(["pages"], 2, "argument what: invalid choice: 'pages'",
                     id="a report other than alerts"),
        pytest.param(["alerts", "--prometheus-url", NOBODY, "--incidents", "/nonexistent.yaml"], 2,
                     f"{PROG}: --incidents /nonexistent.yaml: cannot read: No such file or "
                     f"directory", id="an incidents file that does not exist"),
        pytest.param(["alerts", "--prometheus-url", NOBODY, "--incidents", "@broken.yaml"], 2,
                     f"{PROG}: --incidents @broken.yaml: not YAML or JSON at line 3: "
                     f"expected ',' or ']', but got '<stream end>'",
                     id="an incidents file that is not YAML"),
        pytest.param(["alerts", "--prometheus-url", NOBODY, "--incidents", "@late-end.yaml"], 2,
                     f"{PROG}: --incidents @late-end.yaml: incidents[0]: end must be after "
                     f"start; got 2026-11-02 10:00:00+00:00 to 2026-11-02 09:00:00+00:00",
                     id="an incident that ends before it starts"),
        pytest.param(["alerts", "--prometheus-url", NOBODY, "--incidents", "@naive.yaml"], 2,
                     f"{PROG}: --incidents @naive.yaml: incidents[0].end: must be a timestamp "
                     f'with a time zone such as "2026-12-01T18:00:00Z"; got "2026-11-02T11:00:00"',
                     id="a time without a zone, quoted as written"),
        pytest.param(["alerts", "--prometheus-url", NOBODY, "--incidents", "@empty.json"], 2,
                     f"{PROG}: --incidents @empty.json: incidents: must have at least 1 item",
                     id="an incidents file without incidents"),
        pytest.param(["alerts", "--prometheus-url", NOBODY, "--token-file", "/nonexistent"], 2,
                     f"{PROG}: --token-file /nonexistent: cannot read: No such file or directory",
                     id="a token file that does not exist"),
        pytest.param(["alerts", "--prometheus-url", NOBODY, "--ca-file", "/nonexistent"], 2,
                     f"{PROG}: --ca-file /nonexistent: cannot read it",
                     id="a CA file that does not exist"),
        pytest.param(["alerts", "--prometheus-url", NOBODY, "--ca-file", "@empty.json"], 1,
                     f"{PROG}: Prometheus at {NOBODY} cannot be trusted with CA file @empty.json: ",
                     id="a CA file without certificates"),
        pytest.param(["alerts", "--prometheus-url", NOBODY], 1,
                     f"{PROG}: Prometheus at {NOBODY} cannot be reached (ConnectError: ",
                     id="an unreachable Prometheus"),
        pytest.param(["alerts"], 2,
                     f"{PROG}: --prometheus-url is required (or set BUDGETWARDEN_PROMETHEUS_URL)",
                     id="no Prometheus at all"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_an_exit_code(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    argv: list[str],
    code: int,
    message: str,
) -> None:
    monkeypatch.delenv("BUDGETWARDEN_PROMETHEUS_URL", raising=False)
    paths = files(tmp_path)
    argv = [paths.get(arg.removeprefix("@"), arg) for arg in argv]
    got, out, err = run(capsys, *argv)
    lines = [line for line in err.splitlines() if not line.startswith(("usage:", " "))]
    assert (got, out) == (code, "")
    for name, path in sorted(paths.items()):
        message = message.replace(f"@{name}", path)
    assert len(lines) == 1 and message in lines[0]


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        pytest.param(["--prometheus-url", NOBODY], 1, f"Prometheus at {NOBODY} cannot be reached",
                     id="an unreachable Prometheus"),
        pytest.param(["--since", "abc"], 2, 'must be a duration such as "5m"',
                     id="a since that is no duration"),
    ],
)  # fmt: skip
def test_the_installed_command_prints_no_traceback(
    argv: list[str], code: int, message: str
) -> None:
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), "report", "alerts", *argv], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout) == (code, "")
    assert message in done.stderr and "Traceback" not in done.stderr

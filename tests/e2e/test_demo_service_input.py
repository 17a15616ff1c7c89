"""The demo service, run as the real `budgetwarden demo-service` process, given bad input.

Bad input to `PUT /control` is refused by field name and changes nothing; bad flags are all
named and exit with code 2.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import httpx
import pytest

from budgetwarden_dev.demo.process import DemoServiceProcess, service_command

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def steady(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServiceProcess]:
    """One service that only ever receives input it must refuse."""
    workdir = tmp_path_factory.mktemp("steady")
    with DemoServiceProcess(error_rate="0.02", latency="20ms", workdir=workdir) as service:
        yield service


BAD_CONTROL_BODIES = [
    pytest.param(
        b'{"errorRate": 0.05}',
        [("errorRate", 'must be a string such as "0.02" (no floats); got 0.05')],
        id="a float error rate is refused",
    ),
    pytest.param(
        b'{"errorRate": "1.5"}',
        [("errorRate", 'must be between 0 and 1 (a share, "0.02" is 2 %); got "1.5"')],
        id="an error rate above one is refused",
    ),
    pytest.param(
        b'{"latency": "fast", "loadRPS": "-1"}',
        [
            ("latency", 'must be a duration such as "20ms" or "1s"; got "fast"'),
            ("loadRPS", 'must be zero or more; got "-1"'),
        ],
        id="every bad field is named at once",
    ),
    pytest.param(
        b'{"errorRate": "0.5", "loadRps": 5}',
        [
            (
                "loadRps",
                "unknown field; allowed: errorRate, latency, loadRPS, down, cpuBurn, memoryFill",
            )
        ],
        id="a misspelt field is refused and the good one is not applied",
    ),
    pytest.param(
        b'{"down": "yes", "cpuBurn": "2", "memoryFill": 0.5}',
        [
            ("down", "must be true or false; got 'yes'"),
            ("cpuBurn", 'must be between 0 and 1 (a share of the limit); got "2"'),
            ("memoryFill", 'must be a string such as "0.9" (no floats); got 0.5'),
        ],
        id="an outage is a boolean and pressure a share of the limit",
    ),
    pytest.param(
        b'["0.5"]',
        [
            (
                "body",
                'must be a JSON object such as {"errorRate": "0.02", "latency": "20ms", '
                '"loadRPS": "50"}',
            )
        ],
        id="a body that is not an object is refused",
    ),
    pytest.param(b"errorRate=0.5", [("body", "must be JSON")], id="a form body is refused"),
]


@pytest.mark.parametrize(("body", "problems"), BAD_CONTROL_BODIES)
def test_bad_control_input_is_refused_by_field(
    steady: DemoServiceProcess, body: bytes, problems: list[tuple[str, str]]
) -> None:
    response = httpx.put(f"{steady.url}/control", content=body, trust_env=False)
    assert (response.status_code, response.json()) == (
        400,
        {
            "error": "; ".join(f"{field}: {message}" for field, message in problems),
            "problems": [{"field": field, "message": message} for field, message in problems],
        },
    )
    assert steady.control() == {
        "errorRate": "0.02",
        "latency": "20ms",
        "loadRPS": "0",
        "down": False,
        "cpuBurn": "0",
        "memoryFill": "0",
        "errorMode": "exact",
    }


@pytest.mark.parametrize(
    ("flags", "stderr"),
    [
        pytest.param(
            ["--error-rate", "2", "--latency", "2m"],
            [
                'budgetwarden demo-service: --error-rate: must be between 0 and 1 (a share, "0.02" '
                'is 2 %); got "2"',
                'budgetwarden demo-service: --latency: must be at most 1m; got "2m"',
            ],
            id="bad flags are all named",
        ),
        pytest.param(
            ["--listen", "8080", "--load", "fast"],
            [
                'budgetwarden demo-service: --listen: must be HOST:PORT such as "127.0.0.1:8080"; '
                'got "8080"',
                "budgetwarden demo-service: --load: must be a number written as a string such as "
                '"50"; got "fast"',
            ],
            id="a port without a host and a word for a rate are named",
        ),
    ],
)
def test_bad_flags_exit_with_code_2(flags: list[str], stderr: list[str]) -> None:
    result = subprocess.run(
        [*service_command(), "demo-service", *flags], capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stderr.splitlines()) == (2, stderr)

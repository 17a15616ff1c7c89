"""Credentials and TLS of the Prometheus readers (adapters/prometheus_access.py): the operator's
BUDGETWARDEN_PROMETHEUS_* variables and `report alerts`' flags, parsed and checked once, each
bad setting one line naming it; the Authorization header each request gets, from files re-read
when they change. The readers against a real HTTPS server are in
tests/integration/test_prometheus_tls.py."""

from __future__ import annotations

import base64
import os
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from budgetwarden.adapters.prometheus_access import (
    Authorization,
    CredentialsUnreadable,
    PrometheusAccess,
    PrometheusSettings,
    requests_tls,
    ssl_context,
)
from budgetwarden.cli import main
from budgetwarden.runtime.config import OperatorConfig
from budgetwarden.runtime.settings import ConfigError
from budgetwarden_dev.devenv.certs import Authority, pem_cert, pem_key
from cli_support import CONSOLE_SCRIPT

V = "BUDGETWARDEN_PROMETHEUS_"  # every variable of this file starts so


def write_files(directory: Path) -> dict[str, str]:
    """token, empty, password, ca.crt, client.crt, client.key, other.key, not-pem: their paths."""
    ca = Authority.create("prometheus-test-ca")
    key, cert = ca.issue("budgetwarden", client=True)
    other_key, _ = ca.issue("someone-else", client=True)
    written = {
        "token": b"t0k3n\n",
        "empty": b"\n",
        "password": b"s3cret\n",
        "ca.crt": pem_cert(ca.cert),
        "client.crt": pem_cert(cert),
        "client.key": pem_key(key),
        "other.key": pem_key(other_key),
        "not-pem": b"hello\n",
    }
    for name, data in written.items():
        (directory / name).write_bytes(data)
    return {name: str(directory / name) for name in written}


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return write_files(tmp_path_factory.mktemp("prometheus-auth"))


def filled(values: dict[str, str], paths: dict[str, str]) -> dict[str, str]:
    """@name stands for the path of the file `name`."""
    return {key: paths.get(value[1:], value) if value.startswith("@") else value
            for key, value in values.items()}  # fmt: skip


GOOD = [
    pytest.param({}, PrometheusAccess(), id="nothing set: no credentials beyond a token Secret"),
    pytest.param({f"{V}TOKEN_FILE": "@token"}, PrometheusAccess(token_file="@token"),
                 id="a bearer token file"),
    pytest.param({f"{V}BASIC_AUTH_USERNAME": "budgetwarden",
                  f"{V}BASIC_AUTH_PASSWORD_FILE": "@password"},
                 PrometheusAccess(basic_auth_username="budgetwarden",
                                  basic_auth_password_file="@password"),
                 id="basic auth: a username and a password file"),
    pytest.param({f"{V}CA": "@ca.crt", f"{V}CERT_FILE": "@client.crt",
                  f"{V}KEY_FILE": "@client.key"},
                 PrometheusAccess(cert_file="@client.crt", key_file="@client.key"),
                 id="a client certificate and its key, with the CA"),
    pytest.param({f"{V}INSECURE_SKIP_VERIFY": "True"}, PrometheusAccess(insecure_skip_verify=True),
                 id="skipping verification is an explicit true"),
]  # fmt: skip


@pytest.mark.parametrize(("env", "expected"), GOOD)
def test_the_variables_become_the_readers_access(
    paths: dict[str, str], env: dict[str, str], expected: PrometheusAccess
) -> None:
    loop = OperatorConfig.load(filled(env, paths)).budget_loop
    files = {key: paths[value[1:]] for key, value in vars(expected).items()
             if isinstance(value, str) and value.startswith("@")}  # fmt: skip
    assert loop.access == replace(expected, **files)


BAD = [
    pytest.param({f"{V}TOKEN_FILE": "/nonexistent/token"}, {},
                 f"{V}TOKEN_FILE /nonexistent/token: cannot read: No such file or directory",
                 id="a token file that does not exist"),
    pytest.param({f"{V}TOKEN_FILE": "@empty"}, {}, f"{V}TOKEN_FILE @empty: is empty",
                 id="an empty token file"),
    pytest.param({f"{V}CERT_FILE": "@client.crt"}, {}, f"{V}CERT_FILE needs {V}KEY_FILE",
                 id="a certificate without a key"),
    pytest.param({f"{V}KEY_FILE": "@client.key"}, {}, f"{V}KEY_FILE needs {V}CERT_FILE",
                 id="a key without a certificate"),
    pytest.param({f"{V}BASIC_AUTH_USERNAME": "budgetwarden"}, {},
                 f"{V}BASIC_AUTH_USERNAME needs {V}BASIC_AUTH_PASSWORD_FILE",
                 id="a username without a password file"),
    pytest.param({f"{V}TOKEN_FILE": "@token", f"{V}BASIC_AUTH_USERNAME": "budgetwarden",
                  f"{V}BASIC_AUTH_PASSWORD_FILE": "@password"}, {},
                 f"{V}TOKEN_FILE and {V}BASIC_AUTH_USERNAME are both set: choose a bearer "
                 "token or basic auth", id="a token file and basic auth"),
    pytest.param({f"{V}TOKEN_FILE": "@token"}, {"prometheus_token_secret": "mon/prom/token"},
                 f"{V}TOKEN_FILE and --prometheus-token-secret are both set: choose one bearer "
                 "token", id="a token file and a token Secret"),
    pytest.param({f"{V}TOKEN_SECRET": "mon/prom/token", f"{V}BASIC_AUTH_USERNAME": "u",
                  f"{V}BASIC_AUTH_PASSWORD_FILE": "@password"}, {},
                 f"{V}TOKEN_SECRET and {V}BASIC_AUTH_USERNAME are both set: choose a bearer "
                 "token or basic auth", id="a token Secret and basic auth"),
    pytest.param({f"{V}INSECURE_SKIP_VERIFY": "yes"}, {},
                 f'{V}INSECURE_SKIP_VERIFY must be true or false; got "yes"',
                 id="skipping verification is true or false"),
    pytest.param({f"{V}INSECURE_SKIP_VERIFY": "true"}, {"prometheus_ca": "@ca.crt"},
                 f"{V}INSECURE_SKIP_VERIFY and --prometheus-ca are both set: verify the server "
                 "with the CA, or skip verifying it, not both", id="skip verification and a CA"),
    pytest.param({f"{V}CA": "@not-pem"}, {}, f"{V}CA @not-pem: [X509",
                 id="a CA file without a certificate"),
    pytest.param({f"{V}CERT_FILE": "@client.crt", f"{V}KEY_FILE": "@other.key"}, {},
                 f"{V}CERT_FILE @client.crt with {V}KEY_FILE @other.key: [X509: "
                 "KEY_VALUES_MISMATCH]", id="a key that is not the certificate's"),
]  # fmt: skip


@pytest.mark.parametrize(("env", "flags", "message"), BAD)
def test_a_bad_setting_is_refused_at_start_up_by_name(
    paths: dict[str, str], env: dict[str, str], flags: dict[str, str], message: str
) -> None:
    for name, path in paths.items():
        message = re.sub(f"@{re.escape(name)}\\b", path, message)
    with pytest.raises(ConfigError) as raised:
        OperatorConfig.load(filled(env, paths), **filled(flags, paths))
    assert str(raised.value).startswith(message)


def test_the_run_command_prints_the_bad_setting_without_a_traceback(
    paths: dict[str, str],
) -> None:
    env = {**os.environ, f"{V}CERT_FILE": paths["client.crt"]}
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), "run", "-A"], env=env, capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stderr) == (
        2,
        f"budgetwarden run: {V}CERT_FILE needs {V}KEY_FILE\n",
    )


REPORT_BAD = [
    pytest.param(["--cert-file", "@client.crt"], "--cert-file needs --key-file",
                 id="a certificate without a key"),
    pytest.param(["--token-file", "@token", "--basic-auth-username", "u",
                  "--basic-auth-password-file", "@password"],
                 "--token-file and --basic-auth-username are both set: choose a bearer token or "
                 "basic auth", id="a token and basic auth"),
    pytest.param(["--basic-auth-username", "u", "--basic-auth-password-file", "/nonexistent"],
                 "--basic-auth-password-file /nonexistent: cannot read: No such file or directory",
                 id="a password file that does not exist"),
    pytest.param(["--insecure-skip-verify", "--ca-file", "@ca.crt"],
                 "--insecure-skip-verify and --ca-file are both set", id="skip and a CA"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "message"), REPORT_BAD)
def test_report_alerts_refuses_bad_credentials_by_flag(
    capsys: pytest.CaptureFixture[str], paths: dict[str, str], argv: list[str], message: str
) -> None:
    args = [paths.get(arg[1:], arg) if arg.startswith("@") else arg for arg in argv]
    code = main(["report", "alerts", "--prometheus-url", "https://prometheus.test", *args])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith(f"budgetwarden report alerts: {message}") and err.count("\n") == 1


def test_a_token_file_is_read_again_when_it_is_replaced_or_rewritten(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("first\n")
    authorization = Authorization(PrometheusSettings("", access=PrometheusAccess(str(token))))
    assert authorization.header() == "Bearer first"
    rotated = tmp_path / "token.new"
    rotated.write_text("second\n")
    os.replace(rotated, token)  # as the kubelet swaps a projected token
    assert authorization.header() == "Bearer second"
    token.write_text("a longer third\n")  # rewritten in place
    assert authorization.header() == "Bearer a longer third"
    token.unlink()
    with pytest.raises(CredentialsUnreadable, match=f"the bearer token file {token}: No such"):
        authorization.header()


def test_basic_auth_and_a_fixed_token_make_their_headers(tmp_path: Path) -> None:
    password = tmp_path / "password"
    password.write_text("s3cret\n")
    basic = PrometheusAccess(basic_auth_username="bw", basic_auth_password_file=str(password))
    expected = "Basic " + base64.b64encode(b"bw:s3cret").decode()
    assert Authorization(PrometheusSettings("", access=basic)).header() == expected
    assert Authorization(PrometheusSettings("", "fixed")).header() == "Bearer fixed"
    assert Authorization(PrometheusSettings("")).header() is None


def test_tls_options_for_requests_and_httpx(paths: dict[str, str]) -> None:
    mtls = PrometheusSettings(
        "", ca_file=paths["ca.crt"],
        access=PrometheusAccess(cert_file=paths["client.crt"], key_file=paths["client.key"]),
    )  # fmt: skip
    skip = PrometheusSettings("", access=PrometheusAccess(insecure_skip_verify=True))
    assert requests_tls(mtls) == (paths["ca.crt"], (paths["client.crt"], paths["client.key"]))
    assert (requests_tls(skip), requests_tls(PrometheusSettings(""))) == (
        (False, None),
        (True, None),
    )
    context = ssl_context(skip)
    assert context is not None and (context.check_hostname, context.verify_mode) == (False, 0)
    assert ssl_context(PrometheusSettings("")) is None  # the library's own trust

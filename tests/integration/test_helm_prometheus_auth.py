"""The chart's `operator.prometheusAuth`: a Secret's files mounted into the operator container
and named by the BUDGETWARDEN_PROMETHEUS_* variables the operator reads, which it accepts as
rendered; half-set pairs fail at `helm template`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from budgetwarden.runtime import config as operator_config
from budgetwarden_dev.devenv.certs import Authority, pem_cert, pem_key
from helm_support import CHART, RELEASE, Render, build_helm, find, helm_run, renderer, set_args

pytestmark = pytest.mark.cluster

MOUNT = "/etc/budgetwarden/prometheus-auth"
V = "BUDGETWARDEN_PROMETHEUS_"


@pytest.fixture(scope="module")
def helm() -> Path:
    return build_helm()


@pytest.fixture(scope="module")
def render(helm: Path) -> Render:
    return renderer(helm)


def operator_pod(docs: list[dict[str, Any]]) -> tuple[dict[str, str], dict[str, Any], Any]:
    """The operator container's env and mounts, and the pod's prometheus-auth volume."""
    pod = find(docs, "Deployment")["spec"]["template"]["spec"]
    (container,) = [c for c in pod["containers"] if c["name"] == "operator"]
    env = {item["name"]: item["value"] for item in container.get("env", [])}
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    volume = next((v for v in pod["volumes"] if v["name"] == "prometheus-auth"), None)
    return env, mounts, volume


MTLS_AND_TOKEN = {
    "operator.prometheusURL": '"https://thanos-query.monitoring.svc:10902"',
    "operator.prometheusAuth.secretName": '"thanos-client"',
    "operator.prometheusAuth.tokenKey": '"token"',
    "operator.prometheusAuth.certKey": '"client.crt"',
    "operator.prometheusAuth.keyKey": '"client.key"',
}


def test_the_secret_files_are_mounted_and_named_by_the_variables(render: Render) -> None:
    env, mounts, volume = operator_pod(render("shop", MTLS_AND_TOKEN))
    assert {k: v for k, v in env.items() if k.startswith(V)} == {
        f"{V}TOKEN_FILE": f"{MOUNT}/token",
        f"{V}CERT_FILE": f"{MOUNT}/tls.crt",
        f"{V}KEY_FILE": f"{MOUNT}/tls.key",
    }
    assert mounts["prometheus-auth"] == {
        "name": "prometheus-auth", "mountPath": MOUNT, "readOnly": True,
    }  # fmt: skip
    assert volume == {
        "name": "prometheus-auth",
        "secret": {
            "secretName": "thanos-client",
            "items": [
                {"key": "token", "path": "token"},
                {"key": "client.crt", "path": "tls.crt"},
                {"key": "client.key", "path": "tls.key"},
            ],
        },
    }


def test_basic_auth_and_skipping_verification_reach_the_operator(render: Render) -> None:
    values = {
        "operator.prometheusAuth.secretName": '"vm-auth"',
        "operator.prometheusAuth.basicAuthUsername": '"budgetwarden"',
        "operator.prometheusAuth.passwordKey": '"password"',
        "operator.prometheusAuth.insecureSkipVerify": "true",
    }
    env, _, volume = operator_pod(render("shop", values))
    assert {k: v for k, v in env.items() if k.startswith(V)} == {
        f"{V}BASIC_AUTH_USERNAME": "budgetwarden",
        f"{V}BASIC_AUTH_PASSWORD_FILE": f"{MOUNT}/password",
        f"{V}INSECURE_SKIP_VERIFY": "true",
    }
    assert volume["secret"]["items"] == [{"key": "password", "path": "password"}]


def test_nothing_is_mounted_by_default(render: Render) -> None:
    env, mounts, volume = operator_pod(render("shop", {}))
    assert (volume, "prometheus-auth" in mounts) == (None, False)
    assert not [name for name in env if name.startswith(V)]


def test_the_operator_accepts_the_variables_as_rendered(render: Render, tmp_path: Path) -> None:
    env, _, _ = operator_pod(render("shop", MTLS_AND_TOKEN))
    read = {v for k, v in vars(operator_config).items() if k.startswith("ENV_")}
    assert set(env) - read == set()
    ca = Authority.create("client-ca")
    key, cert = ca.issue("budgetwarden", client=True)
    for name, data in (("token", b"t0k3n"), ("tls.crt", pem_cert(cert)), ("tls.key", pem_key(key))):
        (tmp_path / name).write_bytes(data)
    local = {name: value.replace(MOUNT, str(tmp_path)) for name, value in env.items()}
    access = operator_config.OperatorConfig.load(local).budget_loop.access
    assert (access.token_file, access.cert_file) == (f"{tmp_path}/token", f"{tmp_path}/tls.crt")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        pytest.param({"operator.prometheusAuth.certKey": '"tls.crt"'},
                     "are keys of operator.prometheusAuth.secretName, which is empty",
                     id="a key of no Secret"),
        pytest.param({"operator.prometheusAuth.secretName": '"s"',
                      "operator.prometheusAuth.certKey": '"tls.crt"'},
                     "certKey and keyKey go together", id="a certificate without its key"),
        pytest.param({"operator.prometheusAuth.secretName": '"s"',
                      "operator.prometheusAuth.basicAuthUsername": '"bw"'},
                     "basicAuthUsername and passwordKey go together",
                     id="a username without a password"),
        pytest.param({"operator.prometheusAuth.insecureSkipVerify": '"yes"'},
                     "insecureSkipVerify", id="skipping verification is a boolean"),
    ],
)  # fmt: skip
def test_half_set_values_are_refused(helm: Path, values: dict[str, str], message: str) -> None:
    result = helm_run(helm, "template", RELEASE, str(CHART), *set_args(values))
    assert result.returncode != 0 and message in result.stderr

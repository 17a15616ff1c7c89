"""The chart's Alertmanager Secret (value `alertmanager.enabled`): the routing and inhibition of
alertmanager/alertmanager.yml with the receivers from values, valid for `amtool check-config`.

Marked `cluster` like the other chart tests: helm is built with the control plane's toolchain
(hack/helm/build.sh). Only rendering happens here; no API server is started.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from alertmanager_support import SHIPPED, amtool, receivers_for
from helm_support import CHART, FULLNAME, RELEASE, Render, build_helm, helm_run, renderer, set_args

pytestmark = pytest.mark.cluster

RECEIVERS = {
    "alertmanager.enabled": "true",
    "alertmanager.receivers.pagerWebhookURL": '"https://oncall.example.com/alertmanager"',
    "alertmanager.receivers.chatWebhookURL": '"https://chat.example.com/hooks/sre"',
    "alertmanager.receivers.ticketEmail.to": '"sre-tickets@example.com"',
    "alertmanager.receivers.ticketEmail.from": '"alertmanager@example.com"',
    "alertmanager.receivers.ticketEmail.smarthost": '"smtp.example.com:587"',
}


@pytest.fixture(scope="module")
def render() -> Render:
    """render(namespace, values, *extra) -> the rendered documents."""
    return renderer(build_helm())


def alertmanager_secret(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The one Secret holding an alertmanager.yaml."""
    (secret,) = [d for d in docs if "alertmanager.yaml" in d.get("stringData", {})]
    return secret


def rendered_config(render: Render, tmp_path: Path, **values: str) -> tuple[dict[str, Any], Path]:
    """The alertmanager.yaml the chart renders, as data and as a file amtool can read."""
    secret = alertmanager_secret(render("monitoring", RECEIVERS | values))
    text = secret["stringData"]["alertmanager.yaml"]
    (tmp_path / "alertmanager.yaml").write_text(text)
    return yaml.safe_load(text), tmp_path / "alertmanager.yaml"


def test_the_rendered_config_passes_amtool_check_config(render: Render, tmp_path: Path) -> None:
    _, path = rendered_config(render, tmp_path)
    result = amtool("check-config", str(path))
    assert (result.returncode, "SUCCESS" in result.stdout) == (0, True), (
        result.stdout + result.stderr
    )


def test_the_chart_routes_and_inhibits_as_the_shipped_file(render: Render, tmp_path: Path) -> None:
    config, path = rendered_config(render, tmp_path)
    shipped = yaml.safe_load(SHIPPED.read_text())
    assert (config["route"], config["inhibit_rules"]) == (
        shipped["route"],
        shipped["inhibit_rules"],
    )
    assert receivers_for(path, {"priority": "P1", "service": "checkout"}) == ["pager", "chat"]


def test_the_receivers_come_from_values(render: Render, tmp_path: Path) -> None:
    config, _ = rendered_config(
        render,
        tmp_path,
        **{
            "alertmanager.receivers.ticketEmail.authUsername": '"am"',
            "alertmanager.receivers.ticketEmail.authPassword": '"s3cret"',
        },
    )
    assert config["receivers"] == [
        {"name": "pager", "webhook_configs": [
            {"url": "https://oncall.example.com/alertmanager", "send_resolved": True}]},
        {"name": "chat", "webhook_configs": [
            {"url": "https://chat.example.com/hooks/sre", "send_resolved": True}]},
        {"name": "ticket", "email_configs": [
            {"to": "sre-tickets@example.com", "send_resolved": False}]},
    ]  # fmt: skip
    assert config["global"] == {
        "resolve_timeout": "5m",
        "smtp_smarthost": "smtp.example.com:587",
        "smtp_from": "alertmanager@example.com",
        "smtp_auth_username": "am",
        "smtp_auth_password": "s3cret",
        "smtp_require_tls": True,
    }


@pytest.mark.parametrize(
    ("values", "where"),
    [
        pytest.param({}, ("monitoring", f"{FULLNAME}-alertmanager"), id="defaults: release ns"),
        pytest.param(
            {"alertmanager.namespace": '"observability"', "alertmanager.secretName": '"am-main"'},
            ("observability", "am-main"),
            id="in the Alertmanager's namespace, under the name its configSecret gives",
        ),
    ],
)
def test_where_the_secret_goes(
    render: Render, values: dict[str, str], where: tuple[str, str]
) -> None:
    metadata = alertmanager_secret(render("monitoring", RECEIVERS | values))["metadata"]
    assert (metadata["namespace"], metadata["name"]) == where


def test_off_by_default(render: Render) -> None:
    assert [
        d for d in render("monitoring", {}) if "alertmanager.yaml" in d.get("stringData", {})
    ] == []


def test_enabled_without_receivers_names_the_missing_value() -> None:
    result = helm_run(
        build_helm(), "template", RELEASE, str(CHART), *set_args({"alertmanager.enabled": "true"})
    )
    assert result.returncode != 0
    assert "alertmanager.receivers.ticketEmail.smarthost (host:port) is required" in result.stderr

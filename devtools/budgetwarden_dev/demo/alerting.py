"""Alertmanager in the demo: the shipped routing (alertmanager/alertmanager.yml), delivered to a
local receiver instead of a pager, a chat and a ticket queue.

`local_routing` keeps the routes, grouping and inhibition rules as they ship and changes only
where notifications go (each receiver becomes a webhook to the local receiver at
/<receiver name>) and how long Alertmanager waits before sending: the demo's SLO burns in
minutes, so the shipped group_wait of 30s to 5m would hide the routing behind the wait.
`start` runs the receiver (`budgetwarden demo-receiver`) and a real Alertmanager beside it;
`resources_pack` is the resources alert pack the resource-exhaustion drill expects.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from budgetwarden.core.packs.build import build_pack_prometheus_rule
from budgetwarden.core.packs.names import PACK_RESOURCES
from budgetwarden.core.packs.settings import PackSettings, ResourcesSettings, Threshold
from budgetwarden_dev.demo import components as parts
from budgetwarden_dev.devenv import processes
from budgetwarden_dev.devenv.binaries import find_binary, repo_root
from budgetwarden_dev.devenv.processes import Spawned

# The shipped routing's own order (group_wait shortest for P0, longest for P3) is kept in
# spirit: a page arrives within seconds, a ticket a little later.
DEMO_TIMINGS = {"group_wait": "2s", "group_interval": "10s", "repeat_interval": "1h"}


def shipped_routing() -> dict[str, Any]:
    """alertmanager/alertmanager.yml, as data."""
    loaded: dict[str, Any] = yaml.safe_load((repo_root() / "alertmanager" / "alertmanager.yml")
                                            .read_text())  # fmt: skip
    return loaded


def local_routing(
    config: Mapping[str, Any], receiver_url: str, timings: Mapping[str, str] = DEMO_TIMINGS
) -> dict[str, Any]:
    """The routing with every receiver a webhook to `receiver_url`/<receiver name> (resolved
    alerts sent where the shipped receiver sends them) and every route's timings set to
    `timings`; routes, grouping and inhibition rules stay as they are."""
    local = copy.deepcopy(dict(config))
    local.pop("global", None)  # SMTP settings of receivers that are no longer e-mail
    local["receivers"] = [
        {"name": r["name"], "webhook_configs": [
            {"url": f"{receiver_url}/{r['name']}", "send_resolved": _sends_resolved(r)}]}
        for r in config["receivers"]
    ]  # fmt: skip
    local["route"].update(timings)  # child routes inherit what they do not set
    children = list(local["route"].get("routes", []))
    while children:
        route = children.pop()
        route.update({k: v for k, v in timings.items() if k in route})
        children.extend(route.get("routes", []))
    return local


def _sends_resolved(receiver: Mapping[str, Any]) -> bool:
    """Whether the shipped receiver tells about resolved alerts (webhooks do by default, e-mail
    does not)."""
    for kind, default in (("webhook_configs", True), ("email_configs", False)):
        for config in receiver.get(kind) or []:
            return bool(config.get("send_resolved", default))
    return True


def start_receiver(workdir: Path, *, detached: bool) -> tuple[parts.Child, str]:
    """`budgetwarden demo-receiver` on a free port, recording to workdir/deliveries.jsonl."""
    args = ["demo-receiver", "--record", str(workdir / "deliveries.jsonl")]
    return parts.start_serving(args, workdir, "/deliveries", detached=detached)


def start_alertmanager(
    workdir: Path, config: Mapping[str, Any], *, detached: bool, port: int = 0
) -> tuple[parts.Child, str]:
    """A real Alertmanager on loopback `port` (0: a free one) with `config`, no clustering."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_file = workdir / "alertmanager.yml"
    config_file.write_text(yaml.safe_dump(dict(config), sort_keys=False))
    url = f"http://127.0.0.1:{port or processes.free_port()}"
    argv = [
        str(find_binary("prometheus-alertmanager")),
        f"--config.file={config_file}",
        f"--storage.path={workdir / 'data'}",
        f"--web.listen-address={url.removeprefix('http://')}",
        "--cluster.listen-address=",  # empty: no gossip port, no peers to wait for
    ]
    proc, popen = processes.spawn("alertmanager", argv, workdir / "alertmanager.log",
                                  detached=detached)  # fmt: skip
    child = parts.Child(proc, popen)
    try:
        processes.wait_http(f"{url}/-/ready", proc, timeout=60)
    except BaseException:
        child.stop()
        raise
    return child, url


def resources_pack(namespace: str) -> dict[str, Any]:
    """The resources pack's PrometheusRule for the demo's namespace, with the demo's waits: a
    drill cannot sit through 15 minutes of CPU use. Its rules read the container series the demo
    service exports for itself (demo/pressure.py); rules-sync loads them like any other."""
    settings = PackSettings(
        namespace_selector=f'namespace="{namespace}"',
        resources=ResourcesSettings(
            cpu=Threshold("85", "30s"), memory=Threshold("90", "30s"), node_disks=False
        ),
    )
    rule = build_pack_prometheus_rule(PACK_RESOURCES, settings)
    rule["metadata"]["namespace"] = namespace
    return rule


def prometheus_alerting(alertmanager_url: str) -> dict[str, Any]:
    """The `alerting` section of prometheus.yml that sends to this Alertmanager."""
    target = alertmanager_url.removeprefix("http://")
    return {"alertmanagers": [{"static_configs": [{"targets": [target]}]}]}


def start(workdir: Path, keep: Callable[[Spawned], None]) -> tuple[str, str]:
    """The local receiver, then Alertmanager with the shipped routing delivering to it, both
    detached; `keep` is told of each process as it starts. (receiver URL, Alertmanager URL)."""
    receiver, receiver_url = start_receiver(workdir, detached=True)
    keep(receiver.proc)
    routing = local_routing(shipped_routing(), receiver_url)
    manager, manager_url = start_alertmanager(workdir / "alertmanager", routing, detached=True)
    keep(manager.proc)
    return receiver_url, manager_url

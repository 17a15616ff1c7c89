"""The resources pack: containers near their CPU and memory limits, disks filling, restarts.

Called by `build`. It reads only what most clusters already scrape: cAdvisor through the
kubelet (container_*), kube-state-metrics (kube_pod_container_*), the kubelet's volume stats
(kubelet_volume_stats_*) and node-exporter (node_filesystem_*). Every aggregation is `max by`,
never `sum by`: a series scraped twice (two kube-state-metrics replicas, a kubelet in two jobs)
must not double a usage or a limit. A container without a limit has no limit series and so no
CPU or memory alert: the ratio to a limit is the only threshold that means the same for every
container. The chart's templates/alert-packs.yaml writes the same expressions.
"""

from __future__ import annotations

from dataclasses import dataclass

from budgetwarden.core.packs import names
from budgetwarden.core.packs.alerts import VALUE, AlertText, Rule, pack_alert, selector
from budgetwarden.core.packs.settings import PackSettings

CONTAINER_KEYS = "namespace, pod, container"
VOLUME_KEYS = "namespace, persistentvolumeclaim"
NODE_KEYS = "instance, device, mountpoint"
# Which kind of disk a DiskSpaceLow or DiskFillingUp alert is about: persistentvolumeclaim, node.
DISK_LABEL = "disk"
# cAdvisor also reports the pod's own cgroup (container="") and the pause container; only the
# named containers have limits to compare with.
NAMED_CONTAINER = 'container!=""'
# In-memory and read-only layers are always "full" or never fill: not disks to watch.
NODE_FILESYSTEMS = 'fstype!~"tmpfs|ramfs|overlay|squashfs"'
CPU_RATE_WINDOW = "5m"
# How long an OOM kill stays news: long enough for a scrape of kube-state-metrics (and an
# evaluation) to see the restart, short enough for the alert to resolve soon after the last kill.
OOM_WINDOW = "10m"
# DiskFillingUp: the trend of the last 6 hours, projected 4 hours ahead, on a disk already past
# the DiskSpaceLow threshold (the node-exporter mixin's NodeFilesystemSpaceFillingUp uses the
# same pair past 85 %); 30 minutes, so that one burst of writes is not a trend.
FILLING_LOOKBACK = "6h"
FILLING_HORIZON = "4h"
FILLING_HORIZON_SECONDS = 4 * 3600
FILLING_FOR = "30m"
CONTAINER = "{{ $labels.namespace }}/{{ $labels.pod }}"
NAMED = "container {{ $labels.container }}"


def resources_rules(settings: PackSettings) -> list[Rule]:
    """Every rule of the resources pack, in a fixed order."""
    rules = [_high_cpu(settings), _high_memory(settings)]
    rules += [_disk_space_low(settings, volume) for volume in _volumes(settings)]
    rules += [_disk_filling_up(settings, volume) for volume in _volumes(settings)]
    return [*rules, _oom_killed(settings), _crash_looping(settings)]


def _high_cpu(settings: PackSettings) -> Rule:
    cpu = settings.resources.cpu
    usage = f"rate(container_cpu_usage_seconds_total{_named(settings)}[{CPU_RATE_WINDOW}])"
    return pack_alert(
        names.PACK_RESOURCES,
        names.ALERT_HIGH_CPU,
        f"{_of_limit(usage, 'cpu', settings)}\n> {cpu.value}",
        cpu.sustained,
        AlertText(
            f"{CONTAINER}: {NAMED} uses {VALUE}% of its CPU limit",
            f"Container {{{{ $labels.container }}}} of pod {CONTAINER} has used more than "
            f"{cpu.value}% of its CPU limit for {cpu.sustained}, so it is throttled and its "
            f"requests slow down.",
        ),
        settings,
    )


def _high_memory(settings: PackSettings) -> Rule:
    memory = settings.resources.memory
    usage = f"container_memory_working_set_bytes{_named(settings)}"
    return pack_alert(
        names.PACK_RESOURCES,
        names.ALERT_HIGH_MEMORY,
        f"{_of_limit(usage, 'memory', settings)}\n> {memory.value}",
        memory.sustained,
        AlertText(
            f"{CONTAINER}: {NAMED} uses {VALUE}% of its memory limit",
            f"Container {{{{ $labels.container }}}} of pod {CONTAINER} has used more than "
            f"{memory.value}% of its memory limit for {memory.sustained}; at the limit the "
            f"kernel kills it (OOMKilled).",
        ),
        settings,
    )


def _of_limit(usage: str, resource: str, settings: PackSettings) -> str:
    """Usage as a percent of the container's limit of `resource` (kube-state-metrics)."""
    limits = "kube_pod_container_resource_limits" + selector(
        f'resource="{resource}"', namespaces=settings.namespace_selector
    )
    return f"100 * max by ({CONTAINER_KEYS}) ({usage})\n  / max by ({CONTAINER_KEYS}) ({limits})"


def _named(settings: PackSettings) -> str:
    return selector(NAMED_CONTAINER, namespaces=settings.namespace_selector)


@dataclass(frozen=True)
class _Volume:
    """A kind of disk: PersistentVolumeClaims (kubelet) or node filesystems (node-exporter)."""

    kind: str  # the `disk` label of its alerts: two rules of one name need labels apart
    keys: str  # one series per volume
    available: str  # the selector of its free bytes
    size: str  # ... and of its capacity
    what: str  # the volume in a sentence
    where: str  # ... and at the start of a summary

    def used_percent(self) -> str:
        """Percent of the volume used, one series per volume."""
        return (
            f"100 * (1 - max by ({self.keys}) ({self.available})\n"
            f"  / max by ({self.keys}) ({self.size}))"
        )


def _volumes(settings: PackSettings) -> list[_Volume]:
    ns = selector(namespaces=settings.namespace_selector)
    volumes = [
        _Volume(
            "persistentvolumeclaim",
            VOLUME_KEYS,
            f"kubelet_volume_stats_available_bytes{ns}",
            f"kubelet_volume_stats_capacity_bytes{ns}",
            "PersistentVolumeClaim {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }}",
            "{{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }}: volume",
        )
    ]
    if settings.resources.node_disks:
        nodes = selector(NODE_FILESYSTEMS)  # nodes belong to no namespace
        volumes.append(
            _Volume(
                "node",
                NODE_KEYS,
                f"node_filesystem_avail_bytes{nodes}",
                f"node_filesystem_size_bytes{nodes}",
                "Filesystem {{ $labels.mountpoint }} ({{ $labels.device }}) on node "
                "{{ $labels.instance }}",
                "{{ $labels.instance }}: filesystem {{ $labels.mountpoint }}",
            )
        )
    return volumes


def _disk_space_low(settings: PackSettings, volume: _Volume) -> Rule:
    disk = settings.resources.disk
    rule = pack_alert(
        names.PACK_RESOURCES,
        names.ALERT_DISK_SPACE_LOW,
        f"{volume.used_percent()}\n> {disk.value}",
        disk.sustained,
        AlertText(
            f"{volume.where} {VALUE}% full",
            f"{volume.what} has been more than {disk.value}% full for {disk.sustained}.",
        ),
        settings,
    )
    return _labelled(rule, volume)


def _disk_filling_up(settings: PackSettings, volume: _Volume) -> Rule:
    disk = settings.resources.disk
    trend = f"predict_linear({volume.available}[{FILLING_LOOKBACK}], {FILLING_HORIZON_SECONDS})"
    rule = pack_alert(
        names.PACK_RESOURCES,
        names.ALERT_DISK_FILLING_UP,
        f"{volume.used_percent()}\n> {disk.value}\nand\nmax by ({volume.keys}) ({trend}) < 0",
        FILLING_FOR,
        AlertText(
            f"{volume.where} {VALUE}% full and filling up",
            f"{volume.what} is more than {disk.value}% full and, at the rate of the last "
            f"{FILLING_LOOKBACK}, will be full within {FILLING_HORIZON}.",
        ),
        settings,
    )
    return _labelled(rule, volume)


def _labelled(rule: Rule, volume: _Volume) -> Rule:
    """The rule with a `disk` label: promtool (and Prometheus' rule manager) take two rules of
    one name and the same labels for duplicates."""
    rule["labels"] = dict(sorted((rule["labels"] | {DISK_LABEL: volume.kind}).items()))
    return rule


def _oom_killed(settings: PackSettings) -> Rule:
    ns = settings.namespace_selector
    reason = "kube_pod_container_status_last_terminated_reason" + selector(
        'reason="OOMKilled"', namespaces=ns
    )
    restarts = "kube_pod_container_status_restarts_total" + selector(namespaces=ns)
    # The last termination reason stays OOMKilled until the next one: only a restart within
    # the window makes it news.
    return pack_alert(
        names.PACK_RESOURCES,
        names.ALERT_OOM_KILLED,
        f"max by ({CONTAINER_KEYS}) ({reason}) == 1\nand\n"
        f"max by ({CONTAINER_KEYS}) (increase({restarts}[{OOM_WINDOW}])) > 0",
        None,
        AlertText(
            f"{CONTAINER}: {NAMED} was OOMKilled",
            f"Container {{{{ $labels.container }}}} of pod {CONTAINER} reached its memory limit "
            f"and was killed (OOMKilled) in the last {OOM_WINDOW}.",
        ),
        settings,
    )


def _crash_looping(settings: PackSettings) -> Rule:
    sustained = settings.resources.crash_looping_for
    waiting = "kube_pod_container_status_waiting_reason" + selector(
        'reason="CrashLoopBackOff"', namespaces=settings.namespace_selector
    )
    # max_over_time: between two back-offs the container runs for a moment and its waiting
    # series is gone; the loop is still on.
    return pack_alert(
        names.PACK_RESOURCES,
        names.ALERT_CRASH_LOOPING,
        f"max by ({CONTAINER_KEYS}) (max_over_time({waiting}[5m])) >= 1",
        sustained,
        AlertText(
            f"{CONTAINER}: {NAMED} is crash looping",
            f"Container {{{{ $labels.container }}}} of pod {CONTAINER} has been restarting in "
            f"CrashLoopBackOff for {sustained}.",
        ),
        settings,
    )

"""The resources pack fires on its condition and not below it, proven with `promtool test rules`.

Each case feeds one series past the threshold and one just below it (or otherwise not meant to
fire), checks that nothing fires before `for:` has passed, and that then exactly the first one
fires, with its labels written out: the series' identity, the pack, the priority and severity.
"""

from __future__ import annotations

from budgetwarden.core.packs import names
from pack_support import alert, case, check, pack_groups, rules_named, series
from promtool_support import RuleTest

GROUPS = pack_groups(names.PACK_RESOURCES)
SHOP = {"namespace": "shop", "container": "app"}
GIB = 1_000_000_000


def pack_labels(priority: str) -> dict[str, str]:
    return {"alert_pack": "resources", "priority": priority, "severity": "warning"}


def test_cpu_above_85_percent_of_the_limit_fires_after_15_minutes(rule_test: RuleTest) -> None:
    """hot uses 0.9 cores of a 1-core limit (90 %), cool 0.8 (80 %). hot's limit is reported by
    two kube-state-metrics replicas: a sum would halve its usage to 45 %, max keeps 90 %. The
    counters start at 0, so the 5m rate reads full from minute 5, and the alert fires at 20."""
    limits = "kube_pod_container_resource_limits"
    inputs = [
        series("container_cpu_usage_seconds_total", "0+54x30", pod="hot-1", **SHOP),
        series("container_cpu_usage_seconds_total", "0+48x30", pod="cool-1", **SHOP),
        # the pod's own cgroup: no limit of its own, never compared
        series("container_cpu_usage_seconds_total", "0+600x30", pod="hot-1", namespace="shop",
               container=""),
        series(limits, "1x30", pod="hot-1", resource="cpu", unit="core", instance="ksm-1", **SHOP),
        series(limits, "1x30", pod="hot-1", resource="cpu", unit="core", instance="ksm-2", **SHOP),
        series(limits, "1x30", pod="cool-1", resource="cpu", unit="core", **SHOP),
    ]  # fmt: skip
    (rule,) = rules_named(GROUPS, names.ALERT_HIGH_CPU)
    hot = {"pod": "hot-1", **SHOP, **pack_labels("P3")}
    rule_test(
        GROUPS,
        case(
            inputs,
            check("19m", names.ALERT_HIGH_CPU),
            check("20m", names.ALERT_HIGH_CPU, alert(rule, hot, "90")),
        ),
    )


def test_memory_above_90_percent_of_the_limit_fires_after_5_minutes(rule_test: RuleTest) -> None:
    """hot's working set is 95 % of its limit, cool's 85 %."""
    limits = "kube_pod_container_resource_limits"
    inputs = [
        series("container_memory_working_set_bytes", f"{95 * GIB // 100}x20", pod="hot-1", **SHOP),
        series("container_memory_working_set_bytes", f"{85 * GIB // 100}x20", pod="cool-1", **SHOP),
        series(limits, f"{GIB}x20", pod="hot-1", resource="memory", unit="byte", **SHOP),
        series(limits, f"{GIB}x20", pod="cool-1", resource="memory", unit="byte", **SHOP),
    ]  # fmt: skip
    (rule,) = rules_named(GROUPS, names.ALERT_HIGH_MEMORY)
    hot = {"pod": "hot-1", **SHOP, **pack_labels("P2")}
    rule_test(
        GROUPS,
        case(
            inputs,
            check("4m", names.ALERT_HIGH_MEMORY),
            check("6m", names.ALERT_HIGH_MEMORY, alert(rule, hot, "95")),
        ),
    )


def test_a_volume_or_node_disk_above_85_percent_fires_after_15_minutes(
    rule_test: RuleTest,
) -> None:
    """data-0 and the node's / are 90 % full, logs-0 is 80 %, and a tmpfs at 99 % is no disk."""
    volume = {"namespace": "shop", "instance": "node-1:10250"}
    root = {"instance": "node-1:9100", "device": "/dev/sda1", "mountpoint": "/", "fstype": "ext4"}
    run = {"instance": "node-1:9100", "device": "tmpfs", "mountpoint": "/run", "fstype": "tmpfs"}
    inputs = [
        series("kubelet_volume_stats_capacity_bytes", f"{100 * GIB}x20",
               persistentvolumeclaim="data-0", **volume),
        series("kubelet_volume_stats_available_bytes", f"{10 * GIB}x20",
               persistentvolumeclaim="data-0", **volume),
        series("kubelet_volume_stats_capacity_bytes", f"{100 * GIB}x20",
               persistentvolumeclaim="logs-0", **volume),
        series("kubelet_volume_stats_available_bytes", f"{20 * GIB}x20",
               persistentvolumeclaim="logs-0", **volume),
        series("node_filesystem_size_bytes", f"{50 * GIB}x20", **root),
        series("node_filesystem_avail_bytes", f"{5 * GIB}x20", **root),
        series("node_filesystem_size_bytes", f"{GIB}x20", **run),
        series("node_filesystem_avail_bytes", f"{GIB // 100}x20", **run),
    ]  # fmt: skip
    claim, node = rules_named(GROUPS, names.ALERT_DISK_SPACE_LOW)
    labels = pack_labels("P3")
    rule_test(
        GROUPS,
        case(
            inputs,
            check("14m", names.ALERT_DISK_SPACE_LOW),
            check(
                "16m",
                names.ALERT_DISK_SPACE_LOW,
                alert(claim, {"namespace": "shop", "persistentvolumeclaim": "data-0",
                              "disk": "persistentvolumeclaim", **labels}, "90"),
                alert(node, {"instance": "node-1:9100", "device": "/dev/sda1", "mountpoint": "/",
                             "disk": "node", **labels}, "90"),
            ),
        ),
    )  # fmt: skip


def test_a_disk_past_85_percent_and_full_within_4_hours_fires_after_30_minutes(
    rule_test: RuleTest,
) -> None:
    """filling loses 0.05 GB a minute from 20 of 100 GB free: past 85 % used after 100 minutes,
    predicted empty within 4 hours (free below 12 GB) after 160, so firing from 190. full-flat
    is 90 % used but steady; roomy loses 0.3 GB a minute but is only a third used by then."""
    claim = {"namespace": "shop", "instance": "node-1:10250"}
    root = {"instance": "node-1:9100", "device": "/dev/sda1", "mountpoint": "/", "fstype": "ext4"}
    falling = f"{20 * GIB}-{GIB // 20}x200"
    inputs = [
        *(series("kubelet_volume_stats_capacity_bytes", f"{100 * GIB}x200",
                 persistentvolumeclaim=name, **claim)
          for name in ("filling", "full-flat", "roomy")),
        series("kubelet_volume_stats_available_bytes", falling,
               persistentvolumeclaim="filling", **claim),
        series("kubelet_volume_stats_available_bytes", f"{10 * GIB}x200",
               persistentvolumeclaim="full-flat", **claim),
        series("kubelet_volume_stats_available_bytes", f"{90 * GIB}-{3 * GIB // 10}x200",
               persistentvolumeclaim="roomy", **claim),
        series("node_filesystem_size_bytes", f"{100 * GIB}x200", **root),
        series("node_filesystem_avail_bytes", falling, **root),
    ]  # fmt: skip
    on_claim, on_node = rules_named(GROUPS, names.ALERT_DISK_FILLING_UP)
    labels = pack_labels("P2")
    rule_test(
        GROUPS,
        case(
            inputs,
            check("185m", names.ALERT_DISK_FILLING_UP),
            check(
                "195m",
                names.ALERT_DISK_FILLING_UP,
                alert(on_claim, {"namespace": "shop", "persistentvolumeclaim": "filling",
                                 "disk": "persistentvolumeclaim", **labels}, "89.75"),
                alert(on_node, {"instance": "node-1:9100", "device": "/dev/sda1",
                                "mountpoint": "/", "disk": "node", **labels}, "89.75"),
            ),
        ),
    )  # fmt: skip


def test_an_oom_kill_fires_at_once_and_resolves_10_minutes_later(rule_test: RuleTest) -> None:
    """api-1 is OOMKilled and restarts at minute 10. old-1 was OOMKilled long ago and has not
    restarted since; crashy-1 restarts at minute 10 after an Error, not a kill."""
    reason = "kube_pod_container_status_last_terminated_reason"
    restarts = "kube_pod_container_status_restarts_total"
    inputs = [
        series(reason, "_x10 1x20", pod="api-1", reason="OOMKilled", **SHOP),
        series(restarts, "0x9 1x20", pod="api-1", **SHOP),
        series(reason, "1x30", pod="old-1", reason="OOMKilled", **SHOP),
        series(restarts, "3x30", pod="old-1", **SHOP),
        series(reason, "_x10 1x20", pod="crashy-1", reason="Error", **SHOP),
        series(restarts, "0x9 1x20", pod="crashy-1", **SHOP),
    ]
    (rule,) = rules_named(GROUPS, names.ALERT_OOM_KILLED)
    api = {"pod": "api-1", **SHOP, **pack_labels("P3")}
    rule_test(
        GROUPS,
        case(
            inputs,
            check("9m", names.ALERT_OOM_KILLED),
            check("10m", names.ALERT_OOM_KILLED, alert(rule, api)),
            check("22m", names.ALERT_OOM_KILLED),
        ),
    )


def test_a_crash_loop_fires_after_15_minutes_and_a_short_one_never(rule_test: RuleTest) -> None:
    """loop-1 waits in CrashLoopBackOff with a moment of running (a missing sample) every fourth
    minute; blip-1 loops for 5 minutes and recovers, which the 5-minute max_over_time stretches to
    10, still short of the 15 minutes it takes to fire."""
    waiting = "kube_pod_container_status_waiting_reason"
    inputs = [
        series(waiting, " ".join(["1 1 1 _"] * 8), pod="loop-1", reason="CrashLoopBackOff", **SHOP),
        series(waiting, "1x5", pod="blip-1", reason="CrashLoopBackOff", **SHOP),
    ]  # fmt: skip
    (rule,) = rules_named(GROUPS, names.ALERT_CRASH_LOOPING)
    loop = {"pod": "loop-1", **SHOP, **pack_labels("P2")}
    rule_test(
        GROUPS,
        case(
            inputs,
            check("14m", names.ALERT_CRASH_LOOPING),
            check("15m", names.ALERT_CRASH_LOOPING, alert(rule, loop)),
            check("28m", names.ALERT_CRASH_LOOPING, alert(rule, loop)),
        ),
    )

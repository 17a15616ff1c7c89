"""The names alert packs put on the wire: packs, alerts, labels, groups and objects.

Kept apart from core/kernel/conventions.py on purpose: its ALERT_* names are the alerts the SLO
generator emits for every SLO (tests/unit/test_alert_runbooks.py checks exactly those), while
these come from packs a cluster installs on its own. The Helm chart's
templates/alert-packs.yaml spells the same names.
"""

from __future__ import annotations

from typing import Final

from budgetwarden.core.kernel.conventions import GROUP

PACK_RESOURCES: Final = "resources"
PACK_MODEL_QUALITY: Final = "model-quality"
PACKS: Final = (PACK_RESOURCES, PACK_MODEL_QUALITY)

ALERT_HIGH_CPU: Final = "HighCPUUsage"
ALERT_HIGH_MEMORY: Final = "HighMemoryUsage"
ALERT_DISK_SPACE_LOW: Final = "DiskSpaceLow"
ALERT_DISK_FILLING_UP: Final = "DiskFillingUp"
ALERT_OOM_KILLED: Final = "ContainerOOMKilled"
ALERT_CRASH_LOOPING: Final = "PodCrashLooping"
ALERT_MODEL_DRIFT: Final = "ModelDriftDetected"
ALERT_LOW_CONFIDENCE: Final = "LowModelConfidence"

ALERTS_BY_PACK: Final = {
    PACK_RESOURCES: (
        ALERT_HIGH_CPU,
        ALERT_HIGH_MEMORY,
        ALERT_DISK_SPACE_LOW,
        ALERT_DISK_FILLING_UP,
        ALERT_OOM_KILLED,
        ALERT_CRASH_LOOPING,
    ),
    PACK_MODEL_QUALITY: (ALERT_MODEL_DRIFT, ALERT_LOW_CONFIDENCE),
}
PACK_ALERTS: Final = tuple(alert for alerts in ALERTS_BY_PACK.values() for alert in alerts)

# On every pack alert, so that a whole pack can be silenced or routed with one matcher.
LABEL_PACK: Final = "alert_pack"
# On the PrometheusRule objects, beside app.kubernetes.io/managed-by.
LABEL_OBJECT_PACK: Final = f"{GROUP}/alert-pack"
# Pack alerts never page by default, and `critical` is kept for pages (alerting policy, section 2).
SEVERITY: Final = "warning"


def group_name(pack: str) -> str:
    """The rule group of a pack, and the name of its PrometheusRule from the CLI."""
    return f"budgetwarden-pack-{pack}"

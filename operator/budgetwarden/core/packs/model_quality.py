"""The model-quality pack: a model's inputs drifting, and its predictions losing confidence.

Called by `build`. The metrics are the model server's or its drift detector's own, so their
names are settings (`settings.ModelQualitySettings`). Series keep every label but the replica's
(`instance`, `pod`): one alert per model and version, whatever labels the exporter uses for
them, however many replicas serve it. The chart's templates/alert-packs.yaml writes the same
expressions.
"""

from __future__ import annotations

from budgetwarden.core.packs import names
from budgetwarden.core.packs.alerts import AlertText, Rule, pack_alert, selector
from budgetwarden.core.packs.settings import PackSettings

REPLICA_LABELS = "instance, pod"
# The mean over 10 minutes: a few hundred predictions on a modest service, so one odd batch
# does not move it much.
CONFIDENCE_WINDOW = "10m"
JOB = "{{ $labels.namespace }}/{{ $labels.job }}"
# Scores and confidences are small plain numbers: humanize would print 0.15 as "150m".
SCORE = '{{ $value | printf "%.3g" }}'


def model_quality_rules(settings: PackSettings) -> list[Rule]:
    """Every rule of the model-quality pack, in a fixed order."""
    return [_drift(settings), _low_confidence(settings)]


def _drift(settings: PackSettings) -> Rule:
    quality = settings.model_quality
    drift = quality.drift
    score = quality.drift_metric + selector(namespaces=settings.namespace_selector)
    # max, not sum: every replica reports the same score of the same model.
    return pack_alert(
        names.PACK_MODEL_QUALITY,
        names.ALERT_MODEL_DRIFT,
        f"max without ({REPLICA_LABELS}) ({score}) > {drift.value}",
        drift.sustained,
        AlertText(
            f"{JOB}: model drift score {SCORE}",
            f"The drift score {quality.drift_metric} of {JOB} has been above {drift.value} for "
            f"{drift.sustained}: the inputs the model sees no longer look like the data it was "
            f"trained on, and its answers may be wrong without anyone noticing.",
        ),
        settings,
    )


def _low_confidence(settings: PackSettings) -> Rule:
    quality = settings.model_quality
    confidence = quality.confidence
    ns = selector(namespaces=settings.namespace_selector)
    # sum, then divide: the mean over every prediction of every replica, each weighed once.
    total = f"rate({quality.confidence_metric}_sum{ns}[{CONFIDENCE_WINDOW}])"
    count = f"rate({quality.confidence_metric}_count{ns}[{CONFIDENCE_WINDOW}])"
    return pack_alert(
        names.PACK_MODEL_QUALITY,
        names.ALERT_LOW_CONFIDENCE,
        f"sum without ({REPLICA_LABELS}) ({total})\n"
        f"  / sum without ({REPLICA_LABELS}) ({count})\n< {confidence.value}",
        confidence.sustained,
        AlertText(
            f"{JOB}: mean prediction confidence {SCORE}",
            f"The mean confidence of the predictions of {JOB} ({quality.confidence_metric}, "
            f"over {CONFIDENCE_WINDOW}) has been below {confidence.value} for "
            f"{confidence.sustained}.",
        ),
        settings,
    )

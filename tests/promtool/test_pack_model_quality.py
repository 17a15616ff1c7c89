"""The model-quality pack fires on its condition and not below it, proven with `promtool test
rules`: one model past the threshold, one short of it, each served by two replicas whose
`instance` and `pod` the alert drops, so that a model gets one alert whatever its replica count.
"""

from __future__ import annotations

from budgetwarden.core.packs import names
from budgetwarden.core.packs.settings import ModelQualitySettings, PackSettings, Threshold
from pack_support import alert, case, check, pack_groups, rules_named, series
from promtool_support import RuleTest

ML = {"namespace": "ml", "job": "models"}
LABELS = {"alert_pack": "model-quality", "severity": "warning"}


def replicas(model: str) -> list[dict[str, str]]:
    """The labels of the two replicas serving `model`."""
    return [
        {**ML, "model": model, "pod": f"{model}-{n}", "instance": f"10.0.0.{n}:8080"}
        for n in (1, 2)
    ]


def test_a_drift_score_above_0_25_fires_after_30_minutes(rule_test: RuleTest) -> None:
    """ranker scores 0.4 on both replicas, search 0.2."""
    groups = pack_groups(names.PACK_MODEL_QUALITY)
    inputs = [
        *(series("model_drift_score", "0.4x40", **r) for r in replicas("ranker")),
        *(series("model_drift_score", "0.2x40", **r) for r in replicas("search")),
    ]
    (rule,) = rules_named(groups, names.ALERT_MODEL_DRIFT)
    ranker = {**ML, "model": "ranker", "priority": "P3", **LABELS}
    rule_test(
        groups,
        case(
            inputs,
            check("29m", names.ALERT_MODEL_DRIFT),
            check("30m", names.ALERT_MODEL_DRIFT, alert(rule, ranker, "0.4")),
        ),
    )


def test_a_mean_confidence_below_0_7_fires_after_15_minutes(rule_test: RuleTest) -> None:
    """Each replica answers 50 predictions a minute. ranker's replicas are 0.6 and 0.66 sure on
    average, 0.63 together; search's are 0.6 and 0.9, 0.75 together: a replica's own mean below
    the threshold does not fire, the model's does."""
    groups = pack_groups(names.PACK_MODEL_QUALITY)
    means = {"ranker": (30, 33), "search": (30, 45)}  # confidence summed per minute, per replica
    inputs = [
        series(name, values, **r)
        for model, sums in means.items()
        for r, per_minute in zip(replicas(model), sums, strict=True)
        for name, values in (
            ("model_prediction_confidence_sum", f"0+{per_minute}x30"),
            ("model_prediction_confidence_count", "0+50x30"),
        )
    ]
    (rule,) = rules_named(groups, names.ALERT_LOW_CONFIDENCE)
    ranker = {**ML, "model": "ranker", "priority": "P2", **LABELS}
    rule_test(
        groups,
        case(
            inputs,
            check("14m", names.ALERT_LOW_CONFIDENCE),
            check("16m", names.ALERT_LOW_CONFIDENCE, alert(rule, ranker, "0.63")),
        ),
    )


def test_the_metric_names_and_thresholds_come_from_the_settings(rule_test: RuleTest) -> None:
    """A detector exporting psi with its own line at 0.1, for 5 minutes."""
    settings = PackSettings(
        model_quality=ModelQualitySettings(drift_metric="psi", drift=Threshold("0.1", "5m"))
    )
    groups = pack_groups(names.PACK_MODEL_QUALITY, settings)
    inputs = [series("psi", "0.15x10", **replicas("ranker")[0])]
    (rule,) = rules_named(groups, names.ALERT_MODEL_DRIFT)
    ranker = {**ML, "model": "ranker", "priority": "P3", **LABELS}
    rule_test(
        groups,
        case(
            inputs,
            check("4m", names.ALERT_MODEL_DRIFT),
            check("5m", names.ALERT_MODEL_DRIFT, alert(rule, ranker, "0.15")),
        ),
    )

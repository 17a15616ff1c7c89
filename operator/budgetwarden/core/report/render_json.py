"""The alert review as JSON, for scripts and dashboards: the numbers of the text report with
times in RFC 3339, durations in seconds, and shares as fractions (null when undefined).

Called by cli/report.py.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

from budgetwarden.core.kernel.wire import format_time
from budgetwarden.core.report import thresholds as limits
from budgetwarden.core.report.review import AlertReview, AlertRow


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else round(value.total_seconds())


def _fraction(value: Decimal | None) -> float | None:
    return None if value is None else float(round(value, 4))


def _alert(row: AlertRow) -> dict[str, Any]:
    return {
        "alertname": row.alertname,
        "slo": row.slo,
        "detail": row.detail or None,
        "loaded": row.loaded,
        "fires": len(row.starts),
        "firingSeconds": _seconds(row.firing),
        "medianTimeToResolveSeconds": _seconds(row.median),
        "p90TimeToResolveSeconds": _seconds(row.p90),
        "mostFiresWithinFlapWindow": row.most_in_hour,
        "flapping": row.flapping,
        "pages": row.pages,
        "starts": [format_time(start) for start in row.starts],
    }


def as_json(review: AlertReview) -> str:
    """The whole review as one JSON document."""
    period = review.period
    body: dict[str, Any] = {
        "period": {
            "start": format_time(period.start),
            "end": format_time(period.end),
            "stepSeconds": _seconds(period.step),
        },
        "thresholds": {
            "flapFires": limits.FLAP_FIRES,
            "flapWindowSeconds": _seconds(limits.FLAP_WINDOW),
            "pagesPerSloWeek": float(limits.PAGES_PER_SLO_WEEK),
            "pagesPerShift": limits.PAGES_PER_SHIFT,
            "shiftSeconds": _seconds(limits.SHIFT),
        },
        "alerts": [_alert(row) for row in review.fired],
        "neverFired": [
            {"alertname": a.alertname, "slo": a.slo, "detail": a.detail or None}
            for a in review.never_fired
        ],
        "slos": [
            {"slo": s.slo, "pages": s.pages, "pagesPerWeek": float(s.per_week), "over": s.over}
            for s in review.slos
        ],
        "busiestShiftPages": review.busiest_shift,
        "runbooks": [
            {"alertname": i.alertname, "slo": i.slo, "problem": i.problem} for i in review.runbooks
        ],
        "incidents": _incidents(review),
    }
    return json.dumps(body, indent=2) + "\n"


def _incidents(review: AlertReview) -> dict[str, Any] | None:
    if review.scores is None or review.incidents is None:
        return None
    return {
        "graceSeconds": _seconds(review.incidents.grace),
        "inPeriod": [i.name for i in review.incidents.within(review.period)],
        "alerts": [
            {
                "alertname": s.alertname,
                "fires": s.fires,
                "firesInIncidents": s.true_fires,
                "precision": _fraction(s.precision),
                "expected": s.expected,
                "caught": s.caught,
                "recall": _fraction(s.recall),
                "missed": list(s.missed),
            }
            for s in review.scores
        ],
    }

"""The drills' incident windows, written where `budgetwarden report alerts --incidents` reads them.

The file is the report's incidents file (docs/alert-review.md): YAML, a mapping with
`incidents`, each with a name, start, end and the alerts it expects. Each drill appends one;
the report then counts a fire outside every drill's window as a false positive and an expected
alert that stayed silent as a miss.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from budgetwarden_dev.demo.scenarios import Scenario


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def append(path: Path, scenario: Scenario, began: datetime, ended: datetime) -> None:
    """Add the drill's window to the incidents file (created when missing)."""
    loaded: Any = yaml.safe_load(path.read_text()) if path.is_file() else None
    document: dict[str, Any] = loaded if isinstance(loaded, dict) else {"incidents": []}
    incidents: list[Any] = document.setdefault("incidents", [])
    start = began.replace(microsecond=0)
    # whole seconds, and at least one: the report refuses an incident that ends at its start
    end = max(ended.replace(microsecond=0), start + timedelta(seconds=1))
    incidents.append({
        "name": f"drill {scenario.name} {_stamp(start)}",
        "start": _stamp(start),
        "end": _stamp(end),
        "expects": sorted({e.alert for e in scenario.expects}),
    })  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False))

"""The demo service's control API, as the drills use it, and the error a drill cannot start with."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx


class DrillError(Exception):
    """The drill cannot start: missing objects, a policy not at Normal, a plan that never ends."""


class DemoControl:
    """The demo service's `GET` and `PUT /control`."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(timeout=10, trust_env=False)

    def settings(self) -> dict[str, Any]:
        """The settings now, as `GET /control` answers them."""
        answer: dict[str, Any] = self._http.get(f"{self.url}/control").raise_for_status().json()
        return answer

    def change(self, body: dict[str, object]) -> dict[str, Any]:
        """`PUT /control` with these fields; the settings after."""
        answer = self._http.put(f"{self.url}/control", json=body).raise_for_status()
        changed: dict[str, Any] = answer.json()
        return changed

    def error_rate(self) -> Decimal:
        """The error rate set now."""
        return Decimal(self.settings()["errorRate"])

    def set_error_rate(self, rate: Decimal) -> None:
        """Set the error rate."""
        self.change({"errorRate": str(rate)})

"""Tell a Prometheus server to re-read its rule files (POST /-/reload), through httpx.

`budgetwarden rules-sync` calls this after it changed the rules directory. Prometheus serves the
endpoint only when started with `--web.enable-lifecycle`; the error says so.
"""

from __future__ import annotations

import httpx

from budgetwarden.core.kernel.errors import BudgetwardenError

RELOAD_TIMEOUT_SECONDS = 30.0


class ReloadError(BudgetwardenError):
    """Prometheus did not confirm the reload."""


class PrometheusReloader:
    """POSTs /-/reload to one Prometheus; the httpx client is injectable for tests."""

    def __init__(self, base_url: str, http: httpx.Client | None = None) -> None:
        self.url = base_url.rstrip("/") + "/-/reload"
        self.http = http or httpx.Client(timeout=RELOAD_TIMEOUT_SECONDS)

    def reload(self) -> None:
        """Ask Prometheus to reload its configuration and rule files; raise ReloadError if not."""
        try:
            response = self.http.post(self.url)
        except httpx.HTTPError as error:
            raise ReloadError(f"POST {self.url}: {error}") from error
        if response.status_code == 403:
            raise ReloadError(
                f"POST {self.url}: {response.text.strip()} "
                "(start Prometheus with --web.enable-lifecycle)"
            )
        if response.status_code != 200:
            detail = response.text.strip()
            raise ReloadError(f"POST {self.url}: HTTP {response.status_code} {detail}")

    def close(self) -> None:
        """Release the connection pool."""
        self.http.close()

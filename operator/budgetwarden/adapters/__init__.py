"""Adapters: one external library each (kubernetes, prometheus-api-client, httpx)."""

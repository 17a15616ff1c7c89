"""Adapters: one external library each (kubernetes, requests with msgspec, httpx, ...)."""

"""Errors of the local development environment (control plane, Prometheus, `budgetwarden dev`)."""

from __future__ import annotations


class DevEnvError(Exception):
    """A local component could not be found, started, reached or stopped."""


class MissingBinaryError(DevEnvError):
    """A binary the local environment needs is not installed or not built yet."""

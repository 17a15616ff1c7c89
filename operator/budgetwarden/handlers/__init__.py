"""kopf glue: parse, build with the core, apply through adapters, record status.

Importing this package registers every handler with kopf's default registry; that is what
`budgetwarden run` and `kopf run -m budgetwarden.handlers` do.
"""

from budgetwarden.handlers import (
    drift,
    enforcement,
    exception,
    policy,
    poller,
    poller_startup,
    registry,
    slo,
    startup,
    webhook,
)

__all__ = [
    "drift",
    "enforcement",
    "exception",
    "policy",
    "poller",
    "poller_startup",
    "registry",
    "slo",
    "startup",
    "webhook",
]

"""kopf glue: parse, build with the core, apply through adapters, record status.

Importing this package registers every handler with kopf's default registry; that is what
`budgetwarden run` and `kopf run -m budgetwarden.handlers` do, and both start the same
operator: one start-up hook (startup.py) builds it from one configuration, whichever admission
mode that configuration chose.
"""

from budgetwarden.handlers import drift, exception, policy, slo, startup, tracking

__all__ = ["drift", "exception", "policy", "slo", "startup", "tracking"]

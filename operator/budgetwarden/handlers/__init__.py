"""kopf glue: parse, build with the core, apply through adapters, record status.

Importing this package registers every handler with kopf's default registry; that is what
`budgetwarden run` and `kopf run -m budgetwarden.handlers` do.
"""

from budgetwarden.handlers import exception, policy, slo, startup

__all__ = ["exception", "policy", "slo", "startup"]

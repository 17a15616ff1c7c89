"""Plain words for the patterns spec fields must match, for `model.parse_resource`'s messages.

A user who writes `name: Checkout` should read what a name may hold, not the regular expression
that checks it. Keyed by the pattern's text, since the models that use a pattern (in `slo`,
`policy`, `freeze`) sit above this module; tests/unit/test_cli_messages.py checks that every
pattern of every resource model has its words here.
"""

from __future__ import annotations

_LOWER_NAME = "lowercase letters, digits and '-', starting and ending with a letter or digit"
_LABEL_VALUE = "letters, digits, '-', '_' and '.', starting and ending with a letter or digit"

WORDS: dict[str, str] = {
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$": f"must be a Kubernetes name of {_LOWER_NAME}",
    r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$": (
        f"must be a Kubernetes label value of {_LABEL_VALUE}"
    ),
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$": (
        f"must be a Kubernetes object name: parts of {_LOWER_NAME}, joined by '.'"
    ),
    (
        r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
        r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
    ): f"must be a Kubernetes label key such as app or example.com/tier: {_LABEL_VALUE}",
    r"^[-._a-zA-Z0-9]+$": "must be a Secret key of letters, digits, '-', '_' and '.'",
    r"^https?://[^\s]+$": "must be an http:// or https:// URL without spaces",
    r"^https?://": "must be an http:// or https:// URL",
    r"^[A-Za-z0-9]([-A-Za-z0-9.:]*[A-Za-z0-9])?$": (
        "must be a host name or address such as smtp.example.com or 10.0.0.1"
    ),
    r"^[^@\s<>,;]+@[^@\s<>,;]+$": "must be one e-mail address such as oncall@example.com",
    r"^[a-zA-Z_][a-zA-Z0-9_]*$": (
        "must be a Prometheus label name of letters, digits and '_', not starting with a digit"
    ),
    r"^[A-Za-z_][A-Za-z0-9_]*$": (
        "must be a Prometheus alert name of letters, digits and '_', not starting with a digit"
    ),
}


def pattern_words(pattern: str) -> str:
    """What a value matching `pattern` looks like, in words (`must be ...`)."""
    return WORDS.get(pattern, f"must match the pattern {pattern}")

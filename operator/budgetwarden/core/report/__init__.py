"""The alert-quality review (`budgetwarden report alerts`), computed from Prometheus' history.

Pure: the adapter (adapters/prometheus_history.py) reads `ALERTS` and the loaded rules into the
types of `model`; this package turns them into firing intervals (`intervals`), per-alert and
per-SLO numbers (`review`), precision and recall against known incidents (`incidents`), and
text (`render`). The thresholds it judges by, with their reasons, are in `thresholds`.
"""

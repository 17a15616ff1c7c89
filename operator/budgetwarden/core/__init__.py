"""The pure core: spec models, rule generation, budget math and policy.

Nothing here imports kopf, an HTTP client, the Kubernetes client or the Prometheus client,
and nothing reads the clock: callers pass `now` in. import-linter keeps it that way.
"""

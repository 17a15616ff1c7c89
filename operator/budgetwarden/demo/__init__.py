"""A demo service with an error rate and latency you control, for drills, `make demo` and tests.

Tooling beside the operator, outside the core → adapters → handlers layers. `service` is the
HTTP server (`budgetwarden demo-service`), `load` its built-in load generator, `settings` the
validated knobs, `faults` the error and latency injection, and `process` runs the service as a
child process for tests and the drill. docs/demo-service.md describes the HTTP API.
"""
